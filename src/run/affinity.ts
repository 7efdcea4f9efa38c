/**
 * Thread CPU affinity: set with util-linux's taskset (Node has no sched_setaffinity) as an
 * argument array, read back from /proc/PID/task/TID/status, which is what the scheduler uses.
 */
import { formatCpuList } from '../host/cpulist.js';
import type { HostFs } from '../host/host-fs.js';
import { parseTaskStat, parseTaskStatus } from '../host/proc-task.js';
import { isVhostKernelThreadOf } from '../host/vhost-thread.js';
import type { RunCommand } from './run-command.js';

/** Sets one thread's affinity. Resolves with null, or the error text taskset printed. */
export async function setThreadAffinity(run: RunCommand, tid: number, hostCpus: readonly number[]): Promise<string | null> {
  if (hostCpus.length === 0) return 'no host CPUs given';
  const result = await run(['taskset', '--pid', '--cpu-list', formatCpuList([...hostCpus]), String(tid)], { timeoutMs: 5000 });
  if (result.ok) return null;
  return (result.stderr.trim() || result.error || 'taskset failed').split('\n')[0]!;
}

/** The CPUs a thread of process `pid` may run on now, or null when the thread is gone. */
export function readThreadAffinity(procFs: HostFs, pid: number, tid: number): number[] | null {
  const text = procFs.read(`/proc/${pid}/task/${tid}/status`);
  return text === null ? null : (parseTaskStatus(text)?.cpusAllowed ?? null);
}

/** The thread ids of a process, in /proc order; [] when it is gone. */
export function listThreads(procFs: HostFs, pid: number): number[] {
  return procFs
    .list(`/proc/${pid}/task`)
    .map(Number)
    .filter((tid) => Number.isInteger(tid) && tid > 0);
}

/**
 * vhost-net's worker threads for the QEMU process `pid` (one per tap queue with vhost=on), each
 * with the process that holds it. Since Linux 6.4 they are threads of QEMU itself, named
 * "vhost-PID"; before it (Debian 12's 6.1 among them) they are kernel threads of that name,
 * children of kthreadd (PPid 2), outside QEMU's /proc/PID/task, so pinning QEMU's threads alone
 * leaves them wherever the scheduler puts them: on the vCPUs' cores too. The kernel-thread scan
 * of /proc runs only when QEMU has none of its own.
 */
export function vhostWorkers(procFs: HostFs, pid: number): Array<{ tid: number; tgid: number }> {
  const name = `vhost-${pid}`;
  const own = listThreads(procFs, pid)
    .filter((tid) => procFs.read(`/proc/${pid}/task/${tid}/comm`)?.trim() === name)
    .map((tid) => ({ tid, tgid: pid }));
  if (own.length > 0) return own;
  const kernel: Array<{ tid: number; tgid: number }> = [];
  for (const entry of procFs.list('/proc')) {
    const other = Number(entry);
    if (!Number.isInteger(other) || other <= 2 || other === pid) continue;
    if (!isVhostKernelThreadOf(procFs, other, pid)) continue;
    kernel.push({ tid: other, tgid: other });
  }
  return kernel;
}

export { sameCpus } from '../host/cpulist.js';

/** Linux's numbers for the real-time policies (sched(7)), as /proc/PID/task/TID/stat field 41 gives them. */
export const SCHED_POLICY_NUMBER = { fifo: 1, rr: 2 } as const;

/** Sets one thread's real-time policy with util-linux's chrt. Resolves with null, or chrt's error text. */
export async function setThreadScheduler(run: RunCommand, tid: number, policy: 'fifo' | 'rr', priority: number): Promise<string | null> {
  const result = await run(['chrt', `--${policy}`, '--pid', String(priority), String(tid)], { timeoutMs: 5000 });
  if (result.ok) return null;
  return (result.stderr.trim() || result.error || 'chrt failed').split('\n')[0]!;
}

/** A thread's scheduling policy number and real-time priority now, or null when it is gone. */
export function readThreadScheduler(procFs: HostFs, pid: number, tid: number): { policy: number; priority: number } | null {
  const text = procFs.read(`/proc/${pid}/task/${tid}/stat`);
  const stat = text === null ? null : parseTaskStat(text);
  return stat ? { policy: stat.policy, priority: stat.rtPriority } : null;
}
