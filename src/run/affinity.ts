/**
 * Thread CPU affinity: set with util-linux's taskset (Node has no sched_setaffinity) as an
 * argument array, read back from /proc/PID/task/TID/status, which is what the scheduler uses.
 */
import { formatCpuList } from '../host/cpulist.js';
import type { HostFs } from '../host/host-fs.js';
import { parseTaskStat, parseTaskStatus } from '../host/proc-task.js';
import type { RunCommand } from './run-command.js';

/** Sets one thread's affinity. Resolves with null, or the error text taskset printed. */
export async function setThreadAffinity(run: RunCommand, tid: number, hostCpus: readonly number[]): Promise<string | null> {
  if (hostCpus.length === 0) return 'no host CPUs given';
  const result = await run(['taskset', '--pid', '--cpu-list', formatCpuList([...hostCpus]), String(tid)], { timeoutMs: 5000 });
  if (result.ok) return null;
  return (result.stderr.trim() || result.error || 'taskset failed').split('\n')[0]!;
}

/** The CPUs a thread may run on now, or null when the thread is gone. */
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
