/**
 * What the planner decided that the spec left open, kept as its own plain record rather than
 * written into a copy of the spec: the guest topology (chosen from the placement when the spec gave
 * only a count) and the guest CPU's feature toggles (+topoext on AMD with SMT). Plan.spec is the
 * spec with these values filled in, so generators read one complete spec.
 */
import type { VmSpec } from '../spec/types.js';
import type { GuestTopology } from './guest-topology.js';

export interface EffectiveSpec {
  guestTopology: GuestTopology;
  cpuFeatures: string[];
}

/**
 * The spec as the plan carries it: a deep copy of the caller's spec (which is never touched) with
 * the effective values in place of the declared ones. Keys keep their order, so serialized plans
 * and goldens do not change with how the value was derived.
 */
export function buildPlanSpec(spec: VmSpec, effective: EffectiveSpec): VmSpec {
  const copy = structuredClone(spec);
  return {
    ...copy,
    cpu: { ...copy.cpu, features: [...effective.cpuFeatures] },
    vcpus: { ...copy.vcpus, ...effective.guestTopology },
  };
}
