/**
 * The fleet view's model: one watcher per libvirt host, each on its own timer. A tick reads
 * `virsh domstats` (one call for every domain) and, every few ticks or when the domain list
 * changes, the pins; figures are rates against the previous reading. A host that does not
 * answer (down, unreachable, a call cut by its timeout) becomes an error section with libvirt's
 * words while the other hosts keep updating; it is retried with backoff (1 s doubling to 30 s),
 * and its section comes back on the first answer. Time comes from the injected clock only.
 */
import type { Clock } from '../context.js';
import { LibvirtBackend, pinDrift } from '../backend/libvirt-backend.js';
import { domainRates, type DomainInfo, type DomainRates, type DomainStats } from '../backend/libvirt-domains.js';
import type { RunCommand } from '../run/run-command.js';

export const FLEET_INTERVAL_MS = 2000;
/** A call that takes longer is cut: one slow host must not stall its section for long. */
export const FLEET_CALL_TIMEOUT_MS = 5000;
export const BACKOFF_START_MS = 1000;
export const BACKOFF_MAX_MS = 30_000;
/** Pins are re-read every this many ticks (they change rarely; domstats has none). */
export const PIN_EVERY_TICKS = 5;

/** What the pane's keys do to one domain. */
export type FleetAction = 'pause' | 'resume' | 'shutdown' | 'destroy' | 'repin';

export interface FleetDomain {
  info: DomainInfo;
  rates: DomainRates | null;
  drift: string[];
}

export interface FleetHostState {
  uri: string;
  status: 'connecting' | 'ok' | 'down';
  domains: FleetDomain[];
  /** libvirt's (or virsh's) words for the last failure. */
  error: string | null;
  /** Clock time of the last good reading, and when the next attempt is due while down. */
  updatedAtMs: number | null;
  retryAtMs: number | null;
  failures: number;
}

export interface FleetOptions {
  uris: string[];
  run: RunCommand;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  intervalMs?: number;
  /** Told whenever a host's state changes (more listeners: subscribe). */
  onChange?: (hosts: FleetHostState[]) => void;
}

class HostWatcher {
  state: FleetHostState;
  private readonly backend: LibvirtBackend;
  private previous: { stats: DomainStats[]; atMs: number } | null = null;
  private pins: DomainInfo[] = [];
  private ticks = 0;
  private timer: unknown = null;
  private stopped = false;
  private busy = false;
  private pinsStale = false;
  /** States libvirt confirmed to a control, kept over readings that began before it. */
  private readonly confirmed = new Map<string, { state: string; generation: number }>();
  private generation = 0;

  constructor(
    uri: string,
    private readonly options: FleetOptions,
    private readonly changed: () => void,
  ) {
    this.state = { uri, status: 'connecting', domains: [], error: null, updatedAtMs: null, retryAtMs: null, failures: 0 };
    this.backend = new LibvirtBackend({ uri, run: options.run, env: options.env, clock: options.clock, timeoutMs: FLEET_CALL_TIMEOUT_MS });
  }

  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Retry a down host now (the user's `r`). */
  retryNow(): void {
    if (this.state.status !== 'ok') this.refreshNow();
  }

  /** One action on one of this host's domains; the section is re-read (pins too) right after. */
  async control(name: string, action: FleetAction): Promise<string> {
    try {
      switch (action) {
        case 'pause':
          await this.backend.suspend(name);
          this.setDomainState(name, 'paused');
          return `${name}: paused`;
        case 'resume':
          await this.backend.resume(name);
          this.setDomainState(name, 'running');
          return `${name}: resumed`;
        case 'shutdown':
          await this.backend.shutdown(name);
          return `${name}: ACPI power button sent; the guest shuts down if it listens (F forces)`;
        case 'destroy':
          await this.backend.destroy(name);
          this.setDomainState(name, 'shut off');
          return `${name}: forced off (still defined)`;
        case 'repin':
          return await this.backend.repinToPlan(name);
      }
    } finally {
      this.pinsStale = true;
      this.refreshNow();
    }
  }

  /**
   * What libvirt just confirmed, shown at once: the row must not say "running" after "paused" was
   * answered (the next key reads the row), until the re-read that follows brings the same.
   */
  private setDomainState(name: string, state: string): void {
    this.generation += 1;
    this.confirmed.set(name, { state, generation: this.generation });
    this.pins = this.pins.map((info) => (info.name === name ? { ...info, state } : info));
    this.state = { ...this.state, domains: this.state.domains.map((domain) => (domain.info.name === name ? { ...domain, info: { ...domain.info, state } } : domain)) };
    this.changed();
  }

  private refreshNow(): void {
    if (this.stopped || this.busy) return;
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    void this.tick();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, ms);
  }

  async tick(): Promise<void> {
    if (this.stopped || this.busy) return;
    this.busy = true;
    const startedAt = this.generation;
    try {
      const stats = await this.backend.stats();
      const atMs = this.options.clock.now();
      const names = stats.map((entry) => entry.name).sort().join('\n');
      const known = this.pins.map((entry) => entry.name).sort().join('\n');
      if (this.pinsStale || this.state.status !== 'ok' || this.ticks % PIN_EVERY_TICKS === 0 || names !== known) {
        this.pinsStale = false;
        this.pins = await this.backend.domains();
      }
      if (this.stopped) return;
      this.ticks += 1;
      const before = this.previous;
      this.state = {
        ...this.state,
        status: 'ok',
        error: null,
        updatedAtMs: atMs,
        retryAtMs: null,
        failures: 0,
        domains: this.pins.map((read) => {
          // A reading that began before a control's answer does not undo what it confirmed.
          const kept = this.confirmed.get(read.name);
          const info = kept && kept.generation > startedAt ? { ...read, state: kept.state } : read;
          const now = stats.find((entry) => entry.name === info.name);
          const old = before?.stats.find((entry) => entry.name === info.name);
          return {
            info,
            rates: now ? domainRates(old, now, before ? atMs - before.atMs : 0) : null,
            drift: info.plan && info.state !== 'shut off' ? pinDrift(info.plan, info) : [],
          };
        }),
      };
      this.previous = { stats, atMs };
      for (const [name, kept] of this.confirmed) if (kept.generation <= startedAt) this.confirmed.delete(name);
      // A control during this reading asked for a fresh one: take it now, not in an interval.
      this.schedule(this.pinsStale ? 0 : (this.options.intervalMs ?? FLEET_INTERVAL_MS));
    } catch (error) {
      if (this.stopped) return;
      const failures = this.state.failures + 1;
      const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** Math.min(failures - 1, 10));
      // Rates across an outage would mix two daemons' lives: start over when it is back.
      this.previous = null;
      this.state = { ...this.state, status: 'down', error: fleetError((error as Error).message), failures, retryAtMs: this.options.clock.now() + wait };
      this.schedule(wait);
    } finally {
      this.busy = false;
      if (!this.stopped) this.changed();
    }
  }
}

/**
 * libvirt's words on one line, its boilerplate dropped so the cause is what a narrow row shows:
 * "virsh domstats failed: failed to connect to the hypervisor Failed to connect socket to
 * '/run/x': No such file or directory" -> "Failed to connect socket to '/run/x': No such file or directory".
 */
export function fleetError(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const cause = flat.replace(/^virsh [\w-]+ failed: /, '').replace(/^failed to connect to the hypervisor (?=\S)/i, '');
  return (cause || flat).slice(0, 300);
}

/** Watches every host; `onChange` gets all hosts' states whenever one of them changes. */
export class Fleet {
  private readonly watchers: HostWatcher[];
  private readonly listeners = new Set<(hosts: FleetHostState[]) => void>();

  constructor(private readonly options: FleetOptions) {
    if (options.onChange) this.listeners.add(options.onChange);
    this.watchers = options.uris.map((uri) => new HostWatcher(uri, options, () => this.emit()));
  }

  private emit(): void {
    const hosts = this.hosts();
    for (const listener of this.listeners) listener(hosts);
  }

  subscribe(listener: (hosts: FleetHostState[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  now(): number {
    return this.options.clock.now();
  }

  hosts(): FleetHostState[] {
    return this.watchers.map((watcher) => watcher.state);
  }

  start(): void {
    for (const watcher of this.watchers) watcher.start();
  }

  stop(): void {
    for (const watcher of this.watchers) watcher.stop();
  }

  retryNow(): void {
    for (const watcher of this.watchers) watcher.retryNow();
  }

  /** An action on a domain of one host (the pane's p, s, F, r); resolves with what happened. */
  async control(uri: string, name: string, action: FleetAction): Promise<string> {
    const watcher = this.watchers.find((entry) => entry.state.uri === uri);
    if (!watcher) throw new Error(`no host ${uri} in this fleet`);
    return watcher.control(name, action);
  }
}
