/**
 * The VM step's fields as lines (pure): name, network, disk image with the free space of the
 * filesystem that holds it, memory against what the planned host nodes have free. A problem
 * carries a "!" in its text (not colour alone); every line is wrapped to the width, never cut.
 */
import type { DiskSpaceAnswer, HostInterfaces, HostMemoryAnswer } from '../../src/app/host-offer.js';
import type { Topology } from '../../src/host/topology.js';
import { formatCpuList } from '../../src/host/cpulist.js';
import { formatGiB } from '../../src/host/topology-text.js';
import { PAGE_KIB, PAGE_MIB } from '../../src/shared/page-sizes.js';
import { wrapText } from '../../src/shared/text.js';
import { formatSizeMiB } from '../../src/spec/size.js';
import type { Plan } from '../../src/spec/types.js';
import { networkChoices, netValue } from '../../src/state/vm-offer.js';

export interface VmLine {
  text: string;
  color?: string;
}

export interface VmLinesInput {
  plan: Plan;
  topology: Topology;
  /** Null while the host is being asked. */
  interfaces: HostInterfaces | null;
  disk: DiskSpaceAnswer | null;
  memory: HostMemoryAnswer | null;
  width: number;
}

export function formatBytes(bytes: number): string {
  const gib = bytes / 2 ** 30;
  return gib >= 1 ? `${gib.toFixed(gib >= 100 ? 0 : 1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** The label of the spec's network among the host's choices, and what the host still needs. */
export function networkLine(plan: Plan, interfaces: HostInterfaces | null): VmLine[] {
  const value = netValue(plan.spec.network);
  if (plan.spec.network.mode !== 'tap') return [{ text: `net ${value === 'user' ? 'user-mode (NAT, no setup)' : 'none'} (n: choose)` }];
  const ifname = plan.spec.network.ifname ?? '';
  if (interfaces === null) return [{ text: `net tap ${ifname} (n: choose) · reading the host's interfaces…` }];
  const known = interfaces.interfaces.find((entry) => entry.name === ifname);
  if (known) return [{ text: `net tap ${ifname}${known.bridge ? ` on bridge ${known.bridge}` : ', on no bridge'} (n: choose)` }];
  const choice = networkChoices(interfaces.interfaces, plan.spec.name).find((entry) => entry.value === value);
  return [
    { text: `net tap ${ifname} (n: choose) · ! no such interface on this host yet`, color: 'yellow' },
    ...(choice?.setup ? [{ text: choice.setup, color: 'yellow' }] : []),
  ];
}

export function diskLine(plan: Plan, disk: DiskSpaceAnswer | null): VmLine {
  const disks = plan.spec.disks;
  if (disks.length === 0) return { text: 'disk none (d: add a disk image)' };
  const more = disks.length > 1 ? ` (+${disks.length - 1} more; d edits the first)` : ' (d: change)';
  const head = `disk ${disks[0]!.path}${more}`;
  if (disk === null || disk.file !== disks[0]!.path) return { text: `${head} · checking its filesystem…` };
  if ('unknown' in disk) return { text: `${head} · free space unknown: ${disk.unknown}`, color: 'gray' };
  const image = disk.exists ? `${formatBytes(disk.sizeBytes ?? 0)} image` : `! new file: QEMU will not create it (qemu-img create -f ${disks[0]!.format} PATH 20G)`;
  return {
    text: `${head} · ${image} · ${formatBytes(disk.availableBytes)} free of ${formatBytes(disk.totalBytes)} on ${disk.mount} (${disk.fsType}${deviceText(disk.device)})`,
    color: disk.exists ? undefined : 'yellow',
  };
}

/** ", on nvme0n1 (NVMe, Samsung ...)" for the block device under the image; "" when not known. */
function deviceText(device: { name: string; physical: string; model: string } | null | undefined): string {
  if (!device) return '';
  const what = [device.physical, device.model].filter((part) => part !== '').join(', ');
  return `, on ${device.name}${what ? ` ${what}` : ''}`;
}

/**
 * Memory against the planned host nodes: their free memory (or free huge pages of the backing's
 * size), and the host's available memory. "!" when the nodes do not have it free.
 */
export function memoryLine(plan: Plan, topology: Topology, memory: HostMemoryAnswer | null): VmLine {
  const { sizeMiB, backing, hostNodes } = plan.memory;
  const pageMiB = backing === 'ram' ? null : PAGE_MIB[backing];
  const poolKey = backing === 'ram' ? null : PAGE_KIB[backing];
  const nodes = hostNodes.length ? hostNodes : topology.nodes.map((node) => node.id);
  let freeMiB = 0;
  let known = true;
  const parts = nodes.map((id) => {
    const node = topology.nodes.find((entry) => entry.id === id);
    if (!node) {
      known = false;
      return `node ${id} ?`;
    }
    if (pageMiB !== null && poolKey !== null) {
      const pool = node.hugepages[poolKey];
      const free = pool ? pool.free * pageMiB : 0;
      freeMiB += free;
      return `node ${id} ${pool ? `${pool.free}/${pool.total}` : 'no'} ${backing.slice(10)} pages free`;
    }
    if (node.freeMiB === null || node.freeMiB === undefined) {
      known = false;
      return `node ${id} free ? of ${formatGiB(node.memMiB)}`;
    }
    freeMiB += node.freeMiB;
    return `node ${id} ${formatGiB(node.freeMiB)} free of ${formatGiB(node.memMiB)}`;
  });
  const host = memory === null ? '' : 'unknown' in memory ? '' : ` · host ${formatGiB(memory.availableMiB)} available`;
  const short = known && freeMiB < sizeMiB;
  const where = hostNodes.length ? `on node ${formatCpuList(hostNodes)}` : 'on any node';
  const warning = short ? ` · ! more than ${nodes.length > 1 ? 'these nodes have' : 'the node has'} free${pageMiB ? ' (the audit\'s fix reserves pages)' : ''}` : '';
  return { text: `memory ${formatSizeMiB(sizeMiB)} ${backing} ${where}: ${parts.join(', ')}${host}${warning}`, color: short ? 'yellow' : undefined };
}

/** The guest OS and what it chose of the platform. */
export function guestLine(plan: Plan): VmLine {
  const guest = plan.spec.guest;
  const platform = [
    guest.firmware === 'uefi' ? `UEFI${guest.secureBoot ? ' with secure boot' : ''}` : 'BIOS',
    ...(guest.tpm ? ['TPM 2.0'] : []),
    ...(guest.hyperv ? [plan.spec.accel === 'kvm' ? 'Hyper-V enlightenments' : 'Hyper-V enlightenments (KVM only: off under TCG)'] : []),
    `RTC ${guest.clock === 'localtime' ? 'in local time' : 'in UTC'}`,
  ];
  return { text: `guest ${guest.os} (o: change) · ${platform.join(', ')}` };
}

/** Name, guest OS, network, disk and memory lines of the VM step, wrapped to `width`. */
export function buildVmLines(input: VmLinesInput): VmLine[] {
  const { plan, width } = input;
  const lines: VmLine[] = [
    { text: `name ${plan.spec.name} (N: rename)` },
    guestLine(plan),
    ...networkLine(plan, input.interfaces),
    diskLine(plan, input.disk),
    memoryLine(plan, input.topology, input.memory),
  ];
  return lines.flatMap((line) => wrapText(line.text, Math.max(20, width), '  ').map((text) => ({ ...line, text })));
}
