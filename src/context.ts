/**
 * The composition root's one context. `src/cli.tsx` builds it once from the real world
 * (`src/run/real-services.ts`) or a test builds it from fakes; everything below receives what it
 * needs from here and never falls back to a real default (no `process.*`, `Date.now` or real
 * process runner below the root).
 */
import type { ParsedArgs } from './cli-args.js';
import type { HostFs } from './host/host-fs.js';
import type { RunCommand } from './run/run-command.js';

/** Time and timers, injectable so the sampler, QMP waits and deadlines run on a fake clock in tests. */
export interface Clock {
  /** Milliseconds since the epoch (wall time, for timestamps and deadlines). */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  sleep(ms: number): Promise<void>;
}

/** Who runs kvm-tui: decides run-dir locations and what the audit may expect to open. */
export interface Identity {
  uid: number | null;
  gid: number | null;
  groups: number[];
  pid: number;
}

export interface DetachedSpawnOptions {
  /** stdout and stderr go to this file (appended); stdin is /dev/null. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Starts a process in its own session (setsid), detached from the terminal, so it survives the
 * TUI exiting, crashing or losing its SSH session (SIGHUP). Resolves with its pid once spawned.
 */
export type SpawnDetached = (argv: readonly string[], options: DetachedSpawnOptions) => Promise<number>;

/** The side-effecting services, independent of the command line. */
export interface Services {
  env: NodeJS.ProcessEnv;
  /** The working directory a relative path the user types (a disk image in the wizard) resolves against. */
  cwd: string;
  /**
   * The user's home directory as the system knows it (os.homedir(): $HOME, else the passwd
   * entry): where ~/.config and ~/.cache are when `env` has neither XDG_* nor HOME. Null: none.
   */
  home: string | null;
  /**
   * The live machine's /proc (and /sys), unrecorded: running VMs, their threads and other QEMUs
   * are read here, never under a captured --root (that is `CommandContext.hostFs`).
   */
  procFs: HostFs;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Terminal facts of the real streams (false/null in tests and pipes). */
  terminal: {
    stdinIsTty: boolean;
    stdoutIsTty: boolean;
    columns: number | null;
    /** The streams the interactive app draws on and reads keys from; null where there is no terminal (tests, pipes). */
    streams: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } | null;
  };
  run: RunCommand;
  spawnDetached: SpawnDetached;
  /** Sends a signal to a process (0 probes it); false when there is no such process or no permission. */
  signal: SignalProcess;
  /**
   * While a step must not be cut short (a launch): on SIGINT, SIGTERM or SIGHUP run `cleanup`,
   * then end the process with 128 + the signal. Returns the function that removes the trap.
   */
  trapSignals: (cleanup: () => Promise<void>) => () => void;
  clock: Clock;
  identity: Identity;
}

export type SignalProcess = (pid: number, signal: NodeJS.Signals | 0) => boolean;

/** What every command (and the interactive app) receives: parsed args, the host root and the services. */
export interface CommandContext extends Services {
  args: ParsedArgs;
  hostFs: HostFs;
  /** True when --root points at a captured host: nothing may touch the live machine. */
  capturedRoot: boolean;
  color: boolean;
  /** `--connect URI` (or LIBVIRT_DEFAULT_URI): the libvirt backend; null = direct QEMU. */
  connectUri: string | null;
  /** `--debug`: full traces for internal errors. */
  debug: boolean;
}

export type CommandRunner = (ctx: CommandContext) => Promise<number>;
