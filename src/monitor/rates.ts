/**
 * The monitor's figures from two samples: pure arithmetic over the counters, so every figure is
 * tested on numbers, not on a live host.
 *
 * - cpuPercent: on-CPU time per second of wall time (schedstat run_ns; clock ticks without
 *   schedstats), 100 = one host CPU's worth.
 * - waitMsPerSec: run-queue wait (schedstat's second field) per second. For a vCPU thread this is
 *   time the guest wanted to run and the host gave its CPU to something else: the guest sees it
 *   as steal time.
 * - migrationsPerSec, involuntaryPerSec: se.nr_migrations and nonvoluntary_ctxt_switches rates.
 * - drift: the thread may run on CPUs other than the plan gave it.
 */
import type { HostCpuSample, ThreadSample, VmSample } from './sample.js';

/** Clock ticks per second of /proc's tick counters (USER_HZ; 100 on every Linux kvm-tui runs on). */
export const USER_HZ = 100;

export interface ThreadFigures {
  role: ThreadSample['role'];
  index: number;
  id?: string;
  tid: number;
  comm: string;
  state: string;
  cpuPercent: number | null;
  waitMsPerSec: number | null;
  migrationsPerSec: number | null;
  involuntaryPerSec: number | null;
  lastHostCpu: number;
  affinity: number[];
  plannedAffinity: number[];
  drift: boolean;
}

export interface HostCpuFigures {
  cpu: number;
  busyPercent: number | null;
}

/** The sample's own facts, with rates in place of counters. */
export interface VmFigures extends Pick<VmSample, 'atMs' | 'name' | 'pid' | 'alive' | 'rssKiB' | 'hugetlbKiB'> {
  intervalMs: number | null;
  threads: ThreadFigures[];
  hostCpus: HostCpuFigures[];
}

const perSecond = (delta: number | null, seconds: number): number | null => (delta === null || seconds <= 0 || delta < 0 ? null : delta / seconds);
const round = (value: number | null, digits = 1): number | null => (value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);

/** Figures of `current`, with rates against `previous` (null rates on the first sample). */
export function computeFigures(previous: VmSample | null, current: VmSample): VmFigures {
  const intervalMs = previous ? current.atMs - previous.atMs : null;
  const seconds = intervalMs === null ? 0 : intervalMs / 1000;
  const before = new Map((previous?.threads ?? []).map((thread) => [thread.tid, thread]));
  const threads = current.threads.map((thread) => threadFigures(before.get(thread.tid) ?? null, thread, seconds));
  const cpusBefore = new Map((previous?.hostCpus ?? []).map((cpu) => [cpu.cpu, cpu]));
  const hostCpus = current.hostCpus.map((cpu) => ({ cpu: cpu.cpu, busyPercent: hostBusy(cpusBefore.get(cpu.cpu) ?? null, cpu) }));
  return { atMs: current.atMs, name: current.name, pid: current.pid, alive: current.alive, rssKiB: current.rssKiB, hugetlbKiB: current.hugetlbKiB, intervalMs, threads, hostCpus };
}

function threadFigures(before: ThreadSample | null, now: ThreadSample, seconds: number): ThreadFigures {
  const delta = (pick: (sample: ThreadSample) => number | null): number | null => {
    if (!before) return null;
    const a = pick(before);
    const b = pick(now);
    return a === null || b === null ? null : b - a;
  };
  const runDelta = delta((sample) => sample.runNs);
  const cpuSeconds = runDelta !== null ? runDelta / 1e9 : (delta((sample) => sample.cpuTicks) ?? NaN) / USER_HZ;
  const cpuPercent = before && seconds > 0 && Number.isFinite(cpuSeconds) && cpuSeconds >= 0 ? (cpuSeconds / seconds) * 100 : null;
  const waitDelta = delta((sample) => sample.waitNs);
  return {
    role: now.role,
    index: now.index,
    ...(now.id === undefined ? {} : { id: now.id }),
    tid: now.tid,
    comm: now.comm,
    state: now.state,
    cpuPercent: round(cpuPercent),
    waitMsPerSec: round(perSecond(waitDelta === null ? null : waitDelta / 1e6, seconds)),
    migrationsPerSec: round(perSecond(delta((sample) => sample.migrations), seconds)),
    involuntaryPerSec: round(perSecond(delta((sample) => sample.nonvoluntaryCtxtSwitches), seconds)),
    lastHostCpu: now.lastHostCpu,
    affinity: now.affinity,
    plannedAffinity: now.plannedAffinity,
    drift: now.plannedAffinity.length > 0 && !sameSet(now.affinity, now.plannedAffinity),
  };
}

function hostBusy(before: HostCpuSample | null, now: HostCpuSample): number | null {
  if (!before) return null;
  const total = now.totalTicks - before.totalTicks;
  const busy = now.busyTicks - before.busyTicks;
  if (total <= 0 || busy < 0) return null;
  return round(Math.min(100, (busy / total) * 100));
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((cpu) => set.has(cpu));
}

/** One disk's counters (QMP query-blockstats), as the rate maths needs them. */
export interface DiskCounterSample {
  device: string;
  rdBytes: number;
  wrBytes: number;
  rdOps: number;
  wrOps: number;
}

export interface DiskRates {
  device: string;
  rdBytesPerSec: number | null;
  wrBytesPerSec: number | null;
  rdOpsPerSec: number | null;
  wrOpsPerSec: number | null;
}

/** Per disk rates between two blockstats readings `seconds` apart (null where a counter reset). */
export function computeDiskRates(before: readonly DiskCounterSample[], after: readonly DiskCounterSample[], seconds: number): DiskRates[] {
  const old = new Map(before.map((disk) => [disk.device, disk]));
  return after.map((disk) => {
    const prev = old.get(disk.device);
    const rate = (pick: (entry: DiskCounterSample) => number) => (prev ? round(perSecond(pick(disk) - pick(prev), seconds), 0) : null);
    return { device: disk.device, rdBytesPerSec: rate((d) => d.rdBytes), wrBytesPerSec: rate((d) => d.wrBytes), rdOpsPerSec: rate((d) => d.rdOps), wrOpsPerSec: rate((d) => d.wrOps) };
  });
}
