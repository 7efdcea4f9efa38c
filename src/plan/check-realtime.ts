/**
 * Real-time vCPUs (spec.vcpuScheduler: SCHED_FIFO/RR) need host CPUs of their own: a real-time
 * thread that spins is never preempted by ordinary tasks, so anything else on its CPU (another
 * vCPU, the emulator, an iothread) would wait until the kernel's RT throttling (5% of each second
 * by default) lets it run. A plan that shares them is warned, and launch refuses it.
 */
import type { PlanIothread, VmSpec } from '../spec/types.js';
import type { PlanMessages } from './plan-messages.js';

export function checkRealtime(spec: VmSpec, vcpuHost: readonly number[] | null, emulator: readonly number[], iothreads: readonly PlanIothread[], messages: PlanMessages): void {
  const scheduler = spec.vcpuScheduler;
  if (!scheduler) return;
  const what = `vcpuScheduler ${scheduler.policy}`;
  if (vcpuHost === null) {
    messages.warn('realtime-shared', `${what}: the vCPUs are not pinned, so real-time vCPUs could take any host CPU from the host; pin them (pinning.strategy compact or spread) or drop vcpuScheduler`);
    return;
  }
  const shared = new Set<number>();
  const seen = new Set<number>();
  for (const cpu of vcpuHost) {
    if (seen.has(cpu)) shared.add(cpu);
    seen.add(cpu);
  }
  for (const cpu of [...emulator, ...iothreads.flatMap((iothread) => iothread.hostCpus)]) if (seen.has(cpu)) shared.add(cpu);
  if (shared.size > 0) {
    messages.warn(
      'realtime-shared',
      `${what}: host CPUs ${[...shared].sort((a, b) => a - b).join(',')} run a real-time vCPU and something else (another vCPU, the emulator or an iothread), which would wait for it; give each vCPU a CPU of its own (pinning.requireDedicated true, helpers on housekeeping) or drop vcpuScheduler`,
    );
  }
}
