/**
 * A small QMP client over a unix socket (node:net): connect (retrying until a deadline, because
 * QEMU creates the socket a moment after it starts), negotiate capabilities, run commands,
 * collect events.
 *
 * Long-running safe: events are kept in a bounded ring (the newest EVENT_HISTORY), a line longer
 * than MAX_LINE_BYTES is a protocol error rather than a growing buffer, and every timer and
 * deadline runs on the injected Clock (tests drive it; nothing here reads Date.now).
 *
 * Replies are matched to commands by the "id" QMP echoes back, never by position: QEMU may send
 * events (SHUTDOWN, POWERDOWN, ...) before the reply they relate to.
 */
import * as net from 'node:net';
import type { Clock } from '../context.js';
import { ActionError } from '../errors.js';
import { RingBuffer } from '../shared/ring-buffer.js';

/** Events kept for waitForEvent and the monitor's log; older ones are dropped. */
export const EVENT_HISTORY = 256;
/** Longer than any QMP reply kvm-tui asks for (query-qmp-schema is ~200 KiB). */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number } | null;
}

/** Could not reach QMP at all. */
export class QmpConnectError extends ActionError {}
/** QEMU answered a command with an error (its class and text, verbatim). */
export class QmpCommandError extends ActionError {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly description: string,
  ) {
    super(`QMP ${command} failed: ${description}`, errorClass === 'CommandNotFound' ? 'this QEMU is too old for that command' : undefined);
  }
}
/** The connection ended (QEMU exited or took `quit`) before the reply came. */
export class QmpClosedError extends ActionError {}
/** No reply (or event) within the time allowed. */
export class QmpTimeoutError extends ActionError {}
/** Something that is not QMP answered on the socket. */
export class QmpProtocolError extends ActionError {}

export interface QmpConnectOptions {
  /** Timers and deadlines (the composition root's clock). */
  clock: Clock;
  /** Give up connecting after this long (the socket may not exist yet). Default 5000. */
  timeoutMs?: number;
  /** Pause between connection attempts. Default 25. */
  retryMs?: number;
  /** Default timeout for each command. Default 10000. */
  commandTimeoutMs?: number;
  /** Asked before each retry: a reason to stop waiting (QEMU exited), or null to go on. */
  giveUp?: () => string | null;
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: unknown;
}

export class QmpClient {
  private readonly history = new RingBuffer<QmpEvent>(EVENT_HISTORY);
  /** The greeting's QEMU version, e.g. { major: 7, minor: 2, micro: 22 }. */
  version: { major: number; minor: number; micro: number } | null = null;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly eventListeners = new Set<(event: QmpEvent) => void>();
  private greeting: ((line: Record<string, unknown>) => void) | null = null;
  private closedError: Error | null = null;

  private constructor(
    private readonly socket: net.Socket,
    readonly socketPath: string,
    private readonly commandTimeoutMs: number,
    private readonly clock: Clock,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => this.onClosed(new QmpClosedError(`QMP connection to ${socketPath} failed: ${error.message}`)));
    socket.on('close', () => this.onClosed(new QmpClosedError(`QMP connection to ${socketPath} closed (QEMU exited?)`)));
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(socketPath: string, options: QmpConnectOptions): Promise<QmpClient> {
    const { clock } = options;
    const deadline = clock.now() + (options.timeoutMs ?? 5000);
    const retryMs = options.retryMs ?? 25;
    let lastError: NodeJS.ErrnoException | null = null;
    for (;;) {
      try {
        const socket = await openSocket(socketPath);
        const client = new QmpClient(socket, socketPath, options.commandTimeoutMs ?? 10_000, clock);
        await client.handshake(Math.max(deadline - clock.now(), 1000));
        return client;
      } catch (error) {
        if (error instanceof QmpProtocolError || error instanceof QmpCommandError) throw error;
        lastError = error as NodeJS.ErrnoException;
        // ENOENT: QEMU has not created the socket yet; ECONNREFUSED: a stale socket file or not listening yet.
        const retryable = lastError.code === 'ENOENT' || lastError.code === 'ECONNREFUSED' || error instanceof QmpClosedError;
        if (!retryable || clock.now() + retryMs > deadline) break;
        const reason = options.giveUp?.() ?? null;
        if (reason !== null) throw new QmpConnectError(`stopped waiting for QMP at ${socketPath}: ${reason}`);
        await clock.sleep(retryMs);
      }
    }
    const code = lastError?.code;
    throw new QmpConnectError(
      `cannot connect to QMP at ${socketPath}: ${lastError?.message ?? 'timed out'}`,
      code === 'ENOENT'
        ? 'no socket there: is the VM running, and was it started with this run dir?'
        : code === 'ECONNREFUSED'
          ? 'nothing listens on the socket: QEMU has exited (a stale socket file remains)'
          : code === 'EACCES'
            ? 'permission denied: the VM belongs to another user (try as root)'
            : undefined,
    );
  }

  private handshake(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.socket.destroy();
        reject(new QmpTimeoutError(`no QMP greeting from ${this.socketPath} within ${timeoutMs} ms`, 'is another program holding the socket?'));
      }, timeoutMs);
      this.greeting = (message) => {
        this.clock.clearTimeout(timer);
        this.greeting = null;
        const qmp = message.QMP as { version?: { qemu?: { major: number; minor: number; micro: number } } } | undefined;
        if (!qmp) {
          this.socket.destroy();
          reject(new QmpProtocolError(`${this.socketPath} did not greet with QMP`, 'is this a QMP socket (-mon mode=control)?'));
          return;
        }
        this.version = qmp.version?.qemu ?? null;
        this.execute('qmp_capabilities').then(() => resolve(), reject);
      };
      this.closedRejectHandshake = (error) => {
        this.clock.clearTimeout(timer);
        reject(error);
      };
    });
  }

  private closedRejectHandshake: ((error: Error) => void) | null = null;

  /** Runs a command and resolves with its "return" value; rejects with QmpCommandError etc. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = this.commandTimeoutMs): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = `kvm-tui-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpTimeoutError(`QMP ${command}: no reply within ${timeoutMs} ms`, 'QEMU may be hung; check its process state'));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject, timer });
      const message = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(JSON.stringify(message) + '\n');
    });
  }

  /** Calls `listener` for each event from now on; returns an unsubscribe function. */
  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** The kept events (the newest EVENT_HISTORY), oldest first. */
  get events(): QmpEvent[] {
    return this.history.toArray();
  }

  /** How many events arrived so far (kept or not): pass it to waitForEvent as `since`. */
  get eventCount(): number {
    return this.history.total;
  }

  /** Resolves with the first event named `name` numbered `since` or later (default: any kept so far). */
  waitForEvent(name: string, timeoutMs = this.commandTimeoutMs, since = 0): Promise<QmpEvent> {
    const seen = this.history.since(since).find((event) => event.event === name);
    if (seen) return Promise.resolve(seen);
    return new Promise<QmpEvent>((resolve, reject) => {
      const stop = this.onEvent((event) => {
        if (event.event !== name) return;
        this.clock.clearTimeout(timer);
        stop();
        resolve(event);
      });
      const timer = this.clock.setTimeout(() => {
        stop();
        reject(new QmpTimeoutError(`no ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Closes the connection (the VM keeps running). */
  close(): void {
    this.socket.end();
    this.socket.destroy();
    this.onClosed(new QmpClosedError('QMP connection closed by kvm-tui'));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length > MAX_LINE_BYTES && !this.buffer.includes('\n')) {
      this.buffer = '';
      this.failAll(new QmpProtocolError(`a line over ${MAX_LINE_BYTES} bytes on the QMP socket ${this.socketPath}: not QMP`));
      this.socket.destroy();
      return;
    }
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line === '') continue;
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.failAll(new QmpProtocolError(`not JSON on the QMP socket ${this.socketPath}: ${line.slice(0, 80)}`));
        this.socket.destroy();
        return;
      }
      this.dispatch(message);
    }
  }

  private dispatch(message: Record<string, unknown>): void {
    if (this.greeting) {
      this.greeting(message);
      return;
    }
    if (typeof message.event === 'string') {
      const event: QmpEvent = {
        event: message.event,
        data: (message.data as Record<string, unknown>) ?? {},
        timestamp: (message.timestamp as QmpEvent['timestamp']) ?? null,
      };
      this.history.push(event);
      for (const listener of [...this.eventListeners]) listener(event);
      return;
    }
    const id = typeof message.id === 'string' ? message.id : null;
    const pending = id === null ? undefined : this.pending.get(id);
    if (!pending) return; // a reply to a command that already timed out
    this.pending.delete(id!);
    this.clock.clearTimeout(pending.timer);
    if ('return' in message) {
      pending.resolve(message.return);
    } else if (message.error && typeof message.error === 'object') {
      const error = message.error as { class?: string; desc?: string };
      pending.reject(new QmpCommandError(pending.command, error.class ?? 'GenericError', error.desc ?? 'unknown error'));
    } else {
      pending.reject(new QmpProtocolError(`QMP ${pending.command}: reply without return or error`));
    }
  }

  private onClosed(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    this.closedRejectHandshake?.(error);
    this.closedRejectHandshake = null;
    this.failAll(error);
  }

  private failAll(error: Error): void {
    for (const [id, pending] of this.pending) {
      this.clock.clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(error);
    }
  }
}

function openSocket(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path: socketPath });
    const onError = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
