/** Which host CPUs a plan occupies, as core-map marks (pure). */
import type { Plan } from '../../src/spec/types.js';
import type { CpuMark } from '../present/core-map-lines.js';

export function planMarks(plan: Plan): Map<number, CpuMark[]> {
  const marks = new Map<number, CpuMark[]>();
  const add = (cpu: number, mark: CpuMark) => {
    if (!marks.has(cpu)) marks.set(cpu, []);
    marks.get(cpu)!.push(mark);
  };
  for (const vcpu of plan.vcpus) if (vcpu.hostCpu !== null) add(vcpu.hostCpu, { label: `v${vcpu.vcpu}`, tone: 'vcpu' });
  for (const cpu of plan.emulator) add(cpu, { label: 'E', tone: 'emulator' });
  plan.iothreads.forEach((iothread, index) => {
    for (const cpu of iothread.hostCpus) add(cpu, { label: `I${index}`, tone: 'iothread' });
  });
  return marks;
}
