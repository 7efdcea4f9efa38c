/**
 * Launch: start QEMU paused and detached, pin every thread before the guest runs, verify the
 * pins from /proc, record the VM, then resume it. Each step is named; a failure at any step stops
 * the VM, removes its runtime directory, and reports the step with QEMU's own words.
 *
 *   check    the name is free (no running VM of that name), disk images exist
 *   prepare  the runtime directory (0700), launch.sh (the exact argv, runnable)
 *   start    QEMU in its own session (setsid; survives the TUI and SIGHUP), stdio to qemu.log,
 *            the whole process bound to the emulator CPUs (taskset) so start-up work and memory
 *            preallocation never run on other VMs' or isolated cores
 *   qmp      QMP answers (while QEMU is alive; its exit ends the wait at once)
 *   threads  vCPU thread ids (query-cpus-fast), iothread ids (query-iothreads)
 *   pin      vCPUs and iothreads to their planned CPUs, every other thread to the emulator set
 *   verify   every thread's Cpus_allowed_list in /proc equals the plan
 *   record   vm.json: the registry entry (pid + start time, plan, thread ids)
 *   resume   `cont` (unless asked to stay paused), then query-status says running
 */
import * as fs from 'node:fs';
import type { Clock, SignalProcess, SpawnDetached } from '../context.js';
import { ActionError } from '../errors.js';
import { formatCpuList } from '../host/cpulist.js';
import type { HostFs } from '../host/host-fs.js';
import { isRecordAlive, processStartTicks, removeStaleRunDir } from '../registry/registry.js';
import type { RecordThread, VmRecord } from '../registry/vm-record.js';
import { formatShellPreview } from '../shared/shell-quote.js';
import { runDirPaths, type RunDirPaths } from '../shared/vm-paths.js';
import type { Plan } from '../spec/types.js';
import { listThreads, readThreadAffinity, sameCpus, setThreadAffinity } from './affinity.js';
import { writeFileAtomic } from './atomic-write.js';
import { QmpClient } from './qmp-client.js';
import { ensureRunDir } from './run-dir.js';
import type { RunCommand } from './run-command.js';

export type LaunchStep = 'check' | 'prepare' | 'start' | 'qmp' | 'threads' | 'pin' | 'verify' | 'record' | 'resume';

/** A launch that failed at `step`; `detail` is QEMU's own error text when it said anything. */
export class LaunchError extends ActionError {
  constructor(
    readonly step: LaunchStep,
    message: string,
    readonly detail: string | null = null,
    hint?: string,
  ) {
    super(`launch: ${step}: ${message}${detail ? `\n${detail}` : ''}`, hint);
  }
}

export interface LaunchServices {
  run: RunCommand;
  spawnDetached: SpawnDetached;
  signal: SignalProcess;
  clock: Clock;
  /** The live /proc, read without recording. */
  procFs: HostFs;
  uid: number;
  env: NodeJS.ProcessEnv;
}

export interface LaunchRequest {
  plan: Plan;
  /** The generated QEMU argv (buildQemuArgs with this runDir). */
  argv: string[];
  runDir: string;
  /** Leave the guest paused after pinning (default: resume it). */
  paused?: boolean;
  /** How long QEMU may take to answer on QMP (memory preallocation can take a while). */
  qmpTimeoutMs?: number;
  /** Progress, one line per step. */
  onStep?: (step: LaunchStep, text: string) => void;
}

export interface LaunchResult {
  record: VmRecord;
  state: 'running' | 'paused';
}

interface CpuInfoFast {
  'cpu-index': number;
  'thread-id': number;
}

interface IothreadInfo {
  id: string;
  'thread-id': number;
}

export async function launchVm(request: LaunchRequest, services: LaunchServices): Promise<LaunchResult> {
  const { plan, argv, runDir } = request;
  const paths = runDirPaths(runDir);
  let current: LaunchStep = 'check';
  const step = (name: LaunchStep, text: string) => {
    current = name;
    request.onStep?.(name, text);
  };

  // check
  step('check', `VM "${plan.spec.name}"`);
  refuseRunningTwin(paths, plan.spec.name, services);
  plan.spec.disks.forEach((disk, index) => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(disk.path);
    } catch (error) {
      throw new LaunchError('check', `disk ${index}: ${disk.path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, null, 'create the image first (qemu-img create -f qcow2 FILE SIZE) or give another --disk');
    }
    if (!stat.isFile() && !stat.isBlockDevice()) throw new LaunchError('check', `disk ${index}: ${disk.path} is not a file or block device`);
  });

  // prepare
  step('prepare', runDir);
  try {
    // A dead VM's leftovers (nothing runs there: checked above) would confuse the QMP wait.
    if (fs.existsSync(runDir)) removeStaleRunDir(runDir, services.uid);
    ensureRunDir(runDir, services.uid);
    writeFileAtomic(paths.launchScript, `#!/bin/sh\n# kvm-tui launch of VM ${JSON.stringify(plan.spec.name)}: the exact QEMU command (it starts paused, -S).\nexec ${formatShellPreview(startArgv(plan, argv))}`, { mode: 0o700, overwrite: true });
  } catch (error) {
    removeStaleRunDir(runDir, services.uid);
    if (error instanceof ActionError) throw new LaunchError('prepare', error.message, null, error.hint);
    throw error;
  }

  let pid: number | null = null;
  let qmp: QmpClient | null = null;
  try {
    // start
    const command = startArgv(plan, argv);
    step('start', `${argv[0]} (${plan.emulator.length > 0 ? `bound to CPUs ${formatCpuList(plan.emulator)}` : 'not bound'})`);
    try {
      pid = await services.spawnDetached(command, { logFile: paths.qemuLog, env: services.env });
    } catch (error) {
      throw new LaunchError('start', (error as Error).message, null, (error as ActionError).hint);
    }

    // qmp
    step('qmp', paths.qmpSocket);
    qmp = await waitForQmp(paths, pid, request.qmpTimeoutMs ?? 30_000, services);
    const startTicks = processStartTicks(pid, services.procFs);
    if (startTicks === null) throw new LaunchError('qmp', 'QEMU exited right after answering', qemuLogTail(paths));

    // threads
    const cpus = await qmp.execute<CpuInfoFast[]>('query-cpus-fast');
    const iothreads = await qmp.execute<IothreadInfo[]>('query-iothreads');
    if (cpus.length !== plan.vcpus.length) throw new LaunchError('threads', `QEMU has ${cpus.length} vCPUs, the plan ${plan.vcpus.length}`);
    const threads = threadPlan(plan, cpus, iothreads, pid, services.procFs);
    step('threads', `${cpus.length} vCPU, ${iothreads.length} iothread, ${threads.filter((t) => t.role === 'emulator').length} other threads`);

    // pin
    for (const thread of threads) {
      if (thread.plannedAffinity.length === 0) continue;
      const problem = await setThreadAffinity(services.run, thread.tid, thread.plannedAffinity);
      if (problem) throw new LaunchError('pin', `${describeThread(thread)} (tid ${thread.tid}) to CPUs ${formatCpuList(thread.plannedAffinity)}: ${problem}`);
    }
    step('pin', threads.filter((t) => t.plannedAffinity.length > 0).map((t) => `${describeThread(t)}->${formatCpuList(t.plannedAffinity)}`).join(' '));

    // verify
    for (const thread of threads) {
      if (thread.plannedAffinity.length === 0) continue;
      const actual = readThreadAffinity(services.procFs, pid, thread.tid);
      if (actual === null) throw new LaunchError('verify', `${describeThread(thread)} (tid ${thread.tid}) is gone`, qemuLogTail(paths));
      if (!sameCpus(actual, thread.plannedAffinity)) {
        throw new LaunchError('verify', `${describeThread(thread)} (tid ${thread.tid}) may run on CPUs ${formatCpuList(actual)}, the plan says ${formatCpuList(thread.plannedAffinity)}`, null, 'a cpuset (cgroup) may be narrowing what taskset set');
      }
    }
    step('verify', `${threads.length} threads match the plan (/proc/${pid}/task/*/status)`);

    // record
    const record: VmRecord = {
      format: 1,
      name: plan.spec.name,
      pid,
      startTicks,
      startedAtMs: services.clock.now(),
      runDir,
      accel: plan.spec.accel,
      argv,
      plan,
      threads,
    };
    writeFileAtomic(paths.vmRecord, JSON.stringify(record, null, 1) + '\n', { mode: 0o600, overwrite: true });
    step('record', paths.vmRecord);

    // resume
    if (!request.paused) {
      await qmp.execute('cont');
      const status = await qmp.execute<{ status: string; running: boolean }>('query-status');
      if (!status.running) throw new LaunchError('resume', `after cont, QEMU says ${status.status}`, qemuLogTail(paths));
    }
    step('resume', request.paused ? 'left paused (resume it: kvm-tui monitor, key p)' : 'running');
    qmp.close();
    return { record, state: request.paused ? 'paused' : 'running' };
  } catch (error) {
    // Read QEMU's words before its run dir goes.
    const log = error instanceof LaunchError ? null : qemuLogTail(paths);
    await abandon(pid, qmp, paths, services);
    if (error instanceof LaunchError) throw error;
    throw new LaunchError(current, (error as Error).message, log, (error as ActionError).hint);
  } finally {
    qmp?.close();
  }
}

/**
 * The command launch runs: QEMU's argv, wrapped in taskset when the plan gives the emulator
 * CPUs, so every thread QEMU starts (and the memory it preallocates) begins there.
 */
export function startArgv(plan: Plan, argv: readonly string[]): string[] {
  return plan.emulator.length > 0 ? ['taskset', '--cpu-list', formatCpuList([...plan.emulator]), ...argv] : [...argv];
}

function refuseRunningTwin(paths: RunDirPaths, name: string, services: LaunchServices): void {
  let text: string;
  try {
    text = fs.readFileSync(paths.vmRecord, 'utf8');
  } catch {
    return;
  }
  let record: VmRecord | null = null;
  try {
    record = JSON.parse(text) as VmRecord;
  } catch {
    return;
  }
  if (record && Number.isInteger(record.pid) && isRecordAlive(record, services.procFs)) {
    throw new LaunchError('check', `a VM named ${JSON.stringify(name)} is already running (pid ${record.pid})`, null, `stop it first (kvm-tui stop ${JSON.stringify(name)}) or give another --name`);
  }
}

/** Connects to QMP, giving up as soon as QEMU exits (with its log) or at the deadline. */
async function waitForQmp(paths: RunDirPaths, pid: number, timeoutMs: number, services: LaunchServices): Promise<QmpClient> {
  const deadline = services.clock.now() + timeoutMs;
  for (;;) {
    if (!processRuns(pid, services)) throw new LaunchError('qmp', 'QEMU exited during start-up', qemuLogTail(paths) ?? '(QEMU printed nothing)');
    try {
      return await QmpClient.connect(paths.qmpSocket, { clock: services.clock, timeoutMs: 250, retryMs: 25, commandTimeoutMs: 10_000 });
    } catch (error) {
      if (services.clock.now() >= deadline) {
        throw new LaunchError('qmp', `no QMP answer on ${paths.qmpSocket} within ${Math.round(timeoutMs / 1000)} s: ${(error as Error).message}`, qemuLogTail(paths));
      }
    }
  }
}

function processRuns(pid: number, services: LaunchServices): boolean {
  const text = services.procFs.read(`/proc/${pid}/stat`);
  if (text === null) return false;
  const state = text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** Each thread of the process with its role and planned CPUs. */
function threadPlan(plan: Plan, cpus: CpuInfoFast[], iothreads: IothreadInfo[], pid: number, procFs: HostFs): RecordThread[] {
  const out: RecordThread[] = [];
  const known = new Set<number>();
  for (const cpu of [...cpus].sort((a, b) => a['cpu-index'] - b['cpu-index'])) {
    const planned = plan.vcpus.find((vcpu) => vcpu.vcpu === cpu['cpu-index']);
    out.push({ role: 'vcpu', index: cpu['cpu-index'], tid: cpu['thread-id'], plannedAffinity: planned?.hostCpu === null || planned?.hostCpu === undefined ? [...plan.emulator] : [planned.hostCpu] });
    known.add(cpu['thread-id']);
  }
  for (const iothread of iothreads) {
    const index = plan.iothreads.findIndex((entry) => entry.id === iothread.id);
    const planned = index >= 0 ? plan.iothreads[index]!.hostCpus : [];
    out.push({ role: 'iothread', index: Math.max(index, 0), id: iothread.id, tid: iothread['thread-id'], plannedAffinity: planned.length > 0 ? [...planned] : [...plan.emulator] });
    known.add(iothread['thread-id']);
  }
  // Everything else (main loop, RCU, workers) belongs on the emulator CPUs.
  let index = 0;
  for (const tid of listThreads(procFs, pid)) {
    if (known.has(tid)) continue;
    out.push({ role: 'emulator', index: index++, tid, plannedAffinity: [...plan.emulator] });
  }
  return out;
}

export function describeThread(thread: Pick<RecordThread, 'role' | 'index' | 'id'>): string {
  if (thread.role === 'vcpu') return `vCPU ${thread.index}`;
  if (thread.role === 'iothread') return `iothread ${thread.id ?? thread.index}`;
  return thread.index === 0 ? 'emulator' : `emulator thread ${thread.index}`;
}

/** The last lines QEMU wrote (its error text), or null when it wrote nothing. */
export function qemuLogTail(paths: RunDirPaths, maxLines = 12): string | null {
  try {
    const text = fs.readFileSync(paths.qemuLog, 'utf8').trim();
    if (text === '') return null;
    return text.split('\n').slice(-maxLines).map((line) => `qemu: ${line}`).join('\n');
  } catch {
    return null;
  }
}

/** Stops a half-launched VM (quit over QMP, else SIGKILL), waits for it, removes its run dir. */
async function abandon(pid: number | null, qmp: QmpClient | null, paths: RunDirPaths, services: LaunchServices): Promise<void> {
  if (pid !== null && processRuns(pid, services)) {
    if (qmp && !qmp.closed) await qmp.execute('quit', undefined, 2000).catch(() => undefined);
    const deadline = services.clock.now() + 3000;
    while (processRuns(pid, services) && services.clock.now() < deadline) await services.clock.sleep(25);
    if (processRuns(pid, services)) {
      services.signal(pid, 'SIGKILL');
      const killDeadline = services.clock.now() + 3000;
      while (processRuns(pid, services) && services.clock.now() < killDeadline) await services.clock.sleep(25);
    }
  }
  // Nothing of the failed VM stays behind (its log is in the error).
  removeStaleRunDir(paths.dir, services.uid);
}
