/**
 * Automatic placement (strategy compact or spread): the VM is cut into "units", one per guest
 * core, each `threads` host CPUs (see threadConfigs), and placed into the first pool that holds
 * it:
 * 1. isolated CPUs only (when preferred and present),
 * 2. on hybrid hosts, the free CPUs of the fastest kind but the housekeeping ones (whole P-cores
 *    with their siblings, no E-core mixed in),
 * 3. every free CPU but the housekeeping ones,
 * 4. every free CPU (a host too small to keep housekeeping free: warned).
 * A CPU another VM holds is never in a pool. Only when whole cores run out are remaining siblings
 * packed as separate guest cores (warned later: smt-hidden), and only after that does the plan
 * span nodes. When no pool holds the VM, it is refused (requireDedicated) or overcommitted.
 *
 * With pinning.siblings "idle" each pool is first tried as one CPU per physical core whose
 * siblings are all in that pool too (no housekeeping CPU, nothing another VM holds), one vCPU per
 * core (guest threads=1); the siblings are then held idle (see idleSiblingsOf). Only when no pool
 * has enough such cores are the vCPUs placed as usual, warned as siblings-not-idle.
 */
import { formatCpuList } from '../host/cpulist.js';
import type { HostView } from './host-view.js';
import { range } from './number-lists.js';
import { placeInPool, threadConfigs } from './place-in-pool.js';
import { groupNodesOf, type PlacementRequest, type VcpuPlacement } from './placement.js';

interface Pool {
  cpus: number[];
  usesHousekeeping: boolean;
  isolatedOnly: boolean;
  /** Taken only when every group stays on one node (fast cores are not worth a cross-NUMA VM). */
  singleNodeOnly?: boolean;
}

/** Places the vCPUs by strategy, or records why it cannot (not-enough-cpus, no-free-cpus) and returns null. */
export function placeAuto(request: PlacementRequest): VcpuPlacement | null {
  const { offer, spec, groups, messages } = request;
  const { view, freeCpus, housekeepingCpus, housekeepingSet, isolatedFreeCpus } = offer;
  const count = spec.vcpus.count;
  if (freeCpus.length === 0) {
    messages.fail('no-free-cpus', `all ${view.online.length} online host CPUs are held by other VMs`);
    return null;
  }
  const pools: Pool[] = [];
  if (spec.pinning.preferIsolated && isolatedFreeCpus.length > 0) pools.push({ cpus: isolatedFreeCpus, usesHousekeeping: false, isolatedOnly: true });
  const ordinary = freeCpus.filter((cpu) => !housekeepingSet.has(cpu));
  if (view.topology.cpuKinds.length > 1) {
    const fastest = Math.max(...view.topology.cpuKinds.map((kind) => kind.rank));
    const fast = ordinary.filter((cpu) => view.kindRankOf.get(cpu) === fastest);
    if (fast.length > 0 && fast.length < ordinary.length) pools.push({ cpus: fast, usesHousekeeping: false, isolatedOnly: false, singleNodeOnly: true });
  }
  pools.push({ cpus: ordinary, usesHousekeeping: false, isolatedOnly: false });
  if (housekeepingCpus.length > 0) pools.push({ cpus: freeCpus, usesHousekeeping: true, isolatedOnly: false });

  if (spec.pinning.siblings === 'idle') {
    for (const pool of pools) {
      // Never onto housekeeping cores: their siblings do the host's work.
      if (pool.usesHousekeeping) continue;
      const wholeCores = oneCpuPerWholeCore(view, pool.cpus);
      if (wholeCores.length < count) continue;
      const result = placeInPool({ offer, spec, groups, poolCpus: wholeCores, configs: [{ threads: 1, packing: false }] });
      if (!result || (pool.singleNodeOnly && result.groupNodes.some((nodes) => nodes.length > 1))) continue;
      if (spec.pinning.preferIsolated && view.topology.isolated.length > 0 && !pool.isolatedOnly) {
        const plain = result.vcpuHost.filter((cpu) => !view.byCpu.get(cpu)!.isolated);
        if (plain.length > 0) messages.warn('not-isolated', `only ${isolatedFreeCpus.length} isolated CPUs are free for ${count} vCPUs: ${formatCpuList(plain)} are not isolated`);
      }
      return result;
    }
    const whole = oneCpuPerWholeCore(view, freeCpus.filter((cpu) => !housekeepingSet.has(cpu))).length;
    messages.warn(
      'siblings-not-idle',
      `pinning.siblings idle: ${whole} whole free physical cores (no housekeeping CPU, no other VM on them) for ${count} vCPUs, so vCPUs share cores with their SMT siblings; lower --vcpus, or free cores`,
    );
  }
  const configs = threadConfigs(offer, spec, groups);
  for (const pool of pools) {
    if (pool.cpus.length < count) continue;
    const result = placeInPool({ offer, spec, groups, poolCpus: pool.cpus, configs });
    if (!result || (pool.singleNodeOnly && result.groupNodes.some((nodes) => nodes.length > 1))) continue;
    if (pool.usesHousekeeping) {
      const used = result.vcpuHost.filter((cpu) => housekeepingSet.has(cpu));
      if (used.length > 0) {
        messages.warn('no-housekeeping', `the host is too small to keep housekeeping CPUs free: vCPUs placed on ${formatCpuList(used)}, which the host needs for its own work`);
      }
    }
    if (spec.pinning.preferIsolated && view.topology.isolated.length > 0 && !pool.isolatedOnly) {
      const plain = result.vcpuHost.filter((cpu) => !view.byCpu.get(cpu)!.isolated);
      if (plain.length > 0) messages.warn('not-isolated', `only ${isolatedFreeCpus.length} isolated CPUs are free for ${count} vCPUs: ${formatCpuList(plain)} are not isolated`);
    }
    return result;
  }

  if (spec.pinning.requireDedicated) {
    const held = view.online.length - freeCpus.length;
    messages.fail(
      'not-enough-cpus',
      `${count} vCPUs need ${count} host CPUs of their own, but only ${freeCpus.length} of ${view.online.length} online CPUs are free${held > 0 ? ` (${held} held by other VMs)` : ''}; lower --vcpus or allow sharing (pinning.requireDedicated false)`,
    );
    return null;
  }
  // Overcommit: every free CPU, vCPUs dealt round-robin in locality order so each CPU's share
  // stays even.
  const order = orderForOvercommit(view, freeCpus);
  const vcpuHost = range(count).map((vcpu) => order[vcpu % order.length]!);
  messages.warn('overcommit', `${count} vCPUs share ${order.length} free host CPUs (${(count / order.length).toFixed(1)} per CPU): expect them to wait for each other`);
  return { vcpuHost, threads: 1, groupNodes: groupNodesOf(view, groups, vcpuHost) };
}

/** The lowest CPU of every physical core whose online siblings are all in `cpus`, ascending. */
function oneCpuPerWholeCore(view: HostView, cpus: number[]): number[] {
  const inPool = new Set(cpus);
  const out: number[] = [];
  for (const cpu of cpus) {
    const siblings = view.coreKeyOf.get(cpu)!.split(',').map(Number).filter((sibling) => view.nodeOf.has(sibling));
    if (siblings.every((sibling) => inPool.has(sibling)) && Math.min(...siblings) === cpu) out.push(cpu);
  }
  return out.sort((a, b) => a - b);
}

/**
 * With pinning.siblings "idle" and every vCPU alone on its core: the other online CPUs of those
 * cores, held idle for the VM. Empty otherwise (siblings shared, or not pinned).
 */
export function idleSiblingsOf(view: HostView, siblings: 'share' | 'idle' | undefined, vcpuHost: readonly number[]): number[] {
  if (siblings !== 'idle' || vcpuHost.length === 0) return [];
  const vcpuCpus = new Set(vcpuHost);
  const out = new Set<number>();
  for (const cpu of vcpuCpus) {
    const core = view.coreKeyOf.get(cpu)!.split(',').map(Number);
    // A core with two vCPUs on it was not placed idle (siblings-not-idle): nothing to hold.
    if (core.filter((sibling) => vcpuCpus.has(sibling)).length > 1) return [];
    for (const sibling of core) if (sibling !== cpu && view.nodeOf.has(sibling)) out.add(sibling);
  }
  return [...out].sort((a, b) => a - b);
}

/** Free CPUs node by node, so round-robin dealing keeps neighbouring vCPUs near each other. */
function orderForOvercommit(view: HostView, freeCpus: number[]): number[] {
  return [...freeCpus].sort((a, b) => view.nodeOf.get(a)! - view.nodeOf.get(b)! || a - b);
}
