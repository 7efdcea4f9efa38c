/**
 * The checks a plan passes before it may become a libvirt domain XML (libvirt-xml.ts), apart from
 * the builder: `generate` runs them for every format (a plan yields all its outputs or none) but
 * loads the builder and xmlbuilder2 only for the formats that print XML.
 *
 * `virt-xml-validate` accepts a `<vcpupin>` for a vCPU the domain does not have, two pins for one
 * vCPU and an `<iothreadpin>` for an undeclared iothread; libvirt 9.0 then refuses the last two at
 * define time but silently drops the first. A plan with any of them is refused with a
 * DomainXmlError listing every problem, so no XML with a lost pin exists.
 */
import { formatCpuList } from '../host/cpulist.js';
import type { Plan } from '../spec/types.js';
import { pageKiB } from '../shared/page-sizes.js';

/** A plan that cannot be turned into a domain XML without libvirt dropping or changing part of it. */
export class DomainXmlError extends Error {
  readonly problems: string[];
  readonly hint: string;
  constructor(problems: string[]) {
    super(`cannot build libvirt domain XML: ${problems.join('; ')}`);
    this.name = 'DomainXmlError';
    this.problems = problems;
    this.hint = 'fix the plan (or the spec it came from) so every pin names an existing vCPU/iothread and a real host CPU';
  }
}

/**
 * Every reason the plan cannot become a faithful domain XML (empty when it can). Checks what
 * libvirt would silently drop or rewrite, plus what it would reject later with a less helpful
 * message (host-passthrough under TCG).
 */
export function findPlanXmlProblems(plan: Plan): string[] {
  const problems: string[] = [];
  const { spec } = plan;
  const vcpuCount = spec.vcpus.count;

  for (const error of plan.errors) problems.push(`plan has an error: ${error.code}: ${error.message}`);

  if (!Number.isInteger(vcpuCount) || vcpuCount < 1) problems.push(`vCPU count ${vcpuCount} is not a positive integer`);
  const { sockets, dies, cores, threads } = spec.vcpus;
  if (sockets * dies * cores * threads !== vcpuCount) {
    problems.push(`guest topology ${sockets} sockets x ${dies} dies x ${cores} cores x ${threads} threads != ${vcpuCount} vCPUs`);
  }

  const seenVcpus = new Map<number, number | null>();
  for (const entry of plan.vcpus) {
    if (!Number.isInteger(entry.vcpu) || entry.vcpu < 0 || entry.vcpu >= vcpuCount) {
      problems.push(`vcpupin for vCPU ${entry.vcpu}, but the guest has vCPUs 0-${vcpuCount - 1}`);
      continue;
    }
    if (seenVcpus.has(entry.vcpu)) {
      problems.push(`vCPU ${entry.vcpu} is pinned twice (host CPU ${seenVcpus.get(entry.vcpu)} and ${entry.hostCpu})`);
      continue;
    }
    seenVcpus.set(entry.vcpu, entry.hostCpu);
    if (entry.hostCpu !== null && !isHostCpu(entry.hostCpu)) {
      problems.push(`vCPU ${entry.vcpu} is pinned to host CPU ${entry.hostCpu}, which is not a CPU number`);
    }
  }
  // Pinning is all or nothing: a guest with some vCPUs floating would defeat the plan.
  const pinned = plan.vcpus.filter((entry) => entry.hostCpu !== null).length;
  if (pinned > 0 && seenVcpus.size !== vcpuCount) {
    const missing = range(vcpuCount).filter((vcpu) => !seenVcpus.has(vcpu));
    problems.push(`vCPUs ${formatCpuList(missing)} have no pin while others do`);
  }

  for (const cpu of plan.emulator) {
    if (!isHostCpu(cpu)) problems.push(`emulatorpin to host CPU ${cpu}, which is not a CPU number`);
  }

  const declaredIothreads = spec.iothreads.count;
  // The QEMU argv creates exactly plan.iothreads; the XML declares spec.iothreads.count. They must
  // agree, or the two outputs would describe different VMs (and extra pins would be dropped).
  if (plan.iothreads.length > declaredIothreads) {
    problems.push(`iothreadpin for ${plan.iothreads.length} iothreads, but the domain declares ${declaredIothreads}`);
  } else if (plan.iothreads.length < declaredIothreads) {
    problems.push(`the spec declares ${declaredIothreads} iothreads, but the plan lists ${plan.iothreads.length}`);
  }
  const seenIothreads = new Set<string>();
  for (const iothread of plan.iothreads) {
    if (seenIothreads.has(iothread.id)) problems.push(`iothread ${JSON.stringify(iothread.id)} is listed twice`);
    seenIothreads.add(iothread.id);
    for (const cpu of iothread.hostCpus) {
      if (!isHostCpu(cpu)) problems.push(`iothread ${JSON.stringify(iothread.id)} is pinned to host CPU ${cpu}, which is not a CPU number`);
    }
  }
  if (spec.disks.some((disk) => disk.iothread) && declaredIothreads < 1) {
    problems.push('a disk asks for an iothread, but the domain declares none');
  }
  if (plan.iothreads.some((iothread) => iothread.disks !== undefined)) {
    const servedBy = new Map<number, string>();
    for (const iothread of plan.iothreads) {
      for (const diskIndex of iothread.disks ?? []) {
        const disk = spec.disks[diskIndex];
        if (disk === undefined) problems.push(`iothread ${JSON.stringify(iothread.id)} serves disk ${diskIndex}, but there are ${spec.disks.length} disks`);
        else if (!disk.iothread) problems.push(`iothread ${JSON.stringify(iothread.id)} serves disk ${diskIndex}, which does not ask for an iothread`);
        else if (servedBy.has(diskIndex)) problems.push(`disk ${diskIndex} is served by iothreads ${JSON.stringify(servedBy.get(diskIndex))} and ${JSON.stringify(iothread.id)}`);
        else servedBy.set(diskIndex, iothread.id);
      }
    }
    spec.disks.forEach((disk, diskIndex) => {
      if (disk.iothread && !servedBy.has(diskIndex)) problems.push(`disk ${diskIndex} asks for an iothread, but no planned iothread serves it`);
    });
  }

  for (const node of plan.memory.hostNodes) {
    if (!isHostCpu(node)) problems.push(`memory bound to host node ${node}, which is not a node number`);
  }
  const cells = plan.memory.guestNodes;
  if (cells.length > 0) {
    const owner = new Map<number, number>();
    const cellIds = new Set<number>();
    for (const cell of cells) {
      if (!Number.isInteger(cell.id) || cell.id < 0) problems.push(`guest NUMA cell id ${cell.id} is not a cell number`);
      if (cellIds.has(cell.id)) problems.push(`guest NUMA cell ${cell.id} is listed twice`);
      cellIds.add(cell.id);
      if (cell.vcpus.length === 0) problems.push(`guest NUMA cell ${cell.id} has no vCPUs`);
      for (const vcpu of cell.vcpus) {
        if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= vcpuCount) {
          problems.push(`guest NUMA cell ${cell.id} lists vCPU ${vcpu}, but the guest has vCPUs 0-${vcpuCount - 1}`);
        } else if (owner.has(vcpu)) {
          problems.push(`vCPU ${vcpu} is in guest NUMA cells ${owner.get(vcpu)} and ${cell.id}`);
        } else {
          owner.set(vcpu, cell.id);
        }
      }
      if (!Number.isInteger(cell.memMiB) || cell.memMiB < 1) problems.push(`guest NUMA cell ${cell.id} has ${cell.memMiB} MiB of memory`);
      for (const node of cell.hostNodes) {
        if (!isHostCpu(node)) problems.push(`guest NUMA cell ${cell.id} is bound to host node ${node}, which is not a node number`);
      }
    }
    const unplaced = range(vcpuCount).filter((vcpu) => !owner.has(vcpu));
    if (unplaced.length > 0) problems.push(`vCPUs ${formatCpuList(unplaced)} are in no guest NUMA cell`);
    const cellMiB = cells.reduce((sum, cell) => sum + cell.memMiB, 0);
    if (cellMiB !== plan.memory.sizeMiB) {
      problems.push(`guest NUMA cells add up to ${cellMiB} MiB, but the guest has ${plan.memory.sizeMiB} MiB (libvirt would resize it)`);
    }
  }

  if (!Number.isInteger(plan.memory.sizeMiB) || plan.memory.sizeMiB < 1) problems.push(`memory size ${plan.memory.sizeMiB} MiB is not a positive integer`);
  const pageMiB = pageKiB(plan.memory.backing) / 1024;
  if (pageMiB > 0 && plan.memory.sizeMiB % pageMiB !== 0) {
    problems.push(`memory ${plan.memory.sizeMiB} MiB is not a multiple of the ${pageMiB} MiB huge page size`);
  }

  const model = spec.cpu.model;
  if (model === 'host' && spec.accel === 'tcg') {
    problems.push('cpu model "host" (host-passthrough) needs accel kvm; libvirt refuses it for TCG domains: use a named model such as qemu64 or max');
  }
  if (spec.cpu.cachePassthrough && model !== 'host' && model !== 'max') {
    problems.push(`cache passthrough needs cpu model "host" or "max", not ${JSON.stringify(model)}`);
  }
  if (spec.guest.secureBoot && spec.guest.firmware !== 'uefi') problems.push('secure boot needs guest firmware uefi');
  if (spec.guest.secureBoot && !/^(q35|pc-q35-[0-9.]+)$/.test(spec.machine)) problems.push(`secure boot needs a q35 machine (SMM), not ${JSON.stringify(spec.machine)}`);
  for (const feature of spec.cpu.features) {
    if (!/^[+-]?[A-Za-z0-9_.-]+$/.test(feature)) problems.push(`cpu feature ${JSON.stringify(feature)} is not a feature name with an optional +/-`);
  }

  for (const disk of spec.disks) {
    if (disk.aio === 'native' && disk.cache !== 'none' && disk.cache !== 'directsync') {
      problems.push(`disk ${JSON.stringify(disk.path)}: aio native needs cache none or directsync (QEMU refuses it with cache ${disk.cache})`);
    }
  }
  if (spec.network.mode === 'tap' && !spec.network.ifname) problems.push('tap networking needs an interface name');

  return problems;
}

/** One-line summary of why the plan cannot become domain XML, or null when it can. */
export function checkPlanForXml(plan: Plan): string | null {
  const problems = findPlanXmlProblems(plan);
  return problems.length === 0 ? null : problems.join('; ');
}

function isHostCpu(value: number): boolean {
  return Number.isInteger(value) && value >= 0;
}

function range(count: number): number[] {
  return Array.from({ length: Math.max(0, count) }, (_, index) => index);
}
