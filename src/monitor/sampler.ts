/**
 * The sampler behind the live pane: every `intervalMs` (1 s default) one reading of the VM
 * (sample.ts) turned into figures against the previous one (rates.ts), with a fixed-size history
 * per thread for sparklines. A tick is skipped while the previous one still runs; a VM that
 * exited is a snapshot with `alive: false`, after which the sampler stops by itself. Time comes
 * from the injected clock only, so tests drive it tick by tick.
 */
import type { Clock } from '../context.js';
import type { HostFs } from '../host/host-fs.js';
import type { VmRecord } from '../registry/vm-record.js';
import { RingBuffer } from '../shared/ring-buffer.js';
import { computeFigures, type VmFigures } from './rates.js';
import { readVmSample, type VmSample } from './sample.js';

export const DEFAULT_INTERVAL_MS = 1000;
/** Points of history per thread (two minutes at 1 s). */
export const HISTORY_POINTS = 120;

export interface MonitorSnapshot {
  figures: VmFigures;
  /** Per thread id: CPU% history, oldest first (null = no rate yet). */
  cpuHistory: Map<number, Array<number | null>>;
  /** Ticks skipped because the previous one was still running. */
  skippedTicks: number;
}

export interface SamplerOptions {
  procFs: HostFs;
  record: VmRecord;
  clock: Clock;
  intervalMs?: number;
  onSnapshot: (snapshot: MonitorSnapshot) => void;
  /** A reading that failed (it is retried next tick); never thrown into the UI. */
  onError?: (error: Error) => void;
  /** Reads a sample (default readVmSample); tests inject slow or failing readers. */
  read?: (procFs: HostFs, record: VmRecord, atMs: number) => VmSample | Promise<VmSample>;
}

export class Sampler {
  private previous: VmSample | null = null;
  private readonly history = new Map<number, RingBuffer<number | null>>();
  private timer: unknown = null;
  private busy = false;
  private stopped = false;
  private skipped = 0;

  /** The reader of every pass: on a live root, one that keeps the counter files open between passes. */
  private readonly procFs: HostFs;

  constructor(private readonly options: SamplerOptions) {
    this.procFs = options.procFs.keptOpen();
  }

  /** Takes a first sample now, then one every interval. */
  start(): void {
    void this.tick();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    // A pass still reading closes them when it ends (see read).
    if (!this.busy) this.procFs.closeKept();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      void this.tick();
      this.schedule();
    }, this.options.intervalMs ?? DEFAULT_INTERVAL_MS);
  }

  /** One reading; skipped (and counted) while the last one still runs. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.busy) {
      this.skipped += 1;
      return;
    }
    this.busy = true;
    try {
      await this.read();
    } catch (error) {
      this.options.onError?.(error as Error);
    } finally {
      this.busy = false;
      if (this.stopped) this.procFs.closeKept();
    }
  }

  private async read(): Promise<void> {
    const read = this.options.read ?? readVmSample;
    let sample: VmSample;
    try {
      sample = await read(this.procFs, this.options.record, this.options.clock.now());
    } finally {
      // The files of threads that ended are closed (once stopped, tick closes them all).
      if (!this.stopped) this.procFs.endPass();
    }
    if (this.stopped) return;
    const figures = computeFigures(this.previous, sample);
    this.previous = sample;
    const live = new Set<number>();
    for (const thread of figures.threads) {
      live.add(thread.tid);
      let ring = this.history.get(thread.tid);
      if (!ring) this.history.set(thread.tid, (ring = new RingBuffer(HISTORY_POINTS)));
      ring.push(thread.cpuPercent);
    }
    // Threads that ended take their history with them: memory stays bounded by live threads.
    for (const tid of [...this.history.keys()]) if (!live.has(tid)) this.history.delete(tid);
    const cpuHistory = new Map([...this.history].map(([tid, ring]) => [tid, ring.toArray()]));
    this.options.onSnapshot({ figures, cpuHistory, skippedTicks: this.skipped });
    if (!sample.alive) this.stop();
  }
}
