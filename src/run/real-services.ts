/**
 * The real world, built once by the composition root (src/cli.tsx). Nothing else in the program
 * reads `process.env`, the process's identity or the wall clock on its own.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { ActionError } from '../errors.js';
import type { Clock, DetachedSpawnOptions, Identity, Services } from '../context.js';
import { HostFs } from '../host/host-fs.js';
import { runCommand } from './run-command.js';

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function realIdentity(): Identity {
  return {
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    gid: typeof process.getgid === 'function' ? process.getgid() : null,
    groups: typeof process.getgroups === 'function' ? process.getgroups() : [],
    pid: process.pid,
  };
}

/**
 * spawn(..., {detached: true}) calls setsid(): the child leads its own session with no
 * controlling terminal, so the terminal's SIGHUP never reaches it (nohup is not enough for QEMU,
 * which installs its own SIGHUP handler). stdio goes to the log file, never to our pipes.
 */
export async function spawnDetachedReal(argv: readonly string[], options: DetachedSpawnOptions): Promise<number> {
  if (argv.length === 0) throw new ActionError('nothing to start (empty command)');
  const logFd = fs.openSync(options.logFile, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: options.env,
      cwd: options.cwd,
    });
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        reject(new ActionError(`cannot start ${argv[0]}: ${error.code === 'ENOENT' ? 'not found' : error.message}`, error.code === 'ENOENT' ? `install it or put it on PATH` : undefined));
      });
      child.once('spawn', () => {
        child.unref();
        resolve(child.pid!);
      });
    });
  } finally {
    fs.closeSync(logFd);
  }
}

export function signalReal(pid: number, signal: NodeJS.Signals | 0): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false; // never the whole group (0, -1) or init
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every cleanup trapped now (the wizard's terminal restore, a launch in progress inside it): on
 * the first of SIGINT, SIGTERM or SIGHUP all of them run to the end, newest first (the launch
 * stops its half-started QEMU before the terminal is given back), then the process exits once.
 */
const trapped = new Set<() => Promise<void>>();
const SIGNAL_EXIT: Array<[NodeJS.Signals, number]> = [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]];
let ending = false;
const onSignal = (code: number) => () => {
  if (ending) return;
  ending = true;
  void (async () => {
    for (const cleanup of [...trapped].reverse()) await cleanup().catch(() => undefined);
    process.exit(code);
  })();
};
const signalHandlers = SIGNAL_EXIT.map(([name, code]) => [name, onSignal(code)] as const);

export function trapSignalsReal(cleanup: () => Promise<void>): () => void {
  if (trapped.size === 0) for (const [name, handler] of signalHandlers) process.on(name, handler);
  trapped.add(cleanup);
  return () => {
    trapped.delete(cleanup);
    if (trapped.size === 0) for (const [name, handler] of signalHandlers) process.off(name, handler);
  };
}

/** os.homedir() ($HOME, else the passwd entry); null where it has none (it throws then). */
export function realHome(): string | null {
  try {
    return os.homedir() || null;
  } catch {
    return null;
  }
}

/** process.cwd(), which throws when the directory was removed: then the shell's $PWD (paths under it read as missing). */
function realCwd(): string {
  try {
    return process.cwd();
  } catch {
    return process.env.PWD || '/';
  }
}

export function realServices(): Services {
  return {
    env: process.env,
    cwd: realCwd(),
    home: realHome(),
    procFs: new HostFs('/', { record: false }),
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    terminal: {
      stdinIsTty: Boolean(process.stdin.isTTY),
      stdoutIsTty: Boolean(process.stdout.isTTY),
      columns: process.stdout.isTTY ? process.stdout.columns || null : null,
      streams: { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    },
    run: runCommand,
    spawnDetached: spawnDetachedReal,
    signal: signalReal,
    trapSignals: trapSignalsReal,
    clock: realClock,
    identity: realIdentity(),
  };
}
