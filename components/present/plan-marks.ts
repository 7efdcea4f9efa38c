/** Which host CPUs a plan occupies, as core-map marks (pure). */
import type { Plan } from '../../src/spec/types.js';
import type { CpuMark } from '../present/core-map-lines.js';

/** `taken`: CPUs other VMs hold, marked X (who holds them is listed under the map). */
export function planMarks(plan: Plan, taken: ReadonlyMap<number, string> = new Map()): Map<number, CpuMark[]> {
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
  for (const cpu of taken.keys()) add(cpu, { label: 'X', tone: 'taken' });
  return marks;
}
