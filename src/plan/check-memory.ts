/**
 * Whether the memory fits where the vCPUs went: each group's host nodes (all nodes when unpinned)
 * need enough free hugepages for a hugepage backing, enough free memory for plain RAM, and enough
 * memory at all.
 */
import { formatSizeMiB } from '../spec/size.js';
import type { MemoryBacking } from '../spec/types.js';
import { hugepageFreeMiB, nodeMemMiB } from './hugepage-pools.js';
import { PAGE_KIB, PAGE_MIB } from '../shared/page-sizes.js';
import type { HostView } from './host-view.js';
import type { VcpuPlacement } from './placement.js';
import type { PlanMessages } from './plan-messages.js';
import type { VcpuGroup } from './vcpu-groups.js';

export interface MemoryCheckInput {
  view: HostView;
  backing: MemoryBacking;
  groups: VcpuGroup[];
  placement: VcpuPlacement | null;
  messages: PlanMessages;
  /** RAM allocated up front (memory.prealloc): it must fit in what the nodes have free now. */
  prealloc?: boolean;
}

/**
 * Records hugepages-missing (with the command that reserves them), memory-exceeds-free
 * (preallocated RAM) or memory-not-free (RAM filled as the guest runs), and memory-exceeds-node.
 */
export function checkMemory({ view, backing, groups, placement, messages, prealloc = false }: MemoryCheckInput): void {
  const allNodes = view.topology.nodes.map((node) => node.id);
  const perGroup = groups.map((group, index) => ({
    memMiB: group.memMiB,
    nodes: placement && placement.groupNodes[index]!.length > 0 ? placement.groupNodes[index]! : allNodes,
  }));
  for (const { memMiB, nodes } of perGroup) {
    const where = nodes.length === 1 ? `node ${nodes[0]}` : `nodes ${nodes.join(', ')}`;
    if (backing !== 'ram') {
      const freeMiB = nodes.reduce((sum, node) => sum + (hugepageFreeMiB(view, node, backing) ?? 0), 0);
      if (freeMiB < memMiB) {
        const pages = memMiB / PAGE_MIB[backing];
        const freePages = freeMiB / PAGE_MIB[backing];
        messages.warn('hugepages-missing', `${where}: ${freePages} free ${backing.slice(10)} hugepages, ${pages} needed for ${formatSizeMiB(memMiB)}; reserve them first: ${reserveCommands(view, nodes, backing, pages)}`);
      }
    }
    if (backing === 'ram') {
      const free = nodes.map((node) => view.topology.nodes.find((entry) => entry.id === node)?.freeMiB ?? null);
      if (free.every((value) => value !== null)) {
        const freeMiB = free.reduce((sum, value) => sum! + value!, 0)!;
        const has = `${where} ha${nodes.length === 1 ? 's' : 've'} ${formatSizeMiB(freeMiB)} free`;
        if (freeMiB < memMiB && prealloc) messages.warn('memory-exceeds-free', `${has}, less than the ${formatSizeMiB(memMiB)} this VM preallocates: the start would fail or push the host into swap; free memory or turn prealloc off`);
        else if (freeMiB < memMiB) messages.warn('memory-not-free', `${has} now, less than the ${formatSizeMiB(memMiB)} bound there: as the guest fills its memory the host must reclaim page cache or swap; free memory on ${nodes.length === 1 ? 'that node' : 'those nodes'} or give the VM less`);
      }
    }
    const sizes = nodes.map((node) => nodeMemMiB(view, node));
    if (sizes.every((sizeMiB) => sizeMiB !== null)) {
      const totalMiB = sizes.reduce((sum, sizeMiB) => sum! + sizeMiB!, 0)!;
      if (totalMiB < memMiB) messages.warn('memory-exceeds-node', `${where} ha${nodes.length === 1 ? 's' : 've'} ${formatSizeMiB(totalMiB)} of memory, less than the ${formatSizeMiB(memMiB)} asked for`);
    }
  }
}

/**
 * The commands that reserve `pages` pages over `nodes`, shared evenly (the VM's memory is bound
 * to all of them), each node's nr_hugepages set to what it holds now plus what it lacks of its
 * share (nr_hugepages is the pool's size, not an increment): one `echo N > .../nodeK/...` per node
 * that lacks pages.
 */
export function reserveCommands(view: HostView, nodes: readonly number[], backing: Exclude<MemoryBacking, 'ram'>, pages: number): string {
  const share = Math.ceil(pages / nodes.length);
  const commands: string[] = [];
  for (const node of nodes) {
    const pool = view.topology.nodes.find((entry) => entry.id === node)?.hugepages[PAGE_KIB[backing]];
    const lacking = share - (pool?.free ?? 0);
    if (lacking > 0) commands.push(`echo ${(pool?.total ?? 0) + lacking} > /sys/devices/system/node/node${node}/hugepages/hugepages-${PAGE_KIB[backing]}kB/nr_hugepages`);
  }
  return commands.join('; ');
}
