/**
 * Host CPUs for QEMU's helper threads: the emulator (main loop) and the iothreads. They run where
 * the spec asks ("housekeeping", "with-vcpus" or "dedicated"), always as near the vCPUs as the
 * host allows, and a dedicated one never on a vCPU's core when another is free.
 */
import type { PlanIothread, VmSpec } from '../spec/types.js';
import { roundRobinDiskIothreads } from '../shared/disk-iothreads.js';
import type { HostOffer } from './host-offer.js';
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
  messages: PlanMessages;
}

/**
 * Pins the emulator, then each iothread in order. A dedicated helper reserves its CPU, so the
 * next dedicated one gets another.
 */
export function placeHelperThreads(input: HelperThreadsInput): { emulator: number[]; iothreads: PlanIothread[] } {
  const { spec } = input;
  const reservedCpus = new Set<number>(input.vcpuHostCpus);
  const common = { offer: input.offer, vcpuHostCpus: input.vcpuHostCpus, hostNodes: input.hostNodes, messages: input.messages };
  const emulator = placeHelperThread({ ...common, what: 'emulator', placement: spec.emulator.placement, explicitCpus: spec.emulator.cpus, reservedCpus });
  if (spec.emulator.placement === 'dedicated') for (const cpu of emulator) reservedCpus.add(cpu);
  const iothreads = unpinnedIothreads(spec).map((thread) => {
    const hostCpus = placeHelperThread({ ...common, what: `iothread ${thread.id}`, placement: spec.iothreads.placement, explicitCpus: null, reservedCpus });
    if (spec.iothreads.placement === 'dedicated') for (const cpu of hostCpus) reservedCpus.add(cpu);
    return { ...thread, hostCpus };
  });
  return { emulator, iothreads };
}

export interface HelperThreadInput {
  offer: HostOffer;
  /** Names the helper in warnings: "emulator", "iothread io0". */
  what: string;
  placement: HelperPlacement;
  /** CPUs the spec lists for this helper (checked before placement), used as given. */
  explicitCpus: number[] | null;
  vcpuHostCpus: number[];
  hostNodes: number[];
  /** vCPUs' CPUs and CPUs of dedicated helpers placed before this one. */
  reservedCpus: ReadonlySet<number>;
  messages: PlanMessages;
}

/**
 * Host CPUs for the emulator or one iothread, ascending:
 * - with-vcpus: the vCPUs' CPUs;
 * - housekeeping: the housekeeping CPUs nearest the VM; with none kept, free CPUs no vCPU uses,
 *   else the vCPUs' CPUs;
 * - dedicated: one free CPU, off the vCPUs' cores first, then on the VM's nodes, then lowest;
 *   with none free, housekeeping (warned: no-dedicated-cpu).
 */
export function placeHelperThread(input: HelperThreadInput): number[] {
  const { offer, vcpuHostCpus, hostNodes, reservedCpus } = input;
  const { view, taken, housekeepingCpus, housekeepingSet } = offer;
  if (input.explicitCpus !== null) return unique(input.explicitCpus);
  const vcpuSet = unique(vcpuHostCpus);
  if (input.placement === 'with-vcpus') return vcpuSet;
  // Nearest first: on the VM's nodes, else on its sockets, else wherever they are.
  const vcpuSockets = new Set(vcpuHostCpus.map((cpu) => view.byCpu.get(cpu)!.socket));
  const nearest = (cpus: number[]) => {
    const local = cpus.filter((cpu) => hostNodes.includes(view.nodeOf.get(cpu)!));
    if (local.length > 0) return local;
    const sameSocket = cpus.filter((cpu) => vcpuSockets.has(view.byCpu.get(cpu)!.socket));
    return sameSocket.length > 0 ? sameSocket : cpus;
  };
  const onHousekeeping = (): number[] => {
    if (housekeepingCpus.length > 0) return nearest(housekeepingCpus);
    const spare = view.online.filter((cpu) => !taken.has(cpu) && !reservedCpus.has(cpu));
    return spare.length > 0 ? nearest(spare) : vcpuSet;
  };
  if (input.placement === 'housekeeping') return onHousekeeping();
  const vcpuCores = new Set(vcpuHostCpus.map((cpu) => view.coreKeyOf.get(cpu)));
  const candidates = view.online
    .filter((cpu) => !taken.has(cpu) && !reservedCpus.has(cpu) && !housekeepingSet.has(cpu))
    // Off the vCPUs' cores first (a sibling would steal from a vCPU), then near the VM.
    .sort(
      (a, b) =>
        Number(vcpuCores.has(view.coreKeyOf.get(a))) - Number(vcpuCores.has(view.coreKeyOf.get(b))) ||
        Number(!hostNodes.includes(view.nodeOf.get(a)!)) - Number(!hostNodes.includes(view.nodeOf.get(b)!)) ||
        a - b,
    );
  if (candidates.length > 0) return [candidates[0]!];
  input.messages.warn('no-dedicated-cpu', `${input.what}: no free CPU left for a dedicated one; placed on the housekeeping CPUs`);
  return onHousekeeping();
}
