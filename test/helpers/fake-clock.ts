/**
 * A Clock (src/context.ts) that moves only when the test says: `advance(ms)` runs the timers
 * that fall due, in order, and resolves sleeps. For code whose timing is the behaviour (the
 * sampler's tick, deadlines, backoff), so tests never wait on the wall clock.
 */
import type { Clock } from '../../src/context.js';

interface Timer {
  id: number;
  at: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  private nowMs: number;
  private nextId = 1;
  protected timers: Timer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, at: this.nowMs + Math.max(0, ms), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Moves time on by `ms`, running each timer due on the way at its own time (earliest first,
   * then in the order set), letting promise callbacks settle between timers.
   */
  async advance(ms: number): Promise<void> {
    const end = this.nowMs + ms;
    for (;;) {
      await flushMicrotasks();
      const due = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.nowMs = Math.max(this.nowMs, due.at);
      due.callback();
    }
    this.nowMs = end;
    await flushMicrotasks();
  }
}

/**
 * A FakeClock that moves by itself: while a timer or sleep is pending it waits `pauseMs` of real
 * time, then jumps to the earliest one and runs it. For deadline loops around real processes
 * (wait up to 3 s for a signalled child to end, retry a socket every 50 ms for 20 s): the code
 * sees the same sequence of times, and a real process it waits on still gets real moments to
 * act between two steps, but no test waits out a deadline on the wall clock.
 */
export class SteppingClock extends FakeClock {
  private stepping: NodeJS.Timeout | null = null;

  constructor(startMs = 1_700_000_000_000, private readonly pauseMs = 2) {
    super(startMs);
  }

  override setTimeout(callback: () => void, ms: number): unknown {
    const handle = super.setTimeout(callback, ms);
    this.step();
    return handle;
  }

  private step(): void {
    if (this.stepping !== null) return;
    this.stepping = setTimeout(() => {
      this.stepping = null;
      const next = this.timers.reduce<Timer | null>((earliest, timer) => (earliest === null || timer.at < earliest.at ? timer : earliest), null);
      if (next === null) return;
      void this.advance(Math.max(0, next.at - this.now())).then(() => {
        if (this.timers.length > 0) this.step();
      });
    }, this.pauseMs);
  }
}

/** Lets pending promise reactions (and one macrotask turn) run. */
export async function flushMicrotasks(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}
