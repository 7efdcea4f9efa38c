/**
 * Compact placement of one vCPU group: as close together as the host allows.
 * - One NUMA node if any can hold the group: the spec's hostNode first, then the node chosen for
 *   this guest node with the VM's other guest nodes (see guest-node-hosts), then one no other
 *   guest node of this VM uses, then one whose free memory (free pages of the asked size for
 *   hugepages) fits, then one big enough for it, then the nearest to the VM's other nodes, sharing their socket, lowest id.
 *   With `requireFit` only nodes whose free memory fits are tried. Else (only when asked for
 *   `multiNode`) the fewest nearest nodes.
 * - Within a node, L3 groups: the wholly free group (no housekeeping CPU, nothing another VM
 *   holds) that fits best, else any group that holds the whole VM; else an even split over as few
 *   groups as hold an equal share each (so the guest can be told: dies = groups); else whole
 *   groups, largest first, and the remainder in the group that fits it best.
 * - Within an L3 group, cores in compareHostCores order.
 */
import type { MemoryBacking } from '../spec/types.js';
import { nodeSocket } from './guest-node-hosts.js';
import { nodeAvailableMiB, nodeMemMiB } from './hugepage-pools.js';
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
  /** Only nodes whose free memory holds the group (tried before any node at all). */
  requireFit?: boolean;
  /** The host node chosen for this group together with the VM's other groups; null = none. */
  preferredNode?: number | null;
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
  const usedSockets = new Set([...usedNodes].map((node) => nodeSocket(view, node)).filter((socket) => socket !== null));
  const nodeInfo = (node: number) => {
    const availableMiB = nodeAvailableMiB(view, node, input.backing);
    const socket = nodeSocket(view, node);
    return {
      node,
      wanted: group.hostNode === node ? 0 : 1,
      preferred: input.preferredNode === node ? 0 : 1,
      // Another guest node already there would make the guest's NUMA a fiction.
      fresh: usedNodes.has(node) ? 1 : 0,
      memoryFits: availableMiB === null || availableMiB >= group.memMiB ? 0 : 1,
      // With nothing free anywhere (hugepages not reserved yet), a node big enough to reserve them.
      sizeFits: (nodeMemMiB(view, node) ?? Infinity) >= group.memMiB ? 0 : 1,
      distance: [...usedNodes].reduce((sum, used) => sum + view.distance(used, node) + view.distance(node, used), 0),
      sameSocket: socket !== null && usedSockets.has(socket) ? 0 : 1,
      capacity: totalUnits(coresByNode.get(node) ?? [], config),
    };
  };
  type NodeChoice = ReturnType<typeof nodeInfo>;
  const nodes = [...coresByNode.keys()]
    .map(nodeInfo)
    .filter((info) => !input.requireFit || info.memoryFits === 0)
    .sort(
      (a, b) =>
        a.wanted - b.wanted || a.preferred - b.preferred || a.fresh - b.fresh || a.memoryFits - b.memoryFits || a.sizeFits - b.sizeFits ||
        a.distance - b.distance || a.sameSocket - b.sameSocket || a.node - b.node,
    );
  if (!input.multiNode) {
    for (const info of nodes) {
      if (info.capacity < units) continue;
      const picked = takeUnits(orderByL3(offer, coresByNode.get(info.node)!, units, config.threads), units, config);
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
    chosenCores.push(...orderByL3(offer, coresByNode.get(info.node)!, Math.max(1, Math.min(remaining, info.capacity)), config.threads));
    remaining -= info.capacity;
  }
  return takeUnits(chosenCores, units, config);
}

/**
 * Orders a node's cores so that taking them in order fills L3 groups as the module doc says.
 * Whether a group is wholly free is read from the whole host (the pool may leave the housekeeping
 * core out, but its noise still shares the cache).
 */
function orderByL3(offer: HostOffer, cores: HostCore[], units: number, threads: number): HostCore[] {
  const { view } = offer;
  const busyL3 = new Set<string>();
  for (const cpu of view.online) {
    if (offer.housekeepingSet.has(cpu) || offer.taken.has(cpu)) busyL3.add(view.l3KeyOf.get(cpu)!);
  }
  const byGroup = new Map<string, HostCore[]>();
  for (const core of cores) {
    if (!byGroup.has(core.l3)) byGroup.set(core.l3, []);
    byGroup.get(core.l3)!.push(core);
  }
  const groups = [...byGroup.entries()].map(([key, members]) => {
    const sorted = members.sort(compareHostCores);
    // Cores that give a whole guest core on takeUnits' first pass (housekeeping cores come last there).
    const strictCores = sorted.filter((core) => !core.housekeeping && strictUnits(core, threads) > 0);
    const strict = sorted.reduce((sum, core) => sum + strictUnits(core, threads), 0);
    const loose = Math.floor(sorted.reduce((sum, core) => sum + core.cpus.length, 0) / threads);
    return {
      cores: sorted,
      strictCores,
      capacity: strict > 0 ? strict : loose,
      first: sorted[0]!.cpus[0]!,
      isolated: sorted.every((core) => core.isolated),
      busy: busyL3.has(key),
    };
  });
  type Group = (typeof groups)[number];
  const byPreference = (a: Group, b: Group) => Number(b.isolated) - Number(a.isolated) || a.first - b.first;
  const byFit = (a: Group, b: Group) => Number(a.busy) - Number(b.busy) || a.capacity - b.capacity || byPreference(a, b);

  const whole = groups.filter((group) => group.capacity >= units).sort(byFit);
  if (whole.length > 0) return [...whole[0]!.cores, ...groups.filter((group) => group !== whole[0]).sort(byPreference).flatMap((group) => group.cores)];

  // An even split: `count` groups with `units / count` whole guest cores each, as few as possible.
  for (let count = 2; count <= groups.length; count++) {
    if (units % count !== 0) continue;
    const share = units / count;
    const chosen = groups.filter((group) => group.strictCores.length >= share).sort(byFit).slice(0, count);
    if (chosen.length < count) continue;
    const head = chosen.flatMap((group) => group.strictCores.slice(0, share));
    const headSet = new Set(head);
    return [...head, ...[...chosen, ...groups.filter((group) => !chosen.includes(group)).sort(byPreference)].flatMap((group) => group.cores.filter((core) => !headSet.has(core)))];
  }

  const order: Group[] = [];
  let remaining = units;
  const rest = [...groups];
  while (remaining > 0 && rest.length > 0) {
    const fitting = rest.filter((group) => group.capacity >= remaining);
    const chosen = fitting.length > 0 ? fitting.sort(byFit)[0]! : rest.sort((a, b) => b.capacity - a.capacity || byPreference(a, b))[0]!;
    order.push(chosen);
    rest.splice(rest.indexOf(chosen), 1);
    remaining -= chosen.capacity;
  }
  order.push(...rest.sort(byPreference));
  return order.flatMap((group) => group.cores);
}
