/**
 * Launch: start QEMU paused and detached, pin every thread before the guest runs, verify the
 * pins from /proc, record the VM, then resume it. Each step is named; a failure at any step stops
 * the VM, removes its runtime directory, and reports the step with QEMU's own words.
 *
 *   check    the name is free (no running VM of that name), disk images exist, the UEFI
 *            firmware files and swtpm are there when the guest needs them
 *   prepare  the runtime directory (0700), launch.sh (the exact argv, runnable), the state dir
 *            with the VM's UEFI variable store (copied from the template once, then kept)
 *   start    swtpm for a TPM (src/run/guest-state.ts; it exits with QEMU), then QEMU in its own session (setsid; survives the TUI and SIGHUP), stdio to qemu.log,
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
import { isRecordAlive, liveLockHolder, processRuns, processStartTicks, readRecord, removeStaleRunDir } from '../registry/registry.js';
import type { RecordThread, VmRecord } from '../registry/vm-record.js';
import { formatShellPreview } from '../shared/shell-quote.js';
import { runDirPaths, type RunDirPaths } from '../shared/vm-paths.js';
import type { Plan } from '../spec/types.js';
import { listThreads, readThreadAffinity, readThreadScheduler, sameCpus, SCHED_POLICY_NUMBER, setThreadAffinity, setThreadScheduler, vhostWorkers } from './affinity.js';
import { writeFileAtomic } from './atomic-write.js';
import { QmpClient } from './qmp-client.js';
import { ensureRunDir } from './run-dir.js';
import { guestStateProblems, needsGuestState, prepareStateDir, startSwtpm, stopSwtpm } from './guest-state.js';
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
  /** This process's pid, written into the launch lock. */
  launcherPid: number;
  /**
   * Runs `cleanup` (stop the half-started VM) if the launcher is interrupted (SIGINT, SIGTERM,
   * SIGHUP), then ends the process; returns the function that removes the trap.
   */
  trapInterrupts?: (cleanup: () => Promise<void>) => () => void;
}

export interface LaunchRequest {
  plan: Plan;
  /** The generated QEMU argv (buildQemuArgs with this runDir). */
  argv: string[];
  runDir: string;
  /** The VM's persistent dir (UEFI variables, TPM state): the one the argv was built with (default: runDir). */
  stateDir?: string;
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
  const stateDir = request.stateDir ?? runDir;
  const paths = runDirPaths(runDir);
  // `current` names the step whose work is running, so an unexpected failure is reported there.
  let current: LaunchStep = 'check';
  const begin = (name: LaunchStep) => {
    current = name;
  };
  const report = (name: LaunchStep, text: string) => request.onStep?.(name, text);

  // check
  report('check', `VM "${plan.spec.name}"`);
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
  const platform = guestStateProblems(plan, services.env);
  if (platform.length > 0) throw new LaunchError('check', platform.map((problem) => problem.message).join('; '), null, platform.map((problem) => problem.hint).join('; '));

  // prepare: the run dir, and the launch lock (one launch of a VM at a time).
  begin('prepare');
  report('prepare', runDir);
  let locked = false;
  try {
    // A dead VM's leftovers would confuse the QMP wait; removeStaleRunDir keeps a live one's.
    if (fs.existsSync(runDir)) removeStaleRunDir(runDir, services.uid, services.procFs);
    ensureRunDir(runDir, services.uid);
    takeLaunchLock(paths, services);
    locked = true;
    if (needsGuestState(plan)) prepareStateDir(plan, stateDir, services.uid);
    writeFileAtomic(paths.launchScript, `#!/bin/sh\n# kvm-tui launch of VM ${JSON.stringify(plan.spec.name)}: the exact QEMU command (it starts paused, -S).\nexec ${formatShellPreview(startArgv(plan, argv))}`, { mode: 0o700, overwrite: true });
  } catch (error) {
    if (locked) fs.rmSync(paths.launchLock, { force: true });
    removeStaleRunDir(runDir, services.uid, services.procFs);
    if (error instanceof LaunchError) throw error;
    if (error instanceof ActionError) throw new LaunchError('prepare', error.message, null, error.hint);
    throw error;
  }

  let pid: number | null = null;
  let swtpmPid: number | null = null;
  let qmp: QmpClient | null = null;
  let finished = false;
  // Ctrl-C, a lost SSH session or a kill during launch must not orphan a paused QEMU.
  const untrap = services.trapInterrupts?.(async () => {
    if (finished) return;
    finished = true;
    await abandon(pid, qmp, paths, services, swtpmPid);
  });
  try {
    // start
    begin('start');
    const command = startArgv(plan, argv);
    report('start', `${argv[0]} (${plan.emulator.length > 0 ? `bound to CPUs ${formatCpuList(plan.emulator)}` : 'not bound'})`);
    if (plan.spec.guest.tpm) {
      try {
        // On the emulator CPUs too, as QEMU: the TPM's work is the VM's housekeeping.
        swtpmPid = await startSwtpm(runDir, stateDir, services, (swtpm) => startArgv(plan, swtpm));
      } catch (error) {
        throw new LaunchError('start', `swtpm: ${(error as Error).message}`, null, (error as ActionError).hint);
      }
      report('start', `swtpm (pid ${swtpmPid}) on ${paths.tpmSocket}`);
    }
    try {
      pid = await services.spawnDetached(command, { logFile: paths.qemuLog, env: services.env });
    } catch (error) {
      throw new LaunchError('start', (error as Error).message, null, (error as ActionError).hint);
    }
    const startTicks = processStartTicks(pid, services.procFs);
    if (startTicks === null) throw new LaunchError('start', 'QEMU exited at once', qemuLogTail(paths) ?? '(QEMU printed nothing)');
    // Known from now on: the registry holds its CPUs and `status`/`stop` see it.
    const record: VmRecord = {
      format: 1,
      phase: 'starting',
      name: plan.spec.name,
      pid,
      startTicks,
      startedAtMs: services.clock.now(),
      runDir,
      accel: plan.spec.accel,
      argv,
      plan,
      threads: [],
    };
    writeFileAtomic(paths.vmRecord, JSON.stringify(record, null, 1) + '\n', { mode: 0o600, overwrite: true });

    // qmp
    begin('qmp');
    report('qmp', paths.qmpSocket);
    qmp = await waitForQmp(paths, pid, request.qmpTimeoutMs ?? qmpTimeoutFor(plan), services);

    // threads
    begin('threads');
    const cpus = await qmp.execute<CpuInfoFast[]>('query-cpus-fast');
    const iothreads = await qmp.execute<IothreadInfo[]>('query-iothreads');
    if (cpus.length !== plan.vcpus.length) throw new LaunchError('threads', `QEMU has ${cpus.length} vCPUs, the plan ${plan.vcpus.length}`);
    const threads = threadPlan(plan, cpus, iothreads, pid, services.procFs);
    const vhost = threads.filter((t) => t.role === 'vhost');
    report('threads', `${cpus.length} vCPU, ${iothreads.length} iothread, ${vhost.length > 0 ? `${vhost.length} vhost worker${vhost.length === 1 ? '' : 's'}${vhost.some((t) => t.tgid !== undefined) ? ' (kernel threads)' : ''}, ` : ''}${threads.filter((t) => t.role === 'emulator').length} other threads`);

    // pin
    begin('pin');
    for (const thread of threads) {
      if (thread.plannedAffinity.length === 0) continue;
      const problem = await setThreadAffinity(services.run, thread.tid, thread.plannedAffinity);
      if (problem && thread.role === 'vhost' && thread.tgid !== undefined) {
        // A kernel thread is root's: a user with /dev/kvm and /dev/vhost-net may not move it.
        // The VM is still right without it; say so and leave it where it is.
        report('pin', `${describeThread(thread)} (kernel thread ${thread.tid}) left where it is: ${problem} (vhost kernel threads belong to root: launch as root to pin them)`);
        thread.plannedAffinity = [];
        continue;
      }
      if (problem) throw new LaunchError('pin', `${describeThread(thread)} (tid ${thread.tid}) to CPUs ${formatCpuList(thread.plannedAffinity)}: ${problem}`);
    }
    // Real-time vCPUs (spec.vcpuScheduler): set once pinned, still before the guest runs.
    const scheduler = plan.spec.vcpuScheduler;
    if (scheduler) {
      for (const thread of threads.filter((t) => t.role === 'vcpu')) {
        const problem = await setThreadScheduler(services.run, thread.tid, scheduler.policy, scheduler.priority);
        if (problem) throw new LaunchError('pin', `${describeThread(thread)} (tid ${thread.tid}) to ${scheduler.policy} priority ${scheduler.priority}: ${problem}`, null, 'real-time scheduling needs root or CAP_SYS_NICE (and RLIMIT_RTPRIO)');
      }
    }
    report('pin', threads.filter((t) => t.plannedAffinity.length > 0).map((t) => `${describeThread(t)}->${formatCpuList(t.plannedAffinity)}`).join(' ') + (scheduler ? `; vCPUs ${scheduler.policy} priority ${scheduler.priority}` : ''));

    // verify
    begin('verify');
    for (const thread of threads) {
      if (thread.plannedAffinity.length === 0) continue;
      const actual = readThreadAffinity(services.procFs, thread.tgid ?? pid, thread.tid);
      if (actual === null) throw new LaunchError('verify', `${describeThread(thread)} (tid ${thread.tid}) is gone`, qemuLogTail(paths));
      if (!sameCpus(actual, thread.plannedAffinity)) {
        throw new LaunchError('verify', `${describeThread(thread)} (tid ${thread.tid}) may run on CPUs ${formatCpuList(actual)}, the plan says ${formatCpuList(thread.plannedAffinity)}`, null, 'a cpuset (cgroup) may be narrowing what taskset set');
      }
    }
    if (scheduler) {
      for (const thread of threads.filter((t) => t.role === 'vcpu')) {
        const actual = readThreadScheduler(services.procFs, pid, thread.tid);
        if (actual === null) throw new LaunchError('verify', `${describeThread(thread)} (tid ${thread.tid}) is gone`, qemuLogTail(paths));
        if (actual.policy !== SCHED_POLICY_NUMBER[scheduler.policy] || actual.priority !== scheduler.priority) {
          throw new LaunchError('verify', `${describeThread(thread)} (tid ${thread.tid}) runs policy ${actual.policy} priority ${actual.priority}, the plan says ${scheduler.policy} ${scheduler.priority}`);
        }
      }
    }
    report('verify', `${threads.length} threads match the plan (/proc/${pid}/task/*/status${scheduler ? ', vCPU policies in stat' : ''})`);

    // record
    begin('record');
    const ready: VmRecord = { ...record, phase: 'ready', threads };
    writeFileAtomic(paths.vmRecord, JSON.stringify(ready, null, 1) + '\n', { mode: 0o600, overwrite: true });
    report('record', paths.vmRecord);

    // resume
    begin('resume');
    if (!request.paused) {
      await qmp.execute('cont');
      const status = await qmp.execute<{ status: string; running: boolean }>('query-status');
      if (!status.running) throw new LaunchError('resume', `after cont, QEMU says ${status.status}`, qemuLogTail(paths));
    }
    report('resume', request.paused ? 'left paused (resume it: kvm-tui monitor, key p)' : 'running');
    finished = true;
    return { record: ready, state: request.paused ? 'paused' : 'running' };
  } catch (error) {
    // Read QEMU's words before its run dir goes.
    const log = error instanceof LaunchError ? null : qemuLogTail(paths);
    if (!finished) {
      finished = true;
      await abandon(pid, qmp, paths, services, swtpmPid);
    }
    if (error instanceof LaunchError) throw error;
    throw new LaunchError(current, (error as Error).message, log, (error as ActionError).hint);
  } finally {
    untrap?.();
    qmp?.close();
    fs.rmSync(paths.launchLock, { force: true });
  }
}

/** Memory preallocation is the slow part of a start: 30 s, plus 2 s per GiB preallocated. */
export function qmpTimeoutFor(plan: Plan): number {
  const preallocGiB = plan.spec.memory.prealloc ? plan.memory.sizeMiB / 1024 : 0;
  return 30_000 + Math.ceil(preallocGiB) * 2000;
}

/** Exclusive: a second launch of the same VM while one runs is refused; a dead launcher's lock is taken over. */
function takeLaunchLock(paths: RunDirPaths, services: LaunchServices): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(paths.launchLock, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
      fs.writeSync(fd, `${services.launcherPid}\n`);
      fs.closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = liveLockHolder(paths.dir, (pid) => services.signal(pid, 0));
      if (holder !== null) throw new LaunchError('check', `another launch of this VM is in progress (pid ${holder})`, null, 'wait for it, or stop it');
      fs.rmSync(paths.launchLock, { force: true });
    }
  }
  throw new LaunchError('prepare', `cannot take the launch lock ${paths.launchLock}`);
}

/**
 * The command launch runs: QEMU's argv, wrapped in taskset when the plan gives the emulator
 * CPUs, so every thread QEMU starts (and the memory it preallocates) begins there.
 */
export function startArgv(plan: Plan, argv: readonly string[]): string[] {
  return plan.emulator.length > 0 ? ['taskset', '--cpu-list', formatCpuList([...plan.emulator]), ...argv] : [...argv];
}

function refuseRunningTwin(paths: RunDirPaths, name: string, services: LaunchServices): void {
  // A record being written by a launch in progress counts too (phase "starting").
  const record = readRecord(paths.dir, services.uid);
  if (record && isRecordAlive(record, services.procFs, services.uid)) {
    throw new LaunchError('check', `a VM named ${JSON.stringify(name)} is ${record.phase === 'starting' ? 'being started' : 'already running'} (pid ${record.pid})`, null, `stop it first (kvm-tui stop ${JSON.stringify(name)}) or give another --name`);
  }
}

/** Connects to QMP, giving up as soon as QEMU exits (with its log) or at the deadline. */
async function waitForQmp(paths: RunDirPaths, pid: number, timeoutMs: number, services: LaunchServices): Promise<QmpClient> {
  const exited = () => (processRuns(pid, services.procFs) ? null : 'QEMU exited');
  try {
    // One wait for the whole time: retrying while the socket is missing or refused, then one
    // handshake that waits for the greeting (QEMU listens before its main loop runs, during
    // memory preallocation; handshakes cut short would pile dead connections in its backlog).
    return await QmpClient.connect(paths.qmpSocket, { clock: services.clock, timeoutMs, retryMs: 50, commandTimeoutMs: 10_000, giveUp: exited });
  } catch (error) {
    if (exited()) throw new LaunchError('qmp', 'QEMU exited during start-up', qemuLogTail(paths) ?? '(QEMU printed nothing)');
    throw new LaunchError('qmp', `no QMP answer on ${paths.qmpSocket} within ${Math.round(timeoutMs / 1000)} s: ${(error as Error).message}`, qemuLogTail(paths));
  }
}


/** Each thread of the process with its role and planned CPUs. */
export function threadPlan(plan: Plan, cpus: CpuInfoFast[], iothreads: IothreadInfo[], pid: number, procFs: HostFs): RecordThread[] {
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
  // vhost-net's workers (tap with vhost=on) move the VM's packets: with the emulator, on the
  // housekeeping CPUs of the VM's node, never on a vCPU's core. Before Linux 6.4 they are
  // kernel threads outside QEMU's process, which pinning its threads alone would miss.
  if (plan.spec.network.mode === 'tap' && plan.spec.network.vhost) {
    vhostWorkers(procFs, pid).forEach((worker, index) => {
      out.push({ role: 'vhost', index, tid: worker.tid, ...(worker.tgid === pid ? {} : { tgid: worker.tgid }), plannedAffinity: [...plan.emulator] });
      known.add(worker.tid);
    });
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
  if (thread.role === 'vhost') return `vhost worker ${thread.index}`;
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
async function abandon(pid: number | null, qmp: QmpClient | null, paths: RunDirPaths, services: LaunchServices, swtpmPid: number | null = null): Promise<void> {
  if (pid !== null && processRuns(pid, services.procFs)) {
    if (qmp && !qmp.closed) await qmp.execute('quit', undefined, 2000).catch(() => undefined);
    const deadline = services.clock.now() + 3000;
    while (processRuns(pid, services.procFs) && services.clock.now() < deadline) await services.clock.sleep(25);
    if (processRuns(pid, services.procFs)) {
      // QEMU ends cleanly on SIGTERM; SIGKILL only if it does not.
      services.signal(pid, 'SIGTERM');
      const termDeadline = services.clock.now() + 2000;
      while (processRuns(pid, services.procFs) && services.clock.now() < termDeadline) await services.clock.sleep(25);
    }
    if (processRuns(pid, services.procFs)) {
      services.signal(pid, 'SIGKILL');
      const killDeadline = services.clock.now() + 3000;
      while (processRuns(pid, services.procFs) && services.clock.now() < killDeadline) await services.clock.sleep(25);
    }
  }
  // swtpm ends with QEMU once QEMU connected; one QEMU never reached would keep it.
  if (swtpmPid !== null) stopSwtpm(paths.dir, services.signal, services.procFs, swtpmPid);
  // Nothing of the failed VM stays behind (its log is in the error).
  fs.rmSync(paths.launchLock, { force: true });
  removeStaleRunDir(paths.dir, services.uid, services.procFs);
}
