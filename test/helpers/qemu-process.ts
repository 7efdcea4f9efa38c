/**
 * Starting real QEMUs from tests: argument arrays only, detached (own process group, survives
 * nothing it should not), stderr captured for failure messages, every pid remembered so an
 * after() hook (and process exit, as a last resort) can kill -9 what is left. No QEMU may
 * outlive the test process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { QmpClient } from '../../src/run/qmp-client.js';
import { realClock } from '../../src/run/real-services.js';

export const QEMU_BINARY = 'qemu-system-x86_64';

const live = new Map<number, ChildProcess>();
process.on('exit', () => {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Fails (never skips) with what to install when a tool the real tests need is missing. */
export function requireTool(binary: string, apt: string): void {
  const found = spawnSync('bash', ['-c', 'command -v "$1"', 'bash', binary], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(`${binary} is not installed: the real-QEMU tests need it (apt-get install ${apt}; scripts/test-all.sh installs it)`);
  }
}

export interface RunningQemu {
  pid: number;
  child: ChildProcess;
  qmp: QmpClient;
  /** Everything QEMU wrote to stderr so far (warnings included). */
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts argv (argv[0] = the QEMU binary) and connects to its QMP socket. */
export async function startQemu(argv: string[], qmpSocket: string, timeoutMs = 15_000): Promise<RunningQemu> {
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  // 'exit' can come before the last of stderr is read (QEMU's refusal is its last line): the
  // failure message waits for the pipe's end, for at most 2 s.
  const stderrEnded = new Promise<void>((resolve) => {
    child.stderr!.once('close', resolve);
    child.stderr!.once('end', resolve);
  });
  const drained = () => Promise.race([stderrEnded, new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await spawned;
  const pid = child.pid!;
  live.set(pid, child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(pid);
      resolve(code);
    });
  });
  const exitError = async (code: number | null) => {
    await drained();
    return new Error(`QEMU exited (code ${code}) before QMP answered:\n${stderr}\nargv: ${JSON.stringify(argv)}`);
  };
  const qmp = await Promise.race([
    // A QEMU that refuses after it opened its socket resets the connection (ECONNRESET) as it
    // exits: when it has exited within 2 s of a failed connect, its exit and stderr are the error.
    QmpClient.connect(qmpSocket, { clock: realClock, timeoutMs }).catch(async (error: unknown) => {
      const code = await Promise.race([exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 2000).unref())]);
      throw code === 'running' ? error : await exitError(code);
    }),
    exited.then(async (code) => {
      throw await exitError(code);
    }),
  ]).catch((error: unknown) => {
    killNow(pid);
    throw error;
  });
  return { pid, child, qmp, stderr: () => stderr, exited };
}

function killNow(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** quit over QMP, then SIGKILL if it has not exited within 3 s. */
export async function stopQemu(vm: RunningQemu): Promise<void> {
  if (!live.has(vm.pid)) return;
  try {
    if (vm.qmp.closed) throw new Error('QMP closed');
    await vm.qmp.execute('quit', undefined, 2000).catch(() => undefined);
  } catch {
    killNow(vm.pid);
  }
  const timer = setTimeout(() => killNow(vm.pid), 3000);
  await vm.exited;
  clearTimeout(timer);
  vm.qmp.close();
}

/** kill -9 every QEMU these helpers started that is still alive; returns how many there were. */
export async function killAllQemu(): Promise<number> {
  const children = [...live.entries()];
  for (const [pid] of children) killNow(pid);
  await Promise.all(children.map(([, child]) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)))));
  return children.length;
}

/** Thread id -> thread name (comm) of a process, e.g. "CPU 0/TCG", "IO io0". */
export function threadNames(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trimEnd());
    } catch {
      // a worker thread that exited meanwhile
    }
  }
  return out;
}

/** A thread's Cpus_allowed_list as CPU numbers, read from /proc. */
export function threadAffinity(pid: number, tid: number): number[] {
  const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
  const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)![1]!;
  return list.split(',').flatMap((part) => {
    const [first, last = first] = part.split('-').map(Number);
    return Array.from({ length: last! - first! + 1 }, (_, i) => first! + i);
  });
}
