/**
 * A fixed-size history: the newest `capacity` items, oldest first. Anything a long-running
 * process keeps per tick or per event (QMP events, samples) lives in one, so memory stays flat
 * however long the monitor runs. Items are numbered from 0 in push order (`total` counts them
 * all), so a reader can ask for "what came after item N" even after old ones were dropped.
 */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  private start = 0;
  /** How many items were ever pushed (the next item's number). */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring buffer capacity must be a whole number >= 1, got ${capacity}`);
  }

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
    this.total += 1;
  }

  get size(): number {
    return this.items.length;
  }

  /** The kept items, oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  /** The kept items numbered `from` or later, oldest first. */
  since(from: number): T[] {
    const firstKept = this.total - this.items.length;
    return this.toArray().slice(Math.max(0, from - firstKept));
  }

  /** The newest item, or undefined when empty. */
  latest(): T | undefined {
    return this.items.length === 0 ? undefined : this.items[(this.start + this.items.length - 1) % this.items.length];
  }
}
