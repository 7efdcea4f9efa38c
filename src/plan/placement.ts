/**
 * The contract every vCPU placer (manual map, compact, spread, overcommit) shares: what it is
 * given and what it returns. Types and one shared derivation only, so placers never import each
 * other or the orchestrator.
 */
import type { VmSpec } from '../spec/types.js';
import type { HostOffer } from './host-offer.js';
import type { HostView } from './host-view.js';
import { unique } from './number-lists.js';
import type { PlanMessages } from './plan-messages.js';
import type { VcpuGroup } from './vcpu-groups.js';

/** Where the vCPUs landed. */
export interface VcpuPlacement {
  /** Host CPU of each vCPU (index = vCPU). */
  vcpuHost: number[];
  /** Guest threads per core the placement was made for (the guest topology follows it). */
  threads: number;
  /** Host nodes of each group, ascending, in group order. */
  groupNodes: number[][];
}

/** What a placer is given. The spec is read, never written. */
export interface PlacementRequest {
  offer: HostOffer;
  spec: VmSpec;
  groups: VcpuGroup[];
  messages: PlanMessages;
}

/** The host nodes each group's vCPUs sit on, for placers that choose CPUs rather than nodes. */
export function groupNodesOf(view: HostView, groups: VcpuGroup[], vcpuHost: number[]): number[][] {
  return groups.map((group) => unique(group.vcpus.map((vcpu) => view.nodeOf.get(vcpuHost[vcpu]!)!)));
}
