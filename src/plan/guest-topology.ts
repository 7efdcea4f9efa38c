/**
 * The topology the guest sees: sockets/dies/cores/threads, where each vCPU sits in it, and the
 * CPU features that make its SMT visible. With an automatic topology it follows the placement, so
 * vCPUs the guest sees as threads of one core are threads of one host core.
 */
import type { CpuInfo } from '../host/cpuinfo.js';
import { guestCpuVendor, seesSmtThroughTopoext, type CpuVendor } from '../spec/cpu-vendor.js';
import type { PlanVcpu, VmSpec } from '../spec/types.js';
import type { HostView } from './host-view.js';
import { range } from './number-lists.js';
import type { VcpuPlacement } from './placement.js';
import type { VcpuGroup } from './vcpu-groups.js';

/** sockets * dies * cores * threads = the vCPU count. */
export interface GuestTopology {
  sockets: number;
  dies: number;
  cores: number;
  threads: number;
}

/** The topology the spec states (explicit, or the parser's default for an automatic one). */
export function declaredGuestTopology(spec: VmSpec): GuestTopology {
  const { sockets, dies, cores, threads } = spec.vcpus;
  return { sockets, dies, cores, threads };
}

export interface GuestTopologyInput {
  view: HostView;
  vcpuCount: number;
  groups: VcpuGroup[];
  /** null when the vCPUs are not pinned: one socket of single-thread cores. */
  placement: VcpuPlacement | null;
  /** Whether the guest can be shown SMT at all (guestSeesSmt); when not, threads=1. */
  smt: boolean;
}

/** The host vendor as the guest-vendor rules need it (Hygon hosts report "other" in CpuInfo). */
export function hostCpuVendor(cpuInfo: CpuInfo): CpuVendor {
  return cpuInfo.vendorId === 'HygonGenuine' ? 'hygon' : cpuInfo.vendor;
}

/**
 * Whether vCPUs placed on SMT siblings are shown to the guest as threads of one core. Not under
 * TCG: its vCPU threads gain nothing from sharing a core, and QEMU's TCG cannot give an AMD-style
 * guest (qemu64, max) the topoext leaves it would need. Not for an AMD-style guest model on a
 * host that is not: the kernel's KVM reports topoext only on AMD and Hygon hosts. QEMU sets it
 * under KVM on any host (test/real/cpu-models.test.ts sees EPYC's topoext available on an Intel
 * host), but whether a guest then sees real threads there is not proven, so such a guest is kept
 * on single-thread cores: a choice that is never wrong, only less telling.
 */
export function guestSeesSmt(cpuInfo: CpuInfo, spec: Pick<VmSpec, 'accel' | 'cpu'>): boolean {
  if (spec.accel !== 'kvm') return false;
  const host = hostCpuVendor(cpuInfo);
  return !seesSmtThroughTopoext(guestCpuVendor(spec.cpu.model, spec.accel, host)) || seesSmtThroughTopoext(host);
}

/**
 * The topology chosen from the placement when the spec gave only a count: threads as placed; one
 * guest socket per guest NUMA node when the nodes are equal, contiguous runs of vCPUs; else one
 * guest socket per host socket when the vCPUs sit in equal, consecutive runs per host socket;
 * else one socket. Dies tell the guest its L3 groups (QEMU shares a guest's L3 per die): see
 * chooseGuestDies.
 */
export function chooseGuestTopology({ view, vcpuCount, groups, placement, smt }: GuestTopologyInput): GuestTopology {
  const threads = smt ? (placement?.threads ?? 1) : 1;
  const guestCores = vcpuCount / threads;
  let sockets = 1;
  if (groups.length > 1) {
    const size = groups[0]!.vcpus.length;
    const contiguous = groups.every((group, index) => group.vcpus.length === size && group.vcpus[0] === index * size && group.vcpus.every((vcpu, offset) => vcpu === index * size + offset));
    if (contiguous && size % threads === 0) sockets = groups.length;
  } else if (placement) {
    const socketOf = (cpu: number) => view.byCpu.get(cpu)!.socket ?? -1;
    const runs: number[] = [];
    let previous: number | null = null;
    for (const cpu of placement.vcpuHost) {
      const socket = socketOf(cpu);
      if (socket !== previous) runs.push(0);
      runs[runs.length - 1]! += 1;
      previous = socket;
    }
    const distinct = new Set(placement.vcpuHost.map(socketOf)).size;
    if (runs.length > 1 && runs.length === distinct && runs.every((run) => run === runs[0] && run % threads === 0)) sockets = runs.length;
  }
  const dies = placement ? chooseGuestDies(view, placement.vcpuHost, sockets, threads) : 1;
  return { sockets, dies, cores: guestCores / sockets / dies, threads };
}

/**
 * Guest dies per socket, so that each die is one host L3 group: every guest socket's vCPUs fall
 * in the same number of equal, consecutive runs, one per L3 group, whole guest cores each, and no
 * L3 group holds two runs. Else 1 (an uneven split cannot be told; the split-l3 warning says so).
 * E.g. 8 vCPUs on host CPUs 1-4 (L3 0) and 9-12 (L3 1): dies=2; 6 + 2 of them: dies=1.
 */
export function chooseGuestDies(view: HostView, vcpuHost: number[], sockets: number, threads: number): number {
  const perSocket = vcpuHost.length / sockets;
  const seen = new Set<number>();
  let dies: number | null = null;
  for (let socket = 0; socket < sockets; socket++) {
    const runs: Array<{ l3: number; length: number }> = [];
    for (const cpu of vcpuHost.slice(socket * perSocket, (socket + 1) * perSocket)) {
      const l3 = view.byCpu.get(cpu)!.l3;
      if (l3 === null) return 1;
      if (runs.at(-1)?.l3 === l3) runs.at(-1)!.length += 1;
      else {
        if (seen.has(l3)) return 1;
        seen.add(l3);
        runs.push({ l3, length: 1 });
      }
    }
    if (!runs.every((run) => run.length === runs[0]!.length && run.length % threads === 0)) return 1;
    if (dies !== null && dies !== runs.length) return 1;
    dies = runs.length;
  }
  return dies ?? 1;
}

/**
 * The guest CPU's feature toggles for this topology. An AMD-style guest (by the guest model's
 * vendor, not the host's: qemu64 and EPYC are AMD models, Skylake-Server is Intel on any host)
 * learns its SMT from the topoext CPUID leaves; without them a guest with threads=2 sees
 * single-thread cores (QEMU warns, and Windows complains about the topology). So +topoext is added
 * for an AMD-style guest with threads > 1 under KVM on an AMD or Hygon host (the hosts whose KVM
 * reports topoext; see guestSeesSmt), unless the spec already toggles topoext either way.
 * Returns a new list.
 */
export function guestCpuFeatures(cpuInfo: CpuInfo, spec: Pick<VmSpec, 'accel' | 'cpu'>, topology: GuestTopology): string[] {
  const features = spec.cpu.features;
  const toggled = features.some((feature) => feature.slice(1) === 'topoext');
  const host = hostCpuVendor(cpuInfo);
  const guest = guestCpuVendor(spec.cpu.model, spec.accel, host);
  if (spec.accel === 'kvm' && seesSmtThroughTopoext(guest) && seesSmtThroughTopoext(host) && topology.threads > 1 && !toggled) return [...features, '+topoext'];
  return [...features];
}

/**
 * Each vCPU's place: its host CPU (null when unpinned), its socket/die/core/thread in the guest
 * (consecutive vCPUs are threads of one core, as QEMU numbers them) and its guest NUMA node.
 */
export function buildPlanVcpus(spec: VmSpec, topology: GuestTopology, placement: VcpuPlacement | null): PlanVcpu[] {
  const guestNodeOf = new Map<number, number>();
  spec.numa.forEach((node, index) => node.vcpus.forEach((vcpu) => guestNodeOf.set(vcpu, index)));
  const { sockets, dies, cores, threads } = topology;
  return range(spec.vcpus.count).map((vcpu) => ({
    vcpu,
    hostCpu: placement ? placement.vcpuHost[vcpu]! : null,
    socket: Math.floor(vcpu / (threads * cores * dies)) % sockets,
    die: Math.floor(vcpu / (threads * cores)) % dies,
    core: Math.floor(vcpu / threads) % cores,
    thread: vcpu % threads,
    guestNode: spec.numa.length > 0 ? guestNodeOf.get(vcpu)! : null,
  }));
}
