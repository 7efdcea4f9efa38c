/**
 * The VM cut into groups of vCPUs that must be placed together: the whole VM, or one group per
 * guest NUMA node (each guest node belongs on a host node of its own).
 */
import type { VmSpec } from '../spec/types.js';
import { range } from './number-lists.js';

export interface VcpuGroup {
  /** The group's vCPUs, ascending. */
  vcpus: number[];
  memMiB: number;
  /** Host node the spec binds the group to; null = the planner decides. */
  hostNode: number | null;
}

/** One group per guest NUMA node, or one group for the whole VM when guest NUMA is off. */
export function buildVcpuGroups(spec: VmSpec): VcpuGroup[] {
  if (spec.numa.length > 0) {
    return spec.numa.map((node) => ({ vcpus: [...node.vcpus].sort((a, b) => a - b), memMiB: node.memMiB, hostNode: node.hostNode }));
  }
  return [{ vcpus: range(spec.vcpus.count), memMiB: spec.memory.sizeMiB, hostNode: spec.pinning.hostNode }];
}

/** Index of the group holding a vCPU (-1 when none does). */
export function groupIndexOfVcpu(groups: VcpuGroup[], vcpu: number): number {
  return groups.findIndex((group) => group.vcpus.includes(vcpu));
}
