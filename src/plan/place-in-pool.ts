/**
 * One attempt at an automatic placement inside one pool of CPUs: which guest-threads settings to
 * try, and every group of the VM placed by compact or spread under each in turn.
 */
import type { VmSpec } from '../spec/types.js';
import type { ThreadConfig } from './host-cores.js';
import type { HostOffer } from './host-offer.js';
import { unique } from './number-lists.js';
import { placeGroupCompact } from './place-compact.js';
import { placeGroupSpread } from './place-spread.js';
import type { VcpuPlacement } from './placement.js';
import type { VcpuGroup } from './vcpu-groups.js';

/**
 * Which guest-threads settings to try, best first. With an automatic guest topology, whole host
 * cores as guest cores (threads = the host's SMT width) when every group is whole guest cores of
 * consecutive vCPUs, then one vCPU per core; an explicit topology is placed as given.
 */
export function threadConfigs(offer: HostOffer, spec: VmSpec, groups: VcpuGroup[]): ThreadConfig[] {
  const aligned = (width: number) =>
    groups.every((group) =>
      group.vcpus.length % width === 0 &&
      group.vcpus[0]! % width === 0 &&
      group.vcpus.every((vcpu, index) => index === 0 || vcpu === group.vcpus[index - 1]! + 1),
    );
  if (!spec.vcpus.autoTopology) {
    // A guest NUMA split through the middle of a guest core: place vCPU by vCPU.
    return [{ threads: aligned(spec.vcpus.threads) ? spec.vcpus.threads : 1, packing: true }];
  }
  const width = offer.view.smtWidth;
  if (spec.pinning.strategy === 'spread' || width <= 1) return [{ threads: 1, packing: true }];
  return aligned(width) ? [{ threads: width, packing: false }, { threads: 1, packing: true }] : [{ threads: 1, packing: true }];
}

export interface PoolPlacementInput {
  offer: HostOffer;
  spec: VmSpec;
  groups: VcpuGroup[];
  /** The CPUs this attempt may use. */
  poolCpus: number[];
  configs: ThreadConfig[];
}

/**
 * Places every group in the pool, or returns null. Compact tries every config with each group on
 * a single node before any config across nodes, so the plan spans nodes only when it must.
 */
export function placeInPool(input: PoolPlacementInput): VcpuPlacement | null {
  const { offer, spec, groups } = input;
  const spread = spec.pinning.strategy === 'spread';
  const attempts: Array<{ config: ThreadConfig; multiNode: boolean }> = [];
  for (const multiNode of spread ? [true] : [false, true]) for (const config of input.configs) attempts.push({ config, multiNode });
  for (const { config, multiNode } of attempts) {
    const used = new Set<number>();
    const usedNodes = new Set<number>();
    const vcpuHost: number[] = new Array(spec.vcpus.count);
    const groupNodes: number[][] = [];
    let ok = true;
    for (const group of groups) {
      const units = group.vcpus.length / config.threads;
      const availableCpus = input.poolCpus.filter((cpu) => !used.has(cpu));
      const common = { offer, group, availableCpus, threadConfig: config, units, preferIsolated: spec.pinning.preferIsolated };
      const picked = spread
        ? placeGroupSpread({ ...common, perGuestNode: groups.length > 1 })
        : placeGroupCompact({ ...common, usedNodes, multiNode, backing: spec.memory.backing });
      if (!picked) {
        ok = false;
        break;
      }
      const flat = picked.flat();
      flat.forEach((cpu, index) => {
        used.add(cpu);
        vcpuHost[group.vcpus[index]!] = cpu;
      });
      const nodes = unique(flat.map((cpu) => offer.view.nodeOf.get(cpu)!));
      nodes.forEach((node) => usedNodes.add(node));
      groupNodes.push(nodes);
    }
    if (ok) return { vcpuHost, threads: config.threads, groupNodes };
  }
  return null;
}
