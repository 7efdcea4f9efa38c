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
