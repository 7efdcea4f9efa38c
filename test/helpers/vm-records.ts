/** A registry record for tests: a 2-vCPU TCG VM pinned to CPUs 1 and 2, emulator on 0. */
import type { VmRecord } from '../../src/registry/vm-record.js';
import { qemuPlan, qemuSpec } from './qemu-plans.js';

export function fakeRecord(runDir: string, overrides: Partial<VmRecord> = {}): VmRecord {
  const spec = qemuSpec({ name: 'web', accel: 'tcg', cpu: { model: 'qemu64' }, vcpus: { count: 2, sockets: 1, dies: 1, cores: 2, threads: 1 }, memory: { sizeMiB: 256 }, network: { mode: 'none' } });
  const plan = qemuPlan(spec, { hostCpus: [1, 2], emulator: [0] });
  return {
    format: 1,
    phase: 'ready',
    name: 'web',
    pid: 4242,
    startTicks: 777,
    startedAtMs: 1_700_000_000_000,
    runDir,
    accel: 'tcg',
    argv: ['qemu-system-x86_64'],
    plan,
    threads: [
      { role: 'vcpu', index: 0, tid: 4250, plannedAffinity: [1] },
      { role: 'vcpu', index: 1, tid: 4251, plannedAffinity: [2] },
      { role: 'emulator', index: 0, tid: 4242, plannedAffinity: [0] },
    ],
    ...overrides,
  };
}
