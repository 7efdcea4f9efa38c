/** Who a recorded vhost-net kernel thread is now (read from /proc through HostFs). */
import type { HostFs } from './host-fs.js';
import { parseTaskStatus } from './proc-task.js';

/**
 * Whether `tid` is still a vhost-net kernel thread of QEMU `pid` (named vhost-PID, a child of
 * kthreadd). A recorded kernel thread's tid outlives it: once the worker is gone (its tap closed,
 * the VM stopped) the kernel may give the number to any new process, which must then never be
 * re-pinned or shown as this VM's.
 */
export function isVhostKernelThreadOf(procFs: HostFs, tid: number, pid: number): boolean {
  if (procFs.read(`/proc/${tid}/comm`)?.trim() !== `vhost-${pid}`) return false;
  return parseTaskStatus(procFs.read(`/proc/${tid}/status`) ?? '')?.ppid === 2;
}
