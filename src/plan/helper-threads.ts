/**
 * Host CPUs for QEMU's helper threads: the emulator (main loop) and the iothreads. They run where
 * the spec asks ("housekeeping", "with-vcpus" or "dedicated"), always as near the vCPUs as the
 * host allows, and a dedicated one never on a vCPU's core when another is free. Housekeeping is
 * kept per socket, so on a host with several nodes per socket the VM's node may have none: then
 * the helpers share one free core of the VM's node instead (its L3 first), and where no core is
 * free there they stay on the remote housekeeping CPUs, warned (helper-remote).
 */
import { formatCpuList } from '../host/cpulist.js';
import type { PlanIothread, VmSpec } from '../spec/types.js';
import { roundRobinDiskIothreads } from '../shared/disk-iothreads.js';
import type { HostOffer } from './host-offer.js';
import { coreOf } from './host-view.js';
import { range, unique } from './number-lists.js';
import type { PlanMessages } from './plan-messages.js';

export type HelperPlacement = VmSpec['emulator']['placement'] | VmSpec['iothreads']['placement'];

/** The iothreads a spec asks for (io0, io1...), each with the disks it serves, not yet pinned. */
export function unpinnedIothreads(spec: VmSpec): PlanIothread[] {
  const out = range(spec.iothreads.count).map((index) => ({ id: `io${index}`, disks: [] as number[] }));
  roundRobinDiskIothreads(spec.disks, out.length).forEach((iothread, disk) => {
    if (iothread !== null) out[iothread]!.disks.push(disk);
  });
  return out.map((entry) => ({ ...entry, hostCpus: [] }));
}

export interface HelperThreadsInput {
  offer: HostOffer;
  spec: VmSpec;
  /** Host CPU of each vCPU (index = vCPU). */
  vcpuHostCpus: number[];
  /** Host nodes the vCPUs and memory are on. */
  hostNodes: number[];
  /** SMT siblings held idle for the vCPUs (pinning.siblings "idle"): never given to a helper. */
  idleCpus?: number[];
  messages: PlanMessages;
}

/**
 * Pins the emulator, then each iothread in order. A dedicated helper reserves its CPU, so the
 * next dedicated one gets another.
 */
export function placeHelperThreads(input: HelperThreadsInput): { emulator: number[]; iothreads: PlanIothread[] } {
  const { spec } = input;
  const reservedCpus = new Set<number>([...input.vcpuHostCpus, ...(input.idleCpus ?? [])]);
  const usesHousekeeping = (spec.emulator.cpus === null && spec.emulator.placement === 'housekeeping') || (spec.iothreads.count > 0 && (spec.iothreads.cpus ?? null) === null && spec.iothreads.placement === 'housekeeping');
  const localHousekeeping = usesHousekeeping ? localHousekeepingCpus(input.offer, input.vcpuHostCpus, input.hostNodes) : null;
  const common = { offer: input.offer, vcpuHostCpus: input.vcpuHostCpus, hostNodes: input.hostNodes, messages: input.messages, localHousekeeping };
  const emulator = placeHelperThread({ ...common, what: 'emulator', placement: spec.emulator.placement, explicitCpus: spec.emulator.cpus, reservedCpus });
  if (spec.emulator.placement === 'dedicated') for (const cpu of emulator) reservedCpus.add(cpu);
  const iothreads = unpinnedIothreads(spec).map((thread) => {
    const hostCpus = placeHelperThread({ ...common, what: `iothread ${thread.id}`, placement: spec.iothreads.placement, explicitCpus: spec.iothreads.cpus ?? null, reservedCpus });
    if (spec.iothreads.placement === 'dedicated' && (spec.iothreads.cpus ?? null) === null) for (const cpu of hostCpus) reservedCpus.add(cpu);
    return { ...thread, hostCpus };
  });
  return { emulator, iothreads };
}

/**
 * Where housekeeping-placed helpers of this VM run when the host keeps housekeeping CPUs: those
 * on the VM's nodes; with none there, one free core of the VM's nodes off the vCPUs' cores (a
 * core no other VM touches, in the VM's L3 groups, not isolated, lowest first); null when there
 * is none (the helpers then stay on the nearest housekeeping CPUs).
 */
export function localHousekeepingCpus(offer: HostOffer, vcpuHostCpus: number[], hostNodes: number[]): number[] | null {
  const { view, taken, housekeepingCpus, housekeepingSet } = offer;
  if (housekeepingCpus.length === 0 || hostNodes.length === 0) return null;
  const onNodes = housekeepingCpus.filter((cpu) => hostNodes.includes(view.nodeOf.get(cpu)!));
  if (onNodes.length > 0) return onNodes;
  const vcpuSet = new Set(vcpuHostCpus);
  const vcpuCores = new Set(vcpuHostCpus.map((cpu) => view.coreKeyOf.get(cpu)));
  const vcpuL3s = new Set(vcpuHostCpus.map((cpu) => view.l3KeyOf.get(cpu)));
  const cores = new Map<string, number[]>();
  for (const cpu of view.online) {
    const key = view.coreKeyOf.get(cpu)!;
    if (!hostNodes.includes(view.nodeOf.get(cpu)!) || taken.has(cpu) || vcpuSet.has(cpu) || housekeepingSet.has(cpu) || vcpuCores.has(key)) continue;
    if (!cores.has(key)) cores.set(key, []);
    cores.get(key)!.push(cpu);
  }
  const ranked = [...cores.entries()].map(([key, cpus]) => ({
    cpus,
    clean: coreOf(view, cpus[0]!).every((cpu) => !taken.has(cpu)) && key.split(',').length === cpus.length,
    local: vcpuL3s.has(view.l3KeyOf.get(cpus[0]!)),
    isolated: cpus.some((cpu) => view.byCpu.get(cpu)!.isolated),
  }));
  ranked.sort((a, b) => Number(b.clean) - Number(a.clean) || Number(b.local) - Number(a.local) || Number(a.isolated) - Number(b.isolated) || a.cpus[0]! - b.cpus[0]!);
  return ranked.length > 0 ? ranked[0]!.cpus : null;
}

export interface HelperThreadInput {
  offer: HostOffer;
  /** Names the helper in warnings: "emulator", "iothread io0". */
  what: string;
  placement: HelperPlacement;
  /** CPUs the spec lists for this helper (emulator.cpus, iothreads.cpus; checked before placement), used as given. */
  explicitCpus: number[] | null;
  vcpuHostCpus: number[];
  hostNodes: number[];
  /** vCPUs' CPUs and CPUs of dedicated helpers placed before this one. */
  reservedCpus: ReadonlySet<number>;
  /** localHousekeepingCpus for this VM (null: none, or not worked out). */
  localHousekeeping?: number[] | null;
  messages: PlanMessages;
}

/**
 * Host CPUs for the emulator or one iothread, ascending:
 * - with-vcpus: the vCPUs' CPUs;
 * - housekeeping: the housekeeping CPUs on the VM's nodes, else the VM's local helper core (see
 *   localHousekeepingCpus), else the nearest housekeeping CPUs; with none kept, free CPUs no vCPU
 *   uses, else the vCPUs' CPUs;
 * - dedicated: one free CPU, off the vCPUs' cores first, then on the VM's nodes and L3 groups,
 *   then lowest; with none free, housekeeping (warned: no-dedicated-cpu).
 * A helper that ends up off the VM's nodes is warned (helper-remote).
 */
export function placeHelperThread(input: HelperThreadInput): number[] {
  const cpus = chooseHelperCpus(input);
  warnIfRemote(input, cpus);
  return cpus;
}

function chooseHelperCpus(input: HelperThreadInput): number[] {
  const { offer, vcpuHostCpus, hostNodes, reservedCpus } = input;
  const { view, taken, housekeepingCpus, housekeepingSet } = offer;
  if (input.explicitCpus !== null) return unique(input.explicitCpus);
  const vcpuSet = unique(vcpuHostCpus);
  if (input.placement === 'with-vcpus') return vcpuSet;
  const local = input.localHousekeeping ?? null;
  // Nearest first: on the VM's nodes, else on its sockets, else wherever they are.
  const vcpuSockets = new Set(vcpuHostCpus.map((cpu) => view.byCpu.get(cpu)!.socket));
  const nearest = (cpus: number[]) => {
    const onNodes = cpus.filter((cpu) => hostNodes.includes(view.nodeOf.get(cpu)!));
    if (onNodes.length > 0) return onNodes;
    const sameSocket = cpus.filter((cpu) => vcpuSockets.has(view.byCpu.get(cpu)!.socket));
    return sameSocket.length > 0 ? sameSocket : cpus;
  };
  const onHousekeeping = (): number[] => {
    if (local !== null) return unique(local);
    if (housekeepingCpus.length > 0) return nearest(housekeepingCpus);
    const spare = view.online.filter((cpu) => !taken.has(cpu) && !reservedCpus.has(cpu));
    return spare.length > 0 ? nearest(spare) : vcpuSet;
  };
  if (input.placement === 'housekeeping') return onHousekeeping();
  const vcpuCores = new Set(vcpuHostCpus.map((cpu) => view.coreKeyOf.get(cpu)));
  const vcpuL3s = new Set(vcpuHostCpus.map((cpu) => view.l3KeyOf.get(cpu)));
  const localSet = new Set(local ?? []);
  const offNodes = (cpu: number) => Number(!hostNodes.includes(view.nodeOf.get(cpu)!));
  const candidates = view.online
    .filter((cpu) => !taken.has(cpu) && !reservedCpus.has(cpu) && !housekeepingSet.has(cpu) && !localSet.has(cpu))
    // Off the vCPUs' cores first (a sibling would steal from a vCPU), then near the VM.
    .sort(
      (a, b) =>
        Number(vcpuCores.has(view.coreKeyOf.get(a))) - Number(vcpuCores.has(view.coreKeyOf.get(b))) ||
        offNodes(a) - offNodes(b) ||
        Number(!vcpuL3s.has(view.l3KeyOf.get(a))) - Number(!vcpuL3s.has(view.l3KeyOf.get(b))) ||
        a - b,
    );
  if (candidates.length > 0) return [candidates[0]!];
  input.messages.warn('no-dedicated-cpu', `${input.what}: no free CPU left for a dedicated one; placed on the housekeeping CPUs`);
  return onHousekeeping();
}

/** helper-remote: none of the helper's CPUs is on a node the vCPUs and memory are on. */
function warnIfRemote(input: HelperThreadInput, cpus: number[]): void {
  const { view } = input.offer;
  if (input.hostNodes.length === 0 || cpus.length === 0) return;
  if (cpus.some((cpu) => input.hostNodes.includes(view.nodeOf.get(cpu)!))) return;
  const nodes = unique(cpus.map((cpu) => view.nodeOf.get(cpu)!));
  const vmSockets = new Set(input.vcpuHostCpus.map((cpu) => view.byCpu.get(cpu)!.socket));
  const otherPackage = cpus.every((cpu) => !vmSockets.has(view.byCpu.get(cpu)!.socket));
  const vmNodes = `node${input.hostNodes.length === 1 ? '' : 's'} ${input.hostNodes.join(', ')}`;
  const why = input.explicitCpus !== null
    ? `as ${input.what === 'emulator' ? 'emulator.cpus' : 'iothreads.cpus'} lists; list CPUs of ${vmNodes} to keep it near`
    : `because no CPU of ${vmNodes} is free off the vCPUs' cores; leave one core there free (one vCPU fewer) or place it with-vcpus`;
  input.messages.warn(
    'helper-remote',
    `${input.what} runs on CPU${cpus.length === 1 ? '' : 's'} ${formatCpuList(cpus)} (node${nodes.length === 1 ? '' : 's'} ${nodes.join(', ')}${otherPackage ? ', another package' : ''}), away from ${vmNodes} where the vCPUs and memory are, ${why}`,
  );
}
