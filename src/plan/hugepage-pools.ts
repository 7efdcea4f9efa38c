/**
 * What a host node's hugepage pools hold, in the units the planner compares (MiB), for the
 * backings that use hugepages.
 */
import type { MemoryBacking } from '../spec/types.js';
import type { HostView } from './host-view.js';
import { PAGE_KIB, PAGE_MIB } from '../shared/page-sizes.js';


/**
 * Free MiB in a node's pool for the backing; null for plain RAM (no pool to run short of). A node
 * without that pool has 0 free.
 */
export function hugepageFreeMiB(view: HostView, node: number, backing: MemoryBacking): number | null {
  if (backing === 'ram') return null;
  const pool = view.topology.nodes.find((entry) => entry.id === node)?.hugepages[PAGE_KIB[backing]];
  return (pool?.free ?? 0) * PAGE_MIB[backing];
}

/** A node's memory in MiB, or null when the host does not say. */
export function nodeMemMiB(view: HostView, node: number): number | null {
  return view.topology.nodes.find((entry) => entry.id === node)?.memMiB ?? null;
}

/**
 * MiB a node can give a VM of this backing now: its free pages of that size for a hugepage
 * backing, its free RAM for plain RAM (its size when the host does not say what is free); null
 * when the host says neither. Node choice ranks on this, never on the node's size alone: a node
 * of 8 GiB with 7.6 GiB free does not fit an 8 GiB guest node.
 */
export function nodeAvailableMiB(view: HostView, node: number, backing: MemoryBacking): number | null {
  if (backing !== 'ram') return hugepageFreeMiB(view, node, backing);
  const entry = view.topology.nodes.find((candidate) => candidate.id === node);
  return entry?.freeMiB ?? entry?.memMiB ?? null;
}
