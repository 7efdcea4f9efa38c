/**
 * Controls of a running VM and its event stream, as the live pane uses them.
 *
 * One QMP owner per socket: the pane holds the VM's second monitor (monitor.sock) for events and
 * for its own commands, so `kvm-tui status`, `stop` and the pin script keep the first
 * (qmp.sock) free for their short exchanges. Re-pin uses taskset and verifies from /proc, as
 * launch does.
 */
import type { Clock } from '../context.js';
import type { HostFs } from '../host/host-fs.js';
import type { VmRecord } from '../registry/vm-record.js';
import { RingBuffer } from '../shared/ring-buffer.js';
import { runDirPaths } from '../shared/vm-paths.js';
import { isVhostKernelThreadOf } from '../host/vhost-thread.js';
import { listThreads, readThreadAffinity, sameCpus, setThreadAffinity } from './affinity.js';
import { describeThread } from './launch.js';
import { QmpClient, type QmpEvent } from './qmp-client.js';
import type { RunCommand } from './run-command.js';

export interface VmEventLine {
  atMs: number;
  text: string;
}

/** One disk's counters from QMP query-blockstats. */
export interface DiskCounters {
  device: string;
  rdBytes: number;
  wrBytes: number;
  rdOps: number;
  wrOps: number;
}

export interface VmControlServices {
  clock: Clock;
  run: RunCommand;
  procFs: HostFs;
}

export class VmControl {
  private client: QmpClient | null = null;
  readonly events = new RingBuffer<VmEventLine>(100);
  /** QEMU's run state as QMP last said ("running", "paused", "shutdown"...); null before the first answer. */
  state: string | null = null;
  private listeners = new Set<() => void>();

  constructor(
    private readonly record: VmRecord,
    private readonly services: VmControlServices,
  ) {}

  /** Connects to the VM's monitor socket and reads its state; resolves with an error text or null. */
  async connect(): Promise<string | null> {
    let client: QmpClient;
    try {
      client = await QmpClient.connect(runDirPaths(this.record.runDir).monitorSocket, { clock: this.services.clock, timeoutMs: 3000, retryMs: 50, commandTimeoutMs: 5000 });
    } catch (error) {
      if (!this.closed) this.log(`QMP: ${(error as Error).message}`);
      return (error as Error).message;
    }
    // The pane may have left while we connected: a late client must not keep the process alive.
    if (this.closed) {
      client.close();
      return 'closed';
    }
    this.client = client;
    this.client.onEvent((event) => this.onEvent(event));
    await this.refreshState();
    return null;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async refreshState(): Promise<void> {
    const status = await this.command<{ status: string; running: boolean }>('query-status');
    if (status) this.setState(status.running ? 'running' : status.status === 'prelaunch' ? 'paused' : status.status);
  }

  async pause(): Promise<void> {
    if ((await this.command('stop')) !== undefined) this.log('paused (QMP stop)');
  }

  async resume(): Promise<void> {
    if ((await this.command('cont')) !== undefined) this.log('resumed (QMP cont)');
  }

  /** The ACPI power button: the guest decides to shut down. */
  async powerdown(): Promise<void> {
    if ((await this.command('system_powerdown')) !== undefined) this.log('ACPI power button pressed (system_powerdown)');
  }

  /** Ends QEMU at once (no guest shutdown). */
  async forceQuit(): Promise<void> {
    if ((await this.command('quit')) !== undefined) this.log('QEMU told to quit');
  }

  /**
   * Every disk's I/O counters (QMP query-blockstats): [] when QEMU has no disk, null when QMP gave
   * no answer (before it answers, after it went away, on an error: simply no reading).
   */
  async blockstats(): Promise<DiskCounters[] | null> {
    if (!this.client || this.client.closed) return null;
    const stats = await this.command<Array<{ device?: string; qdev?: string; 'node-name'?: string; stats?: Record<string, number> }>>('query-blockstats', true);
    if (!Array.isArray(stats)) return null;
    return stats.map((entry) => ({
      device: entry.qdev || entry.device || entry['node-name'] || '?',
      rdBytes: entry.stats?.rd_bytes ?? 0,
      wrBytes: entry.stats?.wr_bytes ?? 0,
      rdOps: entry.stats?.rd_operations ?? 0,
      wrOps: entry.stats?.wr_operations ?? 0,
    }));
  }

  /** Puts every recorded thread back on its planned CPUs and checks /proc; returns a summary line. */
  async repin(): Promise<string> {
    let fixed = 0;
    const problems: string[] = [];
    // Every thread the process has now: recorded ones to their plan, ones QEMU started since
    // (workers inherit their creator's CPUs, an iothread's included) to the emulator CPUs.
    const recorded = new Map(this.record.threads.map((thread) => [thread.tid, thread]));
    const current = [
      ...listThreads(this.services.procFs, this.record.pid).map(
        (tid, index) => recorded.get(tid) ?? { role: 'emulator' as const, index: this.record.threads.length + index, tid, plannedAffinity: [...this.record.plan.emulator] },
      ),
      // vhost-net kernel threads (Linux < 6.4): their own processes, not in QEMU's task list.
      // Only while each is still this VM's worker: a gone worker's tid may be another process now.
      ...this.record.threads.filter((thread) => thread.tgid !== undefined && thread.tgid !== this.record.pid && isVhostKernelThreadOf(this.services.procFs, thread.tid, this.record.pid)),
    ];
    for (const thread of current) {
      if (thread.plannedAffinity.length === 0) continue;
      const now = readThreadAffinity(this.services.procFs, thread.tgid ?? this.record.pid, thread.tid);
      if (now === null) continue;
      if (sameCpus(now, thread.plannedAffinity)) continue;
      const problem = await setThreadAffinity(this.services.run, thread.tid, thread.plannedAffinity);
      const after = readThreadAffinity(this.services.procFs, thread.tgid ?? this.record.pid, thread.tid);
      if (problem || after === null || !sameCpus(after, thread.plannedAffinity)) problems.push(`${describeThread(thread)}: ${problem ?? 'still off plan'}`);
      else fixed += 1;
    }
    const text = problems.length > 0 ? `re-pin: ${problems.join('; ')}` : fixed === 0 ? 're-pin: every thread already on plan' : `re-pin: ${fixed} thread${fixed === 1 ? '' : 's'} back on plan`;
    this.log(text);
    return text;
  }

  close(): void {
    this.closed = true;
    this.client?.close();
    this.client = null;
  }

  private closed = false;

  /** Runs a QMP command; failures go to the event log (once per kind when `quiet`, for per-tick queries). */
  private async command<T>(name: string, quiet = false): Promise<T | undefined> {
    if (!this.client || this.client.closed) {
      if (!quiet || !this.reported.has(name)) this.log(`QMP ${name}: not connected`);
      this.reported.add(name);
      return undefined;
    }
    try {
      return await this.client.execute<T>(name);
    } catch (error) {
      if (!quiet || !this.reported.has(name)) this.log(`QMP ${name}: ${(error as Error).message}`);
      this.reported.add(name);
      return undefined;
    }
  }

  private readonly reported = new Set<string>();

  private onEvent(event: QmpEvent): void {
    const stateOf: Record<string, string> = { STOP: 'paused', RESUME: 'running', SHUTDOWN: 'shutdown', SUSPEND: 'suspended', GUEST_PANICKED: 'guest-panicked' };
    const detail = event.event === 'SHUTDOWN' ? ` (${String(event.data.reason ?? '')})` : '';
    this.log(`event ${event.event}${detail}`);
    if (stateOf[event.event]) this.setState(stateOf[event.event]!);
  }

  private setState(state: string): void {
    this.state = state;
    this.emit();
  }

  log(text: string): void {
    this.events.push({ atMs: this.services.clock.now(), text });
    this.emit();
  }

  private emit(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
