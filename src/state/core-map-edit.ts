/**
 * Core-map editing as pure functions: the order the cursor walks the host's CPUs (as the map
 * draws them: node, package, L3 group, core, thread), and assigning a vCPU to a host CPU, which
 * swaps with the vCPU already there so the map stays one host CPU per vCPU. The result is a
 * manual pinning map that the planner checks like any other (warnings update on every edit).
 */
import type { Topology } from '../host/topology.js';
import type { Plan } from '../spec/types.js';

/** Online host CPUs in the core map's drawing order. */
export function cursorOrder(topology: Topology): number[] {
  const key = (value: number | null) => value ?? -1;
  return topology.cpus
    .filter((cpu) => cpu.online)
    .sort((a, b) => key(a.node) - key(b.node) || key(a.socket) - key(b.socket) || key(a.l3) - key(b.l3) || key(a.core) - key(b.core) || a.cpu - b.cpu)
    .map((cpu) => cpu.cpu);
}

/**
 * The map the plan placed, one entry per vCPU the spec has (a plan with errors places none):
 * a vCPU without a host CPU starts on its own CPU in map order, never all on one.
 */
export function mapOfPlan(plan: Plan, order: readonly number[]): number[] {
  const placed = new Map(plan.vcpus.map((vcpu) => [vcpu.vcpu, vcpu.hostCpu]));
  return Array.from({ length: plan.spec.vcpus.count }, (_, vcpu) => placed.get(vcpu) ?? order[vcpu % Math.max(1, order.length)] ?? 0);
}

/** vCPU `vcpu` to host CPU `cpu`; a vCPU already on `cpu` takes `vcpu`'s old CPU (a swap). */
export function assignVcpu(map: readonly number[], vcpu: number, cpu: number): number[] {
  const out = [...map];
  const other = out.findIndex((hostCpu, index) => hostCpu === cpu && index !== vcpu);
  if (other >= 0) out[other] = out[vcpu]!;
  out[vcpu] = cpu;
  return out;
}
