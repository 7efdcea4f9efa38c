/**
 * Plan -> libvirt domain XML, built as a tree with xmlbuilder2 (every name, path and attribute is
 * escaped by the library; nothing is spliced into strings).
 *
 * Element and attribute order is fixed by the code below (libvirt's own formatting order), so the
 * same Plan always produces byte-identical XML and golden files diff cleanly.
 *
 * Pins are checked before any XML is built (domain-xml-checks.ts). `virt-xml-validate` accepts a
 * `<vcpupin>` for a vCPU the domain does not have, two pins for one vCPU and an `<iothreadpin>` for
 * an undeclared iothread; libvirt 9.0 then refuses the last two at define time but silently drops
 * the first (measured; test/real/libvirt-domains.test.ts keeps checking it). A plan with any of
 * them is refused, with a DomainXmlError listing every problem, so no XML with a lost pin exists.
 *
 * Mapping decisions worth knowing:
 * - libvirt numbers iothreads 1..N; plan.iothreads[i] (id "io0", ...) becomes libvirt iothread
 *   i+1, and a disk uses the iothread whose `disks` lists it (see diskIothreads).
 * - cpu model "host" -> `mode='host-passthrough'` (migratable off: a pinned VM is not migrated, and
 *   "on" would hide non-migratable host features such as invtsc); "max" -> `mode='maximum'`
 *   (libvirt's spelling of `-cpu max`); any other model -> `mode='custom'` with
 *   `fallback='forbid'`, so libvirt never silently swaps the model for another.
 * - spec.extraArgs go to `<qemu:commandline>` (libvirt's pass-through), in order.
 * - Guest NUMA cells carry their own memory; libvirt then recomputes `<memory>` from the cells, so
 *   a plan whose cells do not add up to its size is refused rather than silently resized.
 */
import { create } from 'xmlbuilder2';
import { roundRobinDiskIothreads } from '../shared/disk-iothreads.js';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { formatCpuList } from '../host/cpulist.js';
import type { Plan } from '../spec/types.js';
import { pageKiB } from '../shared/page-sizes.js';
import { DomainXmlError, findPlanXmlProblems } from './domain-xml-checks.js';
import { cpuPm, diskIothreadSets, xmlSpreadsIothreads, firmwareFacts, HYPERV_CLOCK, hypervEnlightenments, kvmHintDedicated, MACHINE_FACTS, pmuState, rtcBase, TPM_FACTS, tscDeadline, UNKNOWN_TARGET, vmMac, vmUuid, type OutputTarget } from './vm-facts.js';

export { checkPlanForXml, DomainXmlError, findPlanXmlProblems } from './domain-xml-checks.js';

export const DEFAULT_EMULATOR_BINARY = '/usr/bin/qemu-system-x86_64';

/** libvirt's namespace for QEMU pass-through elements (`<qemu:commandline>`). */
const QEMU_NAMESPACE = 'http://libvirt.org/schemas/domain/qemu/1.0';

export interface DomainXmlOptions {
  /** Absolute path of the QEMU binary libvirt should run (`<emulator>`). */
  emulatorBinary?: string;
  /**
   * Also log the serial console to libvirt's system log dir (default true). A session daemon
   * (qemu:///session) cannot write there and keeps its logs under the user's home, which the
   * XML cannot name: then the console is a pty only.
   */
  serialLog?: boolean;
  /** The libvirt the XML is for (its version decides e.g. `<driver><iothreads>`); default unknown. */
  target?: OutputTarget;
}

/**
 * The libvirt domain XML for a plan (pretty-printed, no XML declaration, trailing newline).
 * Throws DomainXmlError before building anything when the plan has a pin libvirt would drop.
 */
export function buildDomainXml(plan: Plan, opts: DomainXmlOptions = {}): string {
  const problems = findPlanXmlProblems(plan);
  if (problems.length > 0) throw new DomainXmlError(problems);
  const { spec } = plan;
  const emulatorBinary = opts.emulatorBinary ?? DEFAULT_EMULATOR_BINARY;

  const document = create();
  const domainAttributes: Record<string, string> = { type: spec.accel === 'kvm' ? 'kvm' : 'qemu' };
  // Only when used: a domain with <qemu:commandline> is marked "tainted" by libvirt.
  if (spec.extraArgs.length > 0 || cpuPm(plan)) domainAttributes['xmlns:qemu'] = QEMU_NAMESPACE;
  const domain = ele(document, 'domain', domainAttributes);
  txt(ele(domain, 'name'), spec.name);
  txt(ele(domain, 'uuid'), vmUuid(spec));
  // dumpCore off = -machine dump-guest-core=off (vm-facts.ts decides it for both outputs).
  txt(ele(domain, 'memory', { unit: 'KiB', dumpCore: MACHINE_FACTS.dumpGuestCore ? 'on' : 'off' }), String(plan.memory.sizeMiB * 1024));
  txt(ele(domain, 'currentMemory', { unit: 'KiB' }), String(plan.memory.sizeMiB * 1024));
  addMemoryBacking(domain, plan);
  txt(ele(domain, 'vcpu', { placement: 'static' }), String(spec.vcpus.count));
  if (spec.iothreads.count > 0) txt(ele(domain, 'iothreads'), String(spec.iothreads.count));
  addCputune(domain, plan);
  addNumatune(domain, plan);

  const os = ele(domain, 'os');
  txt(ele(os, 'type', { arch: 'x86_64', machine: spec.machine }), 'hvm');
  // The same OVMF files as the argv (vm-facts.ts); libvirt keeps the VM's variable store
  // (/var/lib/libvirt/qemu/nvram/NAME_VARS.fd), copied from the template on first start.
  const firmware = firmwareFacts(spec);
  if (firmware) {
    txt(ele(os, 'loader', { readonly: 'yes', secure: firmware.secureBoot ? 'yes' : 'no', type: 'pflash' }), firmware.code);
    ele(os, 'nvram', { template: firmware.varsTemplate });
  }
  if (spec.disks.length > 0) ele(os, 'boot', { dev: 'hd' });

  const features = ele(domain, 'features');
  ele(features, 'acpi');
  ele(features, 'apic');
  const hyperv = hypervEnlightenments(plan);
  if (hyperv.length > 0) {
    const element = ele(features, 'hyperv', { mode: 'custom' });
    for (const entry of hyperv) ele(element, entry.libvirt, { state: 'on', ...entry.attrs });
  }
  if (kvmHintDedicated(plan)) ele(ele(features, 'kvm'), 'hint-dedicated', { state: 'on' });
  const pmu = pmuState(spec);
  if (pmu !== null) ele(features, 'pmu', { state: pmu });
  if (firmware?.secureBoot) ele(features, 'smm', { state: 'on' });

  addCpu(domain, plan);

  const clock = ele(domain, 'clock', { offset: rtcBase(spec) });
  ele(clock, 'timer', { name: 'rtc', tickpolicy: 'catchup' });
  ele(clock, 'timer', { name: 'pit', tickpolicy: 'delay' });
  ele(clock, 'timer', { name: 'hpet', present: 'no' });
  if (hyperv.length > 0) ele(clock, 'timer', { name: HYPERV_CLOCK.libvirt, present: 'yes' });

  txt(ele(domain, 'on_poweroff'), 'destroy');
  txt(ele(domain, 'on_reboot'), 'restart');
  txt(ele(domain, 'on_crash'), 'destroy');

  addDevices(domain, plan, emulatorBinary, opts);
  if (spec.extraArgs.length > 0 || cpuPm(plan)) {
    // The spec's extra QEMU arguments, passed through as the argv passes them (dropping them
    // would make the libvirt VM silently differ from the QEMU one), after the argv's cpu-pm,
    // which libvirt has no element for (vm-facts.ts cpuPm).
    const commandline = eleQemu(domain, 'qemu:commandline');
    // Before QEMU 9.1 every -overcommit resets the keys it does not name: after libvirt's own
    // -overcommit mem-lock=on (<locked/>), ours must say mem-lock again.
    const args = [...(cpuPm(plan) ? ['-overcommit', spec.memory.lock ? 'mem-lock=on,cpu-pm=on' : 'cpu-pm=on'] : []), ...spec.extraArgs];
    for (const arg of args) eleQemu(commandline, 'qemu:arg', { value: arg });
  }
  return document.end({ prettyPrint: true, headless: true, indent: '  ' }) + '\n';
}

function addMemoryBacking(domain: XMLBuilder, plan: Plan): void {
  const { spec } = plan;
  const sizeKiB = pageKiB(plan.memory.backing);
  const backing = ele(domain, 'memoryBacking');
  if (sizeKiB > 0) {
    const page: Record<string, string> = { size: String(sizeKiB), unit: 'KiB' };
    const cells = plan.memory.guestNodes;
    // With guest NUMA, name the cells the pages are for, so every cell's backend gets them.
    if (cells.length > 0) page.nodeset = formatCpuList(cells.map((cell) => cell.id));
    ele(ele(backing, 'hugepages'), 'page', page);
  }
  // KSM merging pages of a pinned, latency-sensitive guest costs it CPU time and latency.
  ele(backing, 'nosharepages');
  if (spec.memory.lock) ele(backing, 'locked');
  if (sizeKiB > 0 || spec.memory.share) {
    // memfd, as in the QEMU argv: huge pages without a hugetlbfs mount (libvirt only sees mounts
    // that existed when it started) that go back to the pool when QEMU exits, and an fd that
    // vhost-user/virtiofs can map when shared.
    ele(backing, 'source', { type: 'memfd' });
    // memfd is shared unless told otherwise: say "private" too, so the mapping is what the spec says.
    ele(backing, 'access', { mode: spec.memory.share ? 'shared' : 'private' });
  }
  if (spec.memory.prealloc) ele(backing, 'allocation', { mode: 'immediate' });
}

function addCputune(domain: XMLBuilder, plan: Plan): void {
  const vcpuPins = [...plan.vcpus].filter((entry) => entry.hostCpu !== null).sort((a, b) => a.vcpu - b.vcpu);
  const iothreadPins = plan.iothreads.map((iothread, index) => ({ libvirtId: index + 1, hostCpus: iothread.hostCpus })).filter((pin) => pin.hostCpus.length > 0);
  if (vcpuPins.length === 0 && plan.emulator.length === 0 && iothreadPins.length === 0) return;
  const cputune = ele(domain, 'cputune');
  for (const entry of vcpuPins) ele(cputune, 'vcpupin', { vcpu: String(entry.vcpu), cpuset: String(entry.hostCpu) });
  if (plan.emulator.length > 0) ele(cputune, 'emulatorpin', { cpuset: formatCpuList(plan.emulator) });
  for (const pin of iothreadPins) ele(cputune, 'iothreadpin', { iothread: String(pin.libvirtId), cpuset: formatCpuList(pin.hostCpus) });
  // Real-time vCPUs: libvirt sets the policy on each vCPU thread, as launch and the pin script do.
  const scheduler = plan.spec.vcpuScheduler;
  if (scheduler && vcpuPins.length > 0) {
    ele(cputune, 'vcpusched', { vcpus: formatCpuList(vcpuPins.map((entry) => entry.vcpu)), scheduler: scheduler.policy, priority: String(scheduler.priority) });
  }
}

function addNumatune(domain: XMLBuilder, plan: Plan): void {
  const cells = plan.memory.guestNodes.filter((cell) => cell.hostNodes.length > 0);
  if (plan.memory.hostNodes.length === 0 && cells.length === 0) return;
  const numatune = ele(domain, 'numatune');
  if (plan.memory.hostNodes.length > 0) ele(numatune, 'memory', { mode: 'strict', nodeset: formatCpuList(plan.memory.hostNodes) });
  for (const cell of [...cells].sort((a, b) => a.id - b.id)) {
    ele(numatune, 'memnode', { cellid: String(cell.id), mode: 'strict', nodeset: formatCpuList(cell.hostNodes) });
  }
}

function addCpu(domain: XMLBuilder, plan: Plan): void {
  const { spec } = plan;
  const model = spec.cpu.model;
  let cpu: XMLBuilder;
  if (model === 'host') {
    cpu = ele(domain, 'cpu', { mode: 'host-passthrough', check: 'none', migratable: 'off' });
  } else if (model === 'max') {
    cpu = ele(domain, 'cpu', { mode: 'maximum', check: 'none', migratable: 'off' });
  } else {
    // check='partial': libvirt refuses to start the guest when the host lacks a feature of the
    // model, as `enforce` does on the argv (vm-facts.ts). ('full' would also refuse the features
    // QEMU itself adds, such as "hypervisor": measured, libvirt 9.0.)
    cpu = ele(domain, 'cpu', { mode: 'custom', match: 'exact', check: 'partial' });
    txt(ele(cpu, 'model', { fallback: 'forbid' }), model);
  }
  const { sockets, dies, cores, threads } = spec.vcpus;
  ele(cpu, 'topology', { sockets: String(sockets), dies: String(dies), cores: String(cores), threads: String(threads) });
  if (spec.cpu.cachePassthrough) ele(cpu, 'cache', { mode: 'passthrough' });
  for (const feature of spec.cpu.features) {
    const disable = feature.startsWith('-');
    const name = libvirtFeatureName(feature.replace(/^[+-]/, ''));
    ele(cpu, 'feature', { policy: disable ? 'disable' : 'require', name });
  }
  // The argv's tsc-deadline=on (vm-facts.ts tscDeadline).
  if (tscDeadline(plan)) ele(cpu, 'feature', { policy: 'require', name: 'tsc-deadline' });
  const cells = plan.memory.guestNodes;
  if (cells.length > 0) {
    const numa = ele(cpu, 'numa');
    for (const cell of [...cells].sort((a, b) => a.id - b.id)) {
      ele(numa, 'cell', { id: String(cell.id), cpus: formatCpuList(cell.vcpus), memory: String(cell.memMiB * 1024), unit: 'KiB' });
    }
  }
}

function addDevices(domain: XMLBuilder, plan: Plan, emulatorBinary: string, opts: DomainXmlOptions): void {
  const { spec } = plan;
  const devices = ele(domain, 'devices');
  txt(ele(devices, 'emulator'), emulatorBinary);
  // No USB controller (libvirt adds one unless told), as the argv has none (vm-facts.ts).
  if (!MACHINE_FACTS.usb) ele(devices, 'controller', { type: 'usb', model: 'none' });

  const iothreadOfDisk = diskIothreads(plan);
  const iothreadSets = diskIothreadSets(plan, xmlSpreadsIothreads(opts.target ?? UNKNOWN_TARGET));
  spec.disks.forEach((disk, index) => {
    const element = ele(devices, 'disk', { type: 'file', device: 'disk' });
    const driver: Record<string, string> = { name: 'qemu', type: disk.format, cache: disk.cache, io: disk.aio };
    const several = iothreadSets[index]!;
    const iothread = iothreadOfDisk.get(index);
    if (several.length <= 1 && iothread !== undefined) driver.iothread = String(iothread);
    const driverElement = ele(element, 'driver', driver);
    // The disk's virtqueues dealt over several iothreads (libvirt >= 10.0; the argv's
    // iothread-vq-mapping); the iothread attribute and this list exclude each other.
    if (several.length > 1) {
      const list = ele(driverElement, 'iothreads');
      for (const at of several) ele(list, 'iothread', { id: String(at + 1) });
    }
    ele(element, 'source', { file: disk.path });
    ele(element, 'target', { dev: virtioDiskName(index), bus: 'virtio' });
    if (disk.readonly) ele(element, 'readonly');
  });

  const network = spec.network;
  if (network.mode === 'user') {
    const nic = ele(devices, 'interface', { type: 'user' });
    ele(nic, 'mac', { address: vmMac(spec) });
    ele(nic, 'model', { type: 'virtio' });
  } else if (network.mode === 'tap') {
    // An existing tap (managed='no'), as with the QEMU argv: kvm-tui never creates host devices.
    const nic = ele(devices, 'interface', { type: 'ethernet' });
    ele(nic, 'mac', { address: vmMac(spec) });
    ele(nic, 'target', { dev: network.ifname!, managed: 'no' });
    ele(nic, 'model', { type: 'virtio' });
    ele(nic, 'driver', { name: network.vhost ? 'vhost' : 'qemu', queues: String(network.queues) });
  }

  // The serial console is a pty (virsh console attaches to it) and, as on the argv, its output
  // also goes to a log file.
  const serial = ele(devices, 'serial', { type: 'pty' });
  if (opts.serialLog !== false) ele(serial, 'log', { file: serialLogPath(spec.name), append: 'off' });
  ele(serial, 'target', { port: '0' });
  ele(ele(devices, 'console', { type: 'pty' }), 'target', { type: 'serial', port: '0' });
  // libvirt starts swtpm for the VM itself (the argv's TPM is the same device and version).
  if (spec.guest.tpm) ele(ele(devices, 'tpm', { model: TPM_FACTS.model }), 'backend', { type: 'emulator', version: TPM_FACTS.version });
  // A balloon would hand pages back behind the pinning/hugepage plan's back.
  ele(devices, 'memballoon', { model: 'none' });
}

/** Where libvirt's QEMU writes the guest's serial output: its own log dir, one file per VM name. */
export function serialLogPath(name: string): string {
  return `/var/log/libvirt/qemu/${name}-serial0.log`;
}

/**
 * QEMU feature spellings (as in a spec and on -cpu) whose libvirt cpu_map name differs. libvirt
 * refuses the QEMU spelling at start ("unknown CPU feature: lahf-lm", measured with 9.0), while
 * QEMU accepts both, so the spec keeps QEMU's names and the XML gets libvirt's. The list is every
 * libvirt x86 feature name that `qemu-system-x86_64 -cpu help` (7.2) spells differently.
 */
const LIBVIRT_FEATURE_NAMES: Readonly<Record<string, string>> = {
  'cmp-legacy': 'cmp_legacy',
  'ds-cpl': 'ds_cpl',
  'fxsr-opt': 'fxsr_opt',
  'lahf-lm': 'lahf_lm',
  'nodeid-msr': 'nodeid_msr',
  pclmulqdq: 'pclmuldq',
  'perfctr-core': 'perfctr_core',
  'perfctr-nb': 'perfctr_nb',
  'tsc-adjust': 'tsc_adjust',
  // QEMU's legacy aliases for the SSE4 flags.
  sse4_1: 'sse4.1',
  sse4_2: 'sse4.2',
};

/** The libvirt name of a CPU feature given in QEMU's spelling ("lahf-lm" -> "lahf_lm"). */
export function libvirtFeatureName(qemuName: string): string {
  return LIBVIRT_FEATURE_NAMES[qemuName] ?? qemuName;
}

/**
 * Disk index -> libvirt iothread id (1-based). The plan says which iothread serves which disk
 * (PlanIothread.disks) when it knows; otherwise the k-th disk asking for one gets the k-th
 * iothread, wrapping round when there are fewer (as the QEMU argv does).
 */
function diskIothreads(plan: Plan): Map<number, number> {
  const out = new Map<number, number>();
  if (plan.iothreads.some((iothread) => iothread.disks !== undefined)) {
    plan.iothreads.forEach((iothread, index) => {
      for (const diskIndex of iothread.disks ?? []) out.set(diskIndex, index + 1);
    });
    return out;
  }
  roundRobinDiskIothreads(plan.spec.disks, plan.spec.iothreads.count).forEach((iothread, disk) => {
    if (iothread !== null) out.set(disk, iothread + 1);
  });
  return out;
}

/**
 * xmlbuilder2 (through v4) leaves an "&" unescaped when what follows looks like an entity
 * ("&amp;", "&foo;", "&#38;"): a name "a&amp;b" would read back as "a&b", and "&foo;" would make
 * the document malformed (oozcitak/xmlbuilder2#117, #105, #110). Handing it every "&" already as
 * "&amp;" makes its output exact for any input (its own "&amp;" is then left alone). Every value
 * goes through `ele`/`txt`, and the hostile-name tests read the XML back with a parser, so a
 * future fix upstream (which would double-escape here) fails those tests instead of slipping by.
 */
function ampersandsEscaped(value: string): string {
  return value.replace(/&/g, '&amp;');
}

/** Appends a child element; every attribute value is passed through ampersandsEscaped. */
function ele(parent: XMLBuilder, name: string, attributes: Record<string, string> = {}): XMLBuilder {
  const safe: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) safe[key] = ampersandsEscaped(value);
  return parent.ele(name, safe);
}

/** Appends a child element in libvirt's QEMU namespace (`qemu:...`), escaped as in `ele`. */
function eleQemu(parent: XMLBuilder, qualifiedName: string, attributes: Record<string, string> = {}): XMLBuilder {
  const safe: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) safe[key] = ampersandsEscaped(value);
  return parent.ele(QEMU_NAMESPACE, qualifiedName, safe);
}

/** Sets an element's text (escaped as in `ele`). */
function txt(element: XMLBuilder, value: string): XMLBuilder {
  return element.txt(ampersandsEscaped(value));
}

/** vda..vdz, vdaa..vdzz, ... (the kernel's naming for virtio disks). */
export function virtioDiskName(index: number): string {
  let suffix = '';
  let n = index;
  do {
    suffix = String.fromCharCode(97 + (n % 26)) + suffix;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return `vd${suffix}`;
}
