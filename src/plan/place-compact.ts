/**
 * Compact placement of one vCPU group: as close together as the host allows.
 * - One NUMA node if any can hold the group (the spec's hostNode first, then a node no other guest
 *   node of this VM uses, then one whose hugepage pool and memory fit, then the lowest id); else
 *   (only when asked for `multiNode`) the fewest nearest nodes.
 * - Within a node, L3 groups by best fit: the smallest group that holds the whole VM, else whole
 *   groups, largest first, and the remainder in the group that fits it best.
 * - Within an L3 group, cores in compareHostCores order.
 */
import type { MemoryBacking } from '../spec/types.js';
import { hugepageFreeMiB, nodeMemMiB } from './hugepage-pools.js';
import { buildHostCores, compareHostCores, strictUnits, takeUnits, totalUnits, type HostCore, type ThreadConfig } from './host-cores.js';
import type { HostOffer } from './host-offer.js';
import type { VcpuGroup } from './vcpu-groups.js';

export interface CompactGroupInput {
  offer: HostOffer;
  group: VcpuGroup;
  /** Pool CPUs not yet given to an earlier group. */
  availableCpus: number[];
  threadConfig: ThreadConfig;
  /** Guest cores to place: the group's vCPUs / threads. */
  units: number;
  /** Host nodes earlier groups of this VM already use. */
  usedNodes: ReadonlySet<number>;
  /** May the group span nodes (tried only after every group failed to fit on one)? */
  multiNode: boolean;
  preferIsolated: boolean;
  backing: MemoryBacking;
}

/** The CPUs of each guest core of the group, or null when the available CPUs cannot hold it. */
export function placeGroupCompact(input: CompactGroupInput): number[][] | null {
  const { offer, group, threadConfig: config, units, usedNodes } = input;
  const { view } = offer;
  const cores = buildHostCores(offer, input.availableCpus, input.preferIsolated);
  const coresByNode = new Map<number, HostCore[]>();
  for (const core of cores) {
    if (!coresByNode.has(core.node)) coresByNode.set(core.node, []);
    coresByNode.get(core.node)!.push(core);
  }
  const nodeInfo = (node: number) => {
    const memMiB = nodeMemMiB(view, node);
    const hugeMiB = hugepageFreeMiB(view, node, input.backing);
    return {
      node,
      wanted: group.hostNode === node ? 0 : 1,
      // Another guest node already there would make the guest's NUMA a fiction.
      fresh: usedNodes.has(node) ? 1 : 0,
      hugepagesFit: hugeMiB === null || hugeMiB >= group.memMiB ? 0 : 1,
      memoryFits: memMiB === null || memMiB >= group.memMiB ? 0 : 1,
      capacity: totalUnits(coresByNode.get(node) ?? [], config),
    };
  };
  type NodeChoice = ReturnType<typeof nodeInfo>;
  const nodes = [...coresByNode.keys()].map(nodeInfo).sort(
    (a, b) => a.wanted - b.wanted || a.fresh - b.fresh || a.hugepagesFit - b.hugepagesFit || a.memoryFits - b.memoryFits || a.node - b.node,
  );
  if (!input.multiNode) {
    for (const info of nodes) {
      if (info.capacity < units) continue;
      const picked = takeUnits(orderByL3(coresByNode.get(info.node)!, units, config.threads), units, config);
      if (picked) return picked;
    }
    return null;
  }
  // Across nodes: start from the preferred node that has room, add the nearest ones.
  const start = nodes.find((info) => info.capacity > 0);
  if (!start) return null;
  const ordered = [...nodes].sort(
    (a, b) => view.distance(start.node, a.node) - view.distance(start.node, b.node) || (a === start ? -1 : b === start ? 1 : 0) || a.node - b.node,
  );
  // Enough nodes to hold the VM without housekeeping cores; all of them if even that is short.
  const chosen: NodeChoice[] = [];
  let remaining = units;
  for (const info of ordered) {
    if (remaining <= 0) break;
    const withoutHousekeeping = totalUnits(coresByNode.get(info.node)!.filter((core) => !core.housekeeping), config);
    if (withoutHousekeeping === 0) continue;
    chosen.push(info);
    remaining -= withoutHousekeeping;
  }
  const nodesUsed = remaining > 0 ? ordered.filter((info) => info.capacity > 0) : chosen;
  const chosenCores: HostCore[] = [];
  remaining = units;
  for (const info of nodesUsed) {
    chosenCores.push(...orderByL3(coresByNode.get(info.node)!, Math.max(1, Math.min(remaining, info.capacity)), config.threads));
    remaining -= info.capacity;
  }
  return takeUnits(chosenCores, units, config);
}

/**
 * Orders a node's cores so taking them in order fills whole L3 groups first: the smallest group
 * holding all `units`, else the largest groups whole and the remainder in the best-fitting one.
 */
function orderByL3(cores: HostCore[], units: number, threads: number): HostCore[] {
  const byGroup = new Map<string, HostCore[]>();
  for (const core of cores) {
    if (!byGroup.has(core.l3)) byGroup.set(core.l3, []);
    byGroup.get(core.l3)!.push(core);
  }
  const groups = [...byGroup.values()].map((members) => {
    const sorted = members.sort(compareHostCores);
    const strict = sorted.reduce((sum, core) => sum + strictUnits(core, threads), 0);
    const loose = Math.floor(sorted.reduce((sum, core) => sum + core.cpus.length, 0) / threads);
    return { cores: sorted, capacity: strict > 0 ? strict : loose, first: sorted[0]!.cpus[0]!, isolated: sorted.every((core) => core.isolated) };
  });
  const order: typeof groups = [];
  let remaining = units;
  const rest = [...groups];
  const byPreference = (a: (typeof groups)[number], b: (typeof groups)[number]) => Number(b.isolated) - Number(a.isolated) || a.first - b.first;
  while (remaining > 0 && rest.length > 0) {
    const fitting = rest.filter((group) => group.capacity >= remaining);
    let chosen;
    if (fitting.length > 0) {
      chosen = fitting.sort((a, b) => a.capacity - b.capacity || byPreference(a, b))[0]!;
    } else {
      chosen = rest.sort((a, b) => b.capacity - a.capacity || byPreference(a, b))[0]!;
    }
    order.push(chosen);
    rest.splice(rest.indexOf(chosen), 1);
    remaining -= chosen.capacity;
  }
  order.push(...rest.sort(byPreference));
  return order.flatMap((group) => group.cores);
}
