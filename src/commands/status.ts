/**
 * `kvm-tui status [NAME] [--json]`: the VMs kvm-tui runs on this host, each with its state (from
 * QMP) and per thread where it may run, where the plan put it, and its figures over one second
 * (CPU%, last host CPU, run-queue wait ms/s = the guest's steal, migrations/s). Exit 2 when NAME
 * names no running VM; stale runtime directories are cleaned on the way.
 */
import { allowOnly, maxPositionals } from '../cli-args.js';
import type { Clock, CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { formatCpuList } from '../host/cpulist.js';
import { computeFigures, type VmFigures } from '../monitor/rates.js';
import { readVmSample } from '../monitor/sample.js';
import { listVms } from '../registry/registry.js';
import type { VmRecord } from '../registry/vm-record.js';
import { describeThread } from '../run/launch.js';
import { QmpClient } from '../run/qmp-client.js';
import { runDirPaths } from '../shared/vm-paths.js';
import { refuseCapturedRoot, registryOptions, requireVm } from './live.js';

export type VmState = 'running' | 'paused' | 'shutdown' | 'exited' | 'unknown' | string;

export interface StatusThread {
  role: string;
  index: number;
  id?: string;
  tid: number;
  affinity: number[];
  plannedAffinity: number[];
  cpuPercent: number | null;
  lastHostCpu: number;
  waitMsPerSec: number | null;
  migrationsPerSec: number | null;
  involuntaryPerSec: number | null;
  drift: boolean;
}

export interface StatusEntry {
  name: string;
  pid: number;
  state: VmState;
  qmp: string;
  runDir: string;
  accel: string;
  startedAtMs: number;
  rssKiB: number | null;
  threads: StatusThread[];
}

export async function runStatus(ctx: CommandContext): Promise<number> {
  // --connect: the same command through libvirt (loaded only then).
  if (ctx.connectUri !== null) {
    if (ctx.capturedRoot) throw new UsageError('status: --root and --connect name two different hosts; give one');
    return (await import('./libvirt-commands.js')).runLibvirtStatus(ctx);
  }
  allowOnly(ctx.args, ['json']);
  maxPositionals(ctx.args, 1, 'at most a VM name');
  refuseCapturedRoot(ctx, 'status');
  const name = ctx.args.positionals[0];
  const records = name !== undefined ? [requireVm(ctx, 'status', name).record] : listVms(registryOptions(ctx)).map((vm) => vm.record);
  // One sampling second for all VMs together, not one per VM.
  const entries = await statusEntries(ctx, records, 1000);
  if (ctx.args.values.json) {
    ctx.stdout(JSON.stringify({ vms: entries }, null, 2) + '\n');
    return 0;
  }
  ctx.stdout(entries.length === 0 ? 'no VMs started by kvm-tui are running on this host (for this user)\n' : entries.map(formatEntry).join('\n'));
  return 0;
}

/** One VM's status; `sampleMs` 0 gives affinities without rates (right after launch). */
export async function statusEntry(ctx: CommandContext, record: VmRecord, options: { sampleMs: number }): Promise<StatusEntry> {
  return (await statusEntries(ctx, [record], options.sampleMs))[0]!;
}

async function statusEntries(ctx: CommandContext, records: VmRecord[], sampleMs: number): Promise<StatusEntry[]> {
  const procFs = ctx.procFs;
  const first = records.map((record) => readVmSample(procFs, record, ctx.clock.now()));
  if (sampleMs > 0 && records.length > 0) await ctx.clock.sleep(sampleMs);
  const out: StatusEntry[] = [];
  for (const [index, record] of records.entries()) {
    const second = sampleMs > 0 ? readVmSample(procFs, record, ctx.clock.now()) : first[index]!;
    const figures = computeFigures(sampleMs > 0 ? first[index]! : null, second);
    const state = !figures.alive ? 'exited' : record.phase === 'starting' ? 'starting' : await queryState(runDirPaths(record.runDir).qmpSocket, ctx.clock);
    out.push(toEntry(record, figures, state));
  }
  return out;
}

function toEntry(record: VmRecord, figures: VmFigures, state: VmState): StatusEntry {
  return {
    name: record.name,
    pid: record.pid,
    state,
    qmp: runDirPaths(record.runDir).qmpSocket,
    runDir: record.runDir,
    accel: record.accel,
    startedAtMs: record.startedAtMs,
    rssKiB: figures.rssKiB,
    threads: figures.threads.map((thread) => ({
      role: thread.role,
      index: thread.index,
      ...(thread.id === undefined ? {} : { id: thread.id }),
      tid: thread.tid,
      affinity: thread.affinity,
      plannedAffinity: thread.plannedAffinity,
      cpuPercent: thread.cpuPercent,
      lastHostCpu: thread.lastHostCpu,
      waitMsPerSec: thread.waitMsPerSec,
      migrationsPerSec: thread.migrationsPerSec,
      involuntaryPerSec: thread.involuntaryPerSec,
      drift: thread.drift,
    })),
  };
}

/** QEMU's run state over the short-exchange QMP socket; "unknown" when QMP does not answer in time. */
export async function queryState(socketPath: string, clock: Clock): Promise<VmState> {
  let client: QmpClient | null = null;
  try {
    client = await QmpClient.connect(socketPath, { clock, timeoutMs: 1500, retryMs: 50, commandTimeoutMs: 1500 });
    const status = await client.execute<{ status: string; running: boolean }>('query-status');
    if (status.running) return 'running';
    if (status.status === 'paused' || status.status === 'prelaunch' || status.status === 'suspended') return 'paused';
    return status.status;
  } catch {
    return 'unknown';
  } finally {
    client?.close();
  }
}

const figure = (value: number | null, unit = '') => (value === null ? '-' : `${value}${unit}`);

function formatEntry(entry: StatusEntry): string {
  const lines = [`${entry.name}  ${entry.state}  pid ${entry.pid}  accel ${entry.accel}  rss ${entry.rssKiB === null ? '?' : `${Math.round(entry.rssKiB / 1024)} MiB`}  ${entry.runDir}`];
  lines.push(`  ${'thread'.padEnd(18)} ${'tid'.padStart(7)}  ${'cpu%'.padStart(6)}  ${'on'.padStart(3)}  ${'wait ms/s'.padStart(9)}  ${'migr/s'.padStart(6)}  pinned (plan)`);
  for (const thread of entry.threads) {
    const pinned = formatCpuList(thread.affinity);
    const planned = formatCpuList(thread.plannedAffinity);
    lines.push(
      `  ${describeThread({ role: thread.role as 'vcpu', index: thread.index, id: thread.id }).padEnd(18)} ${String(thread.tid).padStart(7)}  ${figure(thread.cpuPercent).padStart(6)}  ${String(thread.lastHostCpu).padStart(3)}  ${figure(thread.waitMsPerSec).padStart(9)}  ${figure(thread.migrationsPerSec).padStart(6)}  ${pinned}${thread.drift ? `  DRIFT (plan ${planned})` : pinned === planned ? '' : ` (${planned})`}`,
    );
  }
  return lines.join('\n') + '\n';
}
