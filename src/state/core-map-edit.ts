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

/** What clearing one vCPU gives: the new map (null: the whole map is automatic again) or why not. */
export type ClearOutcome = { map: number[] | null } | { refused: string };

/**
 * Clears vCPU `vcpu`'s hand placement: it goes back to where the automatic placement (the
 * spec's strategy, `automatic[v]` = host CPU of vCPU v, null = none) puts it; when another vCPU
 * of the map holds that CPU, to the first CPU of the automatic placement no other vCPU holds.
 * The map stays one host CPU per vCPU, as pinning.map needs. When the result is the automatic
 * placement itself, the map is dropped (null). Refused when the automatic placement has no CPU
 * for it (strategy none, or a plan that cannot be made) or every one of its CPUs is taken.
 * @example clearVcpu([5, 2], 0, [1, 2]) // { map: null }: vCPU 0 back on 1 is the automatic map
 * @example clearVcpu([2, 9], 0, [1, 2]) // { map: [1, 9] }
 */
export function clearVcpu(map: readonly number[], vcpu: number, automatic: readonly (number | null)[]): ClearOutcome {
  const wanted = automatic[vcpu] ?? null;
  if (wanted === null) return { refused: `vCPU ${vcpu} has no automatic place (pinning strategy none, or the plan cannot be made): assign it by hand or press x` };
  const held = new Set(map.filter((_, index) => index !== vcpu));
  const free = [wanted, ...automatic].find((cpu): cpu is number => cpu !== null && !held.has(cpu));
  if (free === undefined) return { refused: `vCPU ${vcpu}: every CPU of the automatic placement is held by another vCPU of the map; x returns the whole map to automatic` };
  const out = [...map];
  out[vcpu] = free;
  return { map: out.every((cpu, index) => cpu === automatic[index]) ? null : out };
}

/**
 * A helper thread's hand-placed CPU list with `cpu` added, or removed when it is there; null
 * once none is left (the helper goes back to its placement rule).
 * @example toggleCpu(null, 3) // [3]
 * @example toggleCpu([1, 3], 3) // [1]
 * @example toggleCpu([3], 3) // null
 */
export function toggleCpu(list: readonly number[] | null | undefined, cpu: number): number[] | null {
  const current = list ?? [];
  const next = current.includes(cpu) ? current.filter((entry) => entry !== cpu) : [...current, cpu].sort((a, b) => a - b);
  return next.length > 0 ? next : null;
}
