/**
 * One attempt at an automatic placement inside one pool of CPUs: which guest-threads settings to
 * try, and every group of the VM placed by compact or spread under each in turn.
 */
import type { VmSpec } from '../spec/types.js';
import { chooseGuestNodeHosts } from './guest-node-hosts.js';
import { buildHostCores, totalUnits, type HostCore, type ThreadConfig } from './host-cores.js';
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
 * a single node whose free memory holds it, then on any single node, before any config across
 * nodes, so the plan spans nodes only when it must. With guest NUMA nodes, the host nodes are
 * chosen for all of them together (chooseGuestNodeHosts: free memory, distance, socket).
 */
export function placeInPool(input: PoolPlacementInput): VcpuPlacement | null {
  const { offer, spec, groups } = input;
  const spread = spec.pinning.strategy === 'spread';
  const attempts: Array<{ config: ThreadConfig; multiNode: boolean; requireFit: boolean }> = [];
  if (spread) for (const config of input.configs) attempts.push({ config, multiNode: true, requireFit: false });
  else {
    for (const requireFit of [true, false]) for (const config of input.configs) attempts.push({ config, multiNode: false, requireFit });
    for (const config of input.configs) attempts.push({ config, multiNode: true, requireFit: false });
  }
  const preferredByConfig = new Map<ThreadConfig, Array<number | null>>();
  const preferredFor = (config: ThreadConfig) => {
    if (!preferredByConfig.has(config)) preferredByConfig.set(config, chooseGroupNodes(input, config));
    return preferredByConfig.get(config)!;
  };
  for (const { config, multiNode, requireFit } of attempts) {
    const used = new Set<number>();
    const usedNodes = new Set<number>();
    const vcpuHost: number[] = new Array(spec.vcpus.count);
    const groupNodes: number[][] = [];
    const preferred = multiNode && !spread ? groups.map(() => null) : preferredFor(config);
    let ok = true;
    for (const [index, group] of groups.entries()) {
      const units = group.vcpus.length / config.threads;
      const availableCpus = input.poolCpus.filter((cpu) => !used.has(cpu));
      const common = { offer, group, availableCpus, threadConfig: config, units, preferIsolated: spec.pinning.preferIsolated, preferredNode: preferred[index]! };
      const picked = spread
        ? placeGroupSpread({ ...common, perGuestNode: groups.length > 1 })
        : placeGroupCompact({ ...common, usedNodes, multiNode, requireFit, backing: spec.memory.backing });
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

/** The host node chosen for each group under a config (null each when one group or no choice). */
function chooseGroupNodes(input: PoolPlacementInput, config: ThreadConfig): Array<number | null> {
  const { offer, spec, groups } = input;
  if (groups.length < 2) return groups.map(() => null);
  const byNode = new Map<number, HostCore[]>();
  for (const core of buildHostCores(offer, input.poolCpus, spec.pinning.preferIsolated)) {
    if (!byNode.has(core.node)) byNode.set(core.node, []);
    byNode.get(core.node)!.push(core);
  }
  const capacity = new Map([...byNode.entries()].map(([node, cores]) => [node, totalUnits(cores, config)]));
  const needs = groups.map((group) => ({ units: group.vcpus.length / config.threads, memMiB: group.memMiB, hostNode: group.hostNode }));
  return chooseGuestNodeHosts({ view: offer.view, needs, capacity, backing: spec.memory.backing }) ?? groups.map(() => null);
}
