/**
 * The rules a placement may have had to bend, each said as a warning: vCPUs across NUMA nodes or
 * L3 groups, a host node asked for and not used, guest nodes sharing a host node, mixed CPU kinds,
 * SMT siblings the guest cannot see as such, siblings shared with other VMs or helpers, and helpers
 * placed by hand on a vCPU's own CPU.
 * Automatic and manual placements are checked alike.
 */
import type { PlanIothread, VmSpec } from '../spec/types.js';
import type { HostOffer } from './host-offer.js';
import { coreOf } from './host-view.js';
import { unique } from './number-lists.js';
import type { VcpuPlacement } from './placement.js';
import type { PlanMessages } from './plan-messages.js';
import type { VcpuGroup } from './vcpu-groups.js';

export interface PlacementRulesInput {
  offer: HostOffer;
  spec: VmSpec;
  placement: VcpuPlacement;
  groups: VcpuGroup[];
  /** Guest threads per core, as the guest will see them (the effective topology). */
  guestThreads: number;
  /** Guest dies per socket (the effective topology): > 1 when the L3 split is told to the guest. */
  guestDies: number;
  emulator: number[];
  iothreads: PlanIothread[];
  messages: PlanMessages;
}

/** Records every bent rule of the placement as a warning. */
export function checkPlacementRules(input: PlacementRulesInput): void {
  checkLocality(input);
  checkSmtVisibility(input);
  checkSharedSiblings(input);
  checkHandPlacedHelpers(input);
}

/**
 * helper-on-vcpu: a helper placed by hand (emulator.cpus, iothreads.cpus) on a vCPU's own CPU.
 * With placement with-vcpus that is what was asked; a list given by hand may be a slip.
 */
function checkHandPlacedHelpers({ spec, placement, emulator, iothreads, messages }: PlacementRulesInput): void {
  const vcpuOf = new Map<number, number[]>();
  placement.vcpuHost.forEach((cpu, vcpu) => vcpuOf.set(cpu, [...(vcpuOf.get(cpu) ?? []), vcpu]));
  const check = (field: string, what: string, cpus: number[]) => {
    const shared = cpus.filter((cpu) => vcpuOf.has(cpu));
    if (shared.length === 0) return;
    const vcpus = unique(shared.flatMap((cpu) => vcpuOf.get(cpu)!));
    messages.warn(
      'helper-on-vcpu',
      `${field} puts ${what} on host CPU${shared.length === 1 ? '' : 's'} ${shared.join(',')}, where vCPU${vcpus.length === 1 ? '' : 's'} ${vcpus.join(', ')} run${vcpus.length === 1 ? 's' : ''}: its work takes ${vcpus.length === 1 ? "that vCPU's" : "those vCPUs'"} time; on a housekeeping CPU it would not`,
    );
  };
  if (spec.emulator.cpus) check('emulator.cpus', 'the emulator thread', emulator);
  if (spec.iothreads.cpus) check('iothreads.cpus', 'the iothreads', unique(iothreads.flatMap((thread) => thread.hostCpus)));
}

/** host-node-unavailable, cross-numa, split-l3, guest-numa-shared-node, mixed-cpu-kinds. */
function checkLocality({ offer, placement, groups, guestDies, messages }: PlacementRulesInput): void {
  const { view } = offer;
  const hosts = placement.vcpuHost;
  groups.forEach((group, index) => {
    const nodes = placement.groupNodes[index]!;
    const label = groups.length > 1 ? `guest node ${index}'s vCPUs` : 'the vCPUs';
    if (group.hostNode !== null && !nodes.includes(group.hostNode)) {
      messages.warn('host-node-unavailable', `${label} asked for host node ${group.hostNode}, which has no room for them: placed on node${nodes.length === 1 ? '' : 's'} ${nodes.join(', ')}`);
    }
    if (nodes.length > 1) {
      const packages = unique(group.vcpus.map((vcpu) => view.byCpu.get(hosts[vcpu]!)!.socket).filter((socket): socket is number => socket !== null));
      const across = packages.length > 1 ? ` on packages ${packages.join(', ')}` : '';
      messages.warn('cross-numa', `${label} span host NUMA nodes ${nodes.join(', ')}${across}: memory accesses from some vCPUs go to a remote node${groups.length > 1 ? '; fewer vCPUs per guest node keep each on one host node' : ' (give the guest NUMA nodes, like the numa-guest preset)'}`);
    }
    const l3s = unique(group.vcpus.map((vcpu) => view.byCpu.get(hosts[vcpu]!)!.l3).filter((l3): l3 is number => l3 !== null));
    if (l3s.length > 1) {
      const most = largestFreeL3(offer);
      const fewer = most > 0 ? `; at most ${most} vCPUs fit in one L3 group here` : '';
      messages.warn(
        'split-l3',
        guestDies > 1
          ? `${label} span ${l3s.length} L3 cache groups, told to the guest as ${guestDies} dies per socket: data shared between vCPUs of different dies goes through memory${fewer}`
          : `${label} span ${l3s.length} L3 cache groups, not as equal runs of consecutive vCPUs, so the guest cannot be told (it sees one shared L3): data shared between vCPUs in different groups goes through memory; use a vCPU count that splits evenly over the L3 groups${fewer}`,
      );
    }
  });
  const shared = groups.flatMap((_, index) => placement.groupNodes[index]!);
  if (groups.length > 1 && unique(shared).length < shared.length) {
    messages.warn('guest-numa-shared-node', 'two guest NUMA nodes sit on the same host node: the guest sees a NUMA layout the host does not have');
  }
  const kinds = unique(hosts.map((cpu) => view.kindRankOf.get(cpu) ?? 0));
  if (view.topology.cpuKinds.length > 0 && kinds.length > 1) {
    messages.warn('mixed-cpu-kinds', 'the vCPUs run on different CPU kinds (performance and efficiency cores): the guest sees them as equal and their speed differs');
  }
}

/** smt-hidden: vCPUs on SMT siblings of one host core that the guest sees as separate cores. */
function checkSmtVisibility({ offer, spec, placement, guestThreads, messages }: PlacementRulesInput): void {
  // TCG's vCPU threads gain nothing from being shown as threads of one core (guestSeesSmt).
  if (spec.accel !== 'kvm') return;
  const hosts = placement.vcpuHost;
  const coreOwners = new Map<string, number[]>();
  hosts.forEach((cpu, vcpu) => {
    const key = offer.view.coreKeyOf.get(cpu)!;
    if (!coreOwners.has(key)) coreOwners.set(key, []);
    coreOwners.get(key)!.push(vcpu);
  });
  for (const vcpusOnCore of coreOwners.values()) {
    const guestCores = unique(vcpusOnCore.map((vcpu) => Math.floor(vcpu / guestThreads)));
    // vCPUs on the very same CPU are overcommit (warned as such), not hidden SMT.
    const distinctCpus = unique(vcpusOnCore.map((vcpu) => hosts[vcpu]!));
    if (guestCores.length > 1 && distinctCpus.length > 1) {
      messages.warn('smt-hidden', `vCPUs ${vcpusOnCore.join(', ')} are on one host core (SMT siblings) but on different guest cores: the guest schedules them as if they did not compete`);
    }
  }
}

/** sibling-shared: a vCPU's sibling runs another VM's vCPU, or this VM's emulator or an iothread. */
function checkSharedSiblings({ offer, spec, placement, emulator, iothreads, messages }: PlacementRulesInput): void {
  const { view, taken } = offer;
  const hosts = placement.vcpuHost;
  const vcpuSet = new Set(hosts);
  const helperCpus = new Map<number, string>();
  if (spec.emulator.placement !== 'with-vcpus') for (const cpu of emulator) helperCpus.set(cpu, 'the emulator thread');
  if (spec.iothreads.placement !== 'with-vcpus') for (const thread of iothreads) for (const cpu of thread.hostCpus) if (!helperCpus.has(cpu)) helperCpus.set(cpu, `iothread ${thread.id}`);
  for (const cpu of unique(hosts)) {
    for (const sibling of coreOf(view, cpu)) {
      if (sibling === cpu || vcpuSet.has(sibling)) continue;
      if (taken.has(sibling)) {
        messages.warn('sibling-shared', `host CPU ${cpu} shares its core with CPU ${sibling}, held by VM "${taken.get(sibling)}": the two VMs slow each other down`);
      } else if (helperCpus.has(sibling)) {
        messages.warn('sibling-shared', `host CPU ${cpu} shares its core with CPU ${sibling}, where ${helperCpus.get(sibling)} runs`);
      }
    }
  }
}

/** The most vCPUs one L3 group can hold: its CPUs that are neither housekeeping nor another VM's. */
function largestFreeL3(offer: HostOffer): number {
  const counts = new Map<string, number>();
  for (const cpu of offer.freeCpus) {
    if (offer.housekeepingSet.has(cpu) || offer.view.byCpu.get(cpu)!.l3 === null) continue;
    const key = offer.view.l3KeyOf.get(cpu)!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}
