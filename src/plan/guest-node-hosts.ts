/**
 * Which host node each guest NUMA node goes to, chosen for the VM as a whole rather than guest
 * node by guest node: the guest is told its nodes are near each other, so they should be. An
 * assignment is better when, in this order,
 * 1. more guest nodes fit in their host node's free memory (free pages of the asked size for a
 *    hugepage backing), then more where the pages could still be reserved (the node's free RAM
 *    and free pages together: never its size alone, a node of 8 GiB with 7.6 GiB free cannot),
 * 2. the host nodes are nearer each other (sum of the NUMA distances between every pair),
 * 3. more pairs share a socket (the sub-NUMA halves of one package: on hosts whose distance
 *    table is flat, the package is all that tells them apart).
 * Pure; the placers put each guest node's chosen host node first and fall back to their own order
 * when it cannot take the node after all.
 */
import type { MemoryBacking } from '../spec/types.js';
import { hugepageFreeMiB, nodeAvailableMiB, nodeMemMiB } from './hugepage-pools.js';
import type { HostView } from './host-view.js';

export interface GuestNodeNeed {
  /** Guest cores to place (vCPUs / threads). */
  units: number;
  memMiB: number;
  /** Host node the spec binds this guest node to; null = the planner decides. */
  hostNode: number | null;
}

export interface GuestNodeChoiceInput {
  view: HostView;
  needs: GuestNodeNeed[];
  /** Guest cores each host node can take from the pool being placed into (absent = none). */
  capacity: ReadonlyMap<number, number>;
  backing: MemoryBacking;
}

/** Score of an assignment: [fit free, fit in size, -distance sum, same-socket pairs]; higher is better. */
type Score = [number, number, number, number];

/**
 * One distinct host node per guest node, or null when the pool has too few nodes with room for
 * that (the placers then share nodes and warn). A guest node bound by the spec keeps its node when
 * that node has room.
 */
export function chooseGuestNodeHosts({ view, needs, capacity, backing }: GuestNodeChoiceInput): number[] | null {
  const nodes = [...capacity.keys()].filter((node) => capacity.get(node)! > 0).sort((a, b) => a - b);
  const room = (index: number, node: number) => capacity.get(node)! >= needs[index]!.units;
  const available = new Map(nodes.map((node) => [node, nodeAvailableMiB(view, node, backing)]));
  const fits = (index: number, node: number) => {
    const free = available.get(node);
    return free === null || free === undefined || free >= needs[index]!.memMiB;
  };
  // Second: where the memory could still be had. For a hugepage backing with too few free pages
  // anywhere, that is where the pages could be reserved: the node's free RAM plus the pages of
  // that size already free (its size only when the host does not say what is free).
  const reservableMiB = (node: number) => {
    const entry = view.topology.nodes.find((candidate) => candidate.id === node);
    const ram = entry?.freeMiB ?? nodeMemMiB(view, node);
    return ram === null || ram === undefined ? Infinity : ram + (hugepageFreeMiB(view, node, backing) ?? 0);
  };
  const sizeFits = (index: number, node: number) => reservableMiB(node) >= needs[index]!.memMiB;
  const socketOf = new Map(nodes.map((node) => [node, nodeSocket(view, node)]));
  const pairDistance = (a: number, b: number) => view.distance(a, b) + view.distance(b, a);
  const score = (assignment: number[]): Score => {
    let fitting = 0;
    let sized = 0;
    let distance = 0;
    let sameSocket = 0;
    assignment.forEach((node, index) => {
      if (fits(index, node)) fitting++;
      if (sizeFits(index, node)) sized++;
      for (let other = 0; other < index; other++) {
        distance += pairDistance(node, assignment[other]!);
        const socket = socketOf.get(node);
        if (socket !== null && socket === socketOf.get(assignment[other]!)) sameSocket++;
      }
    });
    return [fitting, sized, -distance, sameSocket];
  };
  const better = (a: Score, b: Score) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3];

  // Guest nodes the spec binds, where their node has room; each node once.
  const fixed = new Map<number, number>();
  needs.forEach((need, index) => {
    if (need.hostNode !== null && nodes.includes(need.hostNode) && room(index, need.hostNode) && ![...fixed.values()].includes(need.hostNode)) {
      fixed.set(index, need.hostNode);
    }
  });
  const open = needs.map((_, index) => index).filter((index) => !fixed.has(index));
  if (open.length === 0) return needs.map((_, index) => fixed.get(index)!);

  // Greedy from every start node for the first open guest node, then single replacements while
  // they improve the score; the best result wins, ties to the earlier start (fitting, lower id).
  const first = open[0]!;
  const starts = nodes
    .filter((node) => room(first, node) && ![...fixed.values()].includes(node))
    .sort((a, b) => Number(fits(first, b)) - Number(fits(first, a)) || Number(sizeFits(first, b)) - Number(sizeFits(first, a)) || a - b);
  let best: { assignment: number[]; score: Score } | null = null;
  for (const start of starts) {
    const assignment = new Array<number>(needs.length);
    for (const [index, node] of fixed) assignment[index] = node;
    assignment[first] = start;
    const used = new Set([...fixed.values(), start]);
    let complete = true;
    for (const index of open.slice(1)) {
      const placed = needs.map((_, other) => other).filter((other) => assignment[other] !== undefined);
      const options = nodes.filter((node) => !used.has(node) && room(index, node));
      if (options.length === 0) {
        complete = false;
        break;
      }
      const key = (node: number): Score => [
        Number(fits(index, node)),
        Number(sizeFits(index, node)),
        -placed.reduce((sum, other) => sum + pairDistance(node, assignment[other]!), 0),
        placed.filter((other) => socketOf.get(node) !== null && socketOf.get(node) === socketOf.get(assignment[other]!)).length,
      ];
      const chosen = options.reduce((winner, node) => (better(key(node), key(winner)) > 0 ? node : winner));
      assignment[index] = chosen;
      used.add(chosen);
    }
    if (!complete) continue;
    improve(assignment, open, nodes, room, score, better);
    const result = { assignment, score: score(assignment) };
    if (best === null || better(result.score, best.score) > 0 || (better(result.score, best.score) === 0 && lowerFirst(assignment, best.assignment))) best = result;
  }
  return best?.assignment ?? null;
}

/** Equal scores: the lower host node for the first guest node that differs (predictable plans). */
function lowerFirst(a: number[], b: number[]): boolean {
  const index = a.findIndex((node, at) => node !== b[at]);
  return index >= 0 && a[index]! < b[index]!;
}

/** Replaces one guest node's host node at a time while that improves the score (in place). */
function improve(
  assignment: number[],
  open: number[],
  nodes: number[],
  room: (index: number, node: number) => boolean,
  score: (assignment: number[]) => Score,
  better: (a: Score, b: Score) => number,
): void {
  let current = score(assignment);
  // Each accepted step raises the score, so this ends; the bound only caps pathological hosts.
  for (let step = 0; step < 1000; step++) {
    let improved = false;
    for (const index of open) {
      for (const node of nodes) {
        if (assignment.includes(node) || !room(index, node)) continue;
        const previous = assignment[index]!;
        assignment[index] = node;
        const candidate = score(assignment);
        if (better(candidate, current) > 0) {
          current = candidate;
          improved = true;
        } else {
          assignment[index] = previous;
        }
      }
    }
    if (!improved) return;
  }
}

/** The package a node's CPUs are on (its first CPU's); null when unknown. */
export function nodeSocket(view: HostView, node: number): number | null {
  const cpu = view.online.find((candidate) => view.nodeOf.get(candidate) === node);
  return cpu === undefined ? null : view.byCpu.get(cpu)!.socket;
}
