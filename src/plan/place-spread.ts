/**
 * Spread placement of one vCPU group: vCPUs dealt round-robin over host nodes, and within each
 * node over its L3 groups, one vCPU per core while cores last. For VMs that want memory bandwidth
 * and cache of many nodes more than locality. A guest NUMA node still stays on one host node (the
 * one chosen with the VM's other guest nodes, see guest-node-hosts, when it has room).
 */
import { buildHostCores, compareHostCores, takeUnits, totalUnits, type HostCore, type ThreadConfig } from './host-cores.js';
import type { HostOffer } from './host-offer.js';
import type { VcpuGroup } from './vcpu-groups.js';

export interface SpreadGroupInput {
  offer: HostOffer;
  group: VcpuGroup;
  /** Pool CPUs not yet given to an earlier group. */
  availableCpus: number[];
  threadConfig: ThreadConfig;
  /** Guest cores to place: the group's vCPUs / threads. */
  units: number;
  /** The group is one guest NUMA node (of several): keep it on one host node when one holds it. */
  perGuestNode: boolean;
  /** The host node chosen for this group together with the VM's other groups; null = none. */
  preferredNode?: number | null;
  preferIsolated: boolean;
}

/** The CPUs of each guest core of the group, or null when the available CPUs cannot hold it. */
export function placeGroupSpread(input: SpreadGroupInput): number[][] | null {
  const { group, threadConfig: config, units } = input;
  let cores = buildHostCores(input.offer, input.availableCpus, input.preferIsolated);
  if (input.perGuestNode) {
    const byNode = new Map<number, HostCore[]>();
    for (const core of cores) {
      if (!byNode.has(core.node)) byNode.set(core.node, []);
      byNode.get(core.node)!.push(core);
    }
    const candidates = [...byNode.entries()]
      .filter(([, members]) => totalUnits(members, config) >= units)
      .sort(
        (a, b) =>
          Number(b[0] === group.hostNode) - Number(a[0] === group.hostNode) ||
          Number(b[0] === input.preferredNode) - Number(a[0] === input.preferredNode) ||
          a[0] - b[0],
      );
    if (candidates.length > 0) cores = candidates[0]![1];
  }
  const nodeQueues = new Map<number, HostCore[][]>();
  for (const core of [...cores].sort(compareHostCores)) {
    if (!nodeQueues.has(core.node)) nodeQueues.set(core.node, []);
    const l3Queues = nodeQueues.get(core.node)!;
    let queue = l3Queues.find((entry) => entry[0]!.l3 === core.l3);
    if (!queue) {
      queue = [];
      l3Queues.push(queue);
    }
    queue.push(core);
  }
  const nodeOrder = [...nodeQueues.keys()].sort((a, b) => a - b);
  const interleavedByNode = nodeOrder.map((node) => interleave(nodeQueues.get(node)!));
  const ordered = interleave(interleavedByNode);
  return takeUnits(ordered, units, config);
}

/** First of every queue, then second of every queue...: [[a, b], [c]] -> [a, c, b]. */
function interleave<T>(queues: T[][]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...queues.map((queue) => queue.length));
  for (let index = 0; index < longest; index++) for (const queue of queues) if (index < queue.length) out.push(queue[index]!);
  return out;
}
