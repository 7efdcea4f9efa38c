/**
 * One reading of a VM and its host: per thread /proc/PID/task/TID/{stat,schedstat,status,sched},
 * the process's memory from /proc/PID/status, and every host CPU's counters from /proc/stat.
 * Reads only (through a non-recording HostFs); a thread or process that vanished is a state in
 * the sample, never an exception. Rates come from two samples (rates.ts).
 */
import type { HostFs } from '../host/host-fs.js';
import { parseTaskSched, parseTaskSchedstat, parseTaskStat, parseTaskStatus } from '../host/proc-task.js';
import type { RecordThread, ThreadRole, VmRecord } from '../registry/vm-record.js';
import { isRecordAlive } from '../registry/registry.js';
import { isVhostKernelThreadOf } from '../host/vhost-thread.js';

export interface ThreadSample {
  role: ThreadRole;
  index: number;
  id?: string;
  tid: number;
  comm: string;
  state: string;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  /** schedstat: on-CPU and run-queue wait time, ns (null without schedstats). */
  runNs: number | null;
  waitNs: number | null;
  nonvoluntaryCtxtSwitches: number;
  migrations: number | null;
  lastHostCpu: number;
  affinity: number[];
  plannedAffinity: number[];
}

export interface HostCpuSample {
  cpu: number;
  /** Jiffies spent busy (everything but idle and iowait) and in all. */
  busyTicks: number;
  totalTicks: number;
}

export interface VmSample {
  atMs: number;
  name: string;
  pid: number;
  /** The QEMU process is still the one launched. */
  alive: boolean;
  rssKiB: number | null;
  /** Huge pages mapped by the process (HugetlbPages in /proc/PID/status), KiB. */
  hugetlbKiB: number | null;
  threads: ThreadSample[];
  hostCpus: HostCpuSample[];
}

/** Reads one sample. `atMs` comes from the caller's clock. */
export function readVmSample(procFs: HostFs, record: VmRecord, atMs: number): VmSample {
  const alive = isRecordAlive(record, procFs);
  const threads: ThreadSample[] = [];
  let rssKiB: number | null = null;
  let hugetlbKiB: number | null = null;
  if (alive) {
    const status = procFs.read(`/proc/${record.pid}/status`);
    const rss = status === null ? null : /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    rssKiB = rss ? Number(rss[1]) : null;
    const huge = status === null ? null : /^HugetlbPages:\s+(\d+)\s+kB/m.exec(status);
    hugetlbKiB = huge ? Number(huge[1]) : null;
    const byTid = new Map(record.threads.map((thread) => [thread.tid, thread]));
    let otherIndex = record.threads.filter((thread) => thread.role === 'emulator').length;
    const emulatorPlan = record.plan.emulator;
    for (const name of procFs.list(`/proc/${record.pid}/task`)) {
      const tid = Number(name);
      if (!Number.isInteger(tid)) continue;
      const known: RecordThread = byTid.get(tid) ?? { role: 'emulator', index: otherIndex++, tid, plannedAffinity: [...emulatorPlan] };
      const sample = readThread(procFs, record.pid, known);
      if (sample) threads.push(sample);
    }
    // vhost-net kernel threads (Linux < 6.4) are their own processes, outside QEMU's task list.
    for (const thread of record.threads) {
      if (thread.tgid === undefined || thread.tgid === record.pid) continue;
      // Gone (its tid perhaps another process's now): not this VM's to show.
      if (!isVhostKernelThreadOf(procFs, thread.tid, record.pid)) continue;
      const sample = readThread(procFs, thread.tgid, thread);
      if (sample) threads.push(sample);
    }
  }
  return { atMs, name: record.name, pid: record.pid, alive, rssKiB, hugetlbKiB, threads: sortThreads(threads), hostCpus: readHostCpus(procFs) };
}

function readThread(procFs: HostFs, pid: number, thread: RecordThread): ThreadSample | null {
  const base = `/proc/${pid}/task/${thread.tid}`;
  const stat = parseTaskStat(procFs.read(`${base}/stat`) ?? '');
  const status = parseTaskStatus(procFs.read(`${base}/status`) ?? '');
  if (stat === null || status === null) return null; // exited between the listing and the read
  const parsed = parseTaskSchedstat(procFs.read(`${base}/schedstat`) ?? '');
  // A kernel without sched_info prints "0 0 0" for every task: zeros beside real CPU time mean
  // "not counted", so CPU% falls back to clock ticks and wait is unknown.
  const schedstat = parsed && parsed.runNs === 0 && parsed.timeslices === 0 && stat.utimeTicks + stat.stimeTicks > 0 ? null : parsed;
  const sched = parseTaskSched(procFs.read(`${base}/sched`) ?? '');
  return {
    role: thread.role,
    index: thread.index,
    ...(thread.id === undefined ? {} : { id: thread.id }),
    tid: thread.tid,
    comm: stat.comm,
    state: stat.state,
    cpuTicks: stat.utimeTicks + stat.stimeTicks,
    runNs: schedstat?.runNs ?? null,
    waitNs: schedstat?.waitNs ?? null,
    nonvoluntaryCtxtSwitches: status.nonvoluntaryCtxtSwitches,
    migrations: sched?.migrations ?? null,
    lastHostCpu: stat.lastHostCpu,
    affinity: status.cpusAllowed,
    plannedAffinity: thread.plannedAffinity,
  };
}

const ROLE_ORDER: Record<ThreadRole, number> = { vcpu: 0, iothread: 1, vhost: 2, emulator: 3 };

function sortThreads(threads: ThreadSample[]): ThreadSample[] {
  return threads.sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.index - b.index || a.tid - b.tid);
}

/** Per-CPU lines of /proc/stat ("cpu3 user nice system idle iowait irq softirq steal ..."). */
export function parseProcStatCpus(text: string): HostCpuSample[] {
  const out: HostCpuSample[] = [];
  for (const line of text.split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const values = match[2]!.trim().split(/\s+/).map(Number);
    // guest and guest_nice (fields 9, 10) are already counted in user and nice.
    const counted = values.slice(0, 8);
    if (counted.length < 4 || counted.some((value) => !Number.isFinite(value))) continue;
    const total = counted.reduce((sum, value) => sum + value, 0);
    const idle = (counted[3] ?? 0) + (counted[4] ?? 0);
    out.push({ cpu: Number(match[1]), busyTicks: total - idle, totalTicks: total });
  }
  return out;
}

function readHostCpus(procFs: HostFs): HostCpuSample[] {
  return parseProcStatCpus(procFs.read('/proc/stat') ?? '');
}
