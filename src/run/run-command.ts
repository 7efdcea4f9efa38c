/**
 * The one way kvm-tui runs a short host command (a version query, a sysctl the user asked to
 * apply): an argument array, a timeout, and a result that is data, never a throw. Probes and the
 * checklist's "apply" get a `RunCommand` injected, so tests pass a fake and a captured host passes
 * none at all.
 *
 * execa is imported on first use only: loading it costs more than a whole audit of file reads,
 * and a warm audit (versions cached) runs no command at all.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface CommandResult {
  /** Exited with status 0 within the timeout. */
  ok: boolean;
  stdout: string;
  stderr: string;
  /** null when the process did not exit by itself (timeout, signal, spawn failure). */
  exitCode: number | null;
  timedOut: boolean;
  /** One line saying what went wrong (spawn error, signal, timeout, exit status); null when ok. */
  error: string | null;
}

export interface RunOptions {
  /** Kill the command after this long; default 2000 ms. */
  timeoutMs?: number;
  /** Written to the command's stdin (then closed). */
  input?: string;
  env?: NodeJS.ProcessEnv;
}

export type RunCommand = (argv: readonly string[], options?: RunOptions) => Promise<CommandResult>;

export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/** Runs argv[0] with argv[1..] (no shell). Never throws. */
export const runCommand: RunCommand = async (argv, options = {}) => {
  if (argv.length === 0) return failed('empty command');
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  let execa: typeof import('execa').execa;
  try {
    ({ execa } = await import('execa'));
  } catch (error) {
    return failed(`cannot load execa: ${(error as Error).message}`);
  }
  let timer: NodeJS.Timeout | null = null;
  try {
    // Its own process group, so a timeout ends the whole group: a wrapper script that ignores
    // SIGTERM, or its children holding our pipes open, must not keep the audit waiting.
    const subprocess = execa(argv[0]!, argv.slice(1), {
      reject: false,
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : 'pipe',
      env: options.env,
      extendEnv: options.env === undefined,
      stripFinalNewline: true,
      detached: true,
    });
    let timedOut = false;
    timer = setTimeout(() => {
      timedOut = true;
      killGroup(subprocess.pid, 'SIGTERM');
      setTimeout(() => killGroup(subprocess.pid, 'SIGKILL'), 500).unref();
    }, timeoutMs);
    const result = await subprocess;
    const stdout = String(result.stdout ?? '');
    const stderr = String(result.stderr ?? '');
    const exitCode = typeof result.exitCode === 'number' ? result.exitCode : null;
    if (timedOut) {
      return { ok: false, stdout, stderr, exitCode: null, timedOut: true, error: `timed out after ${timeoutMs} ms` };
    }
    if (exitCode === 0) return { ok: true, stdout, stderr, exitCode, timedOut: false, error: null };
    const why =
      (result as { code?: string }).code === 'ENOENT'
        ? `${argv[0]}: not found`
        : exitCode === null
          ? `killed by ${result.signal ?? 'a signal'}`
          : `exit status ${exitCode}${firstLine(stderr) ? `: ${firstLine(stderr)}` : ''}`;
    return { ok: false, stdout, stderr, exitCode, timedOut: false, error: why };
  } catch (error) {
    return failed((error as Error).message.split('\n')[0] ?? String(error));
  } finally {
    if (timer) clearTimeout(timer);
  }
};

/** Signals a whole process group (its leader's pid, negated); quiet when it is gone already. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined || pid <= 1) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group has exited
  }
}

function failed(error: string): CommandResult {
  return { ok: false, stdout: '', stderr: '', exitCode: null, timedOut: false, error };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

/**
 * The path `name` would run as, looked up in PATH like execvp (no spawn), or null. Only for
 * the live host: a captured host's binaries are not part of the capture.
 */
export function findExecutable(name: string, pathEnv: string | undefined): string | null {
  if (name.includes('/')) return isExecutableFile(name) ? name : null;
  for (const dir of (pathEnv ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
