/**
 * Real libvirt from tests: the connection (KVM_TUI_TEST_LIBVIRT, set by scripts/test-all.sh,
 * default qemu:///system), tools that must be installed (tests fail with what to install; they
 * never skip), domain names unique to this run, and cleanup that destroys and undefines every
 * domain this process defined, even when a test failed half-way.
 */
import { realClock } from '../../src/run/real-services.js';
import { runCommand } from '../../src/run/run-command.js';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCpuList } from '../../src/host/cpulist.js';
import { Virsh } from '../../src/run/virsh.js';

export const LIBVIRT_URI = process.env.KVM_TUI_TEST_LIBVIRT || 'qemu:///system';

/** Prefix of every domain the tests define; a leftover one is easy to find and remove by hand. */
export const TEST_DOMAIN_PREFIX = 'kvm-tui-test-';

/** Unique per test process: runs in parallel (or a crashed earlier run) never collide. */
export const RUN_ID = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

/** Fails (never skips) with what to install when a tool the libvirt tests need is missing. */
export function requireTool(binary: string, apt: string): void {
  const found = spawnSync('bash', ['-c', 'command -v "$1"', 'bash', binary], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(`${binary} is not installed: the real-libvirt tests need it (apt-get install ${apt}; scripts/test-all.sh installs it)`);
  }
}

/** A Virsh on the test connection, after waiting (with a limit) for the daemon to answer. */
export async function connectTestLibvirt(): Promise<Virsh> {
  requireTool('virsh', 'libvirt-clients');
  const virsh = new Virsh({ uri: LIBVIRT_URI, timeoutMs: 60_000, run: runCommand, env: process.env, clock: realClock });
  try {
    await virsh.waitUntilReady(90_000);
  } catch (error) {
    throw new Error(
      `libvirt at ${LIBVIRT_URI} does not answer (${(error as Error).message}). ` +
        'Start it as scripts/test-all.sh does (as root: mount hugetlbfs on /dev/hugepages, virtlogd -d, libvirtd -d), ' +
        'or set KVM_TUI_TEST_LIBVIRT to a libvirt URI that works.',
    );
  }
  return virsh;
}

const defined = new Set<string>();

/** Remembers a domain so `removeTestDomains` (and process exit) get rid of it. */
export function trackDomain(name: string): void {
  defined.add(name);
}

/**
 * Destroys (if running) and undefines every tracked domain; returns what went wrong. Each step's
 * failure is collected rather than thrown so one stuck domain does not keep the others alive.
 */
export async function removeTestDomains(virsh: Virsh): Promise<string[]> {
  const problems: string[] = [];
  for (const name of [...defined]) {
    const state = await virsh.domainState(name).catch((error: Error) => `unknown (${error.message})`);
    if (state === null) {
      defined.delete(name);
      continue;
    }
    if (state !== 'shut off') await virsh.destroy(name).catch((error: Error) => problems.push(`destroy ${name}: ${error.message}`));
    await virsh.undefine(name).then(
      () => defined.delete(name),
      (error: Error) => problems.push(`undefine ${name}: ${error.message}`),
    );
  }
  return problems;
}

// Last resort when the test process dies before its after() hooks: synchronous virsh calls.
process.on('exit', () => {
  for (const name of defined) {
    spawnSync('virsh', ['--quiet', '--connect', LIBVIRT_URI, 'destroy', `--domain=${name}`], { stdio: 'ignore', timeout: 20_000 });
    spawnSync('virsh', ['--quiet', '--connect', LIBVIRT_URI, 'undefine', `--domain=${name}`], { stdio: 'ignore', timeout: 20_000 });
  }
});

export interface ThreadInfo {
  tid: number;
  comm: string;
  cpusAllowed: number[];
}

/** Every thread of a process with its name and Cpus_allowed_list, read from /proc. */
export function processThreads(pid: number): ThreadInfo[] {
  const out: ThreadInfo[] = [];
  for (const entry of fs.readdirSync(`/proc/${pid}/task`)) {
    const dir = path.join(`/proc/${pid}/task`, entry);
    try {
      const comm = fs.readFileSync(path.join(dir, 'comm'), 'utf8').replace(/\n$/, '');
      const status = fs.readFileSync(path.join(dir, 'status'), 'utf8');
      const match = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status);
      if (!match) throw new Error(`no Cpus_allowed_list in ${dir}/status`);
      out.push({ tid: Number(entry), comm, cpusAllowed: parseCpuList(match[1]!) });
    } catch (error) {
      // A thread that exited between readdir and read (QEMU's short-lived workers) is not ours to judge.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  return out.sort((a, b) => a.tid - b.tid);
}

/** The thread group (process) a thread id belongs to. */
export function threadGroupOf(tid: number): number {
  const status = fs.readFileSync(`/proc/${tid}/status`, 'utf8');
  const match = /^Tgid:\s*(\d+)$/m.exec(status);
  if (!match) throw new Error(`no Tgid in /proc/${tid}/status`);
  return Number(match[1]);
}

/** The NUL-separated argv of a process. */
export function processArgv(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
}

/** Whether a process still exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s*Z/m.test(status);
  } catch {
    return false;
  }
}

/** Adds `pages` to the 2M huge page pool; returns how many the kernel really added. */
export function reserveHugepages2M(pages: number): number {
  const file = '/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages';
  const before = Number(fs.readFileSync(file, 'utf8'));
  // Relative, not absolute: another test file may hold pages of its own at the same time.
  fs.writeFileSync(file, String(before + pages));
  return Number(fs.readFileSync(file, 'utf8')) - before;
}

/** Gives back pages added by reserveHugepages2M. */
export function releaseHugepages2M(pages: number): void {
  if (pages <= 0) return;
  const file = '/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages';
  const now = Number(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, String(Math.max(0, now - pages)));
}
