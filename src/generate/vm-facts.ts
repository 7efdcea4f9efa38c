/**
 * What the VM is, decided once for both outputs: the QEMU argv (qemu-argv.ts) and the libvirt
 * domain XML (libvirt-xml.ts) each spell these facts their own way, but neither decides them.
 * test/real/libvirt-parity.test.ts feeds the XML through libvirt's own `virsh domxml-to-native`
 * and compares the command line libvirt would run with kvm-tui's, property by property.
 *
 * Each choice, and why a specialist makes it:
 * - Machine: no USB controller (none of kvm-tui's VMs has a USB device; a UHCI/xHCI controller
 *   only adds a device the guest polls), guest RAM left out of QEMU core dumps (a crash would
 *   otherwise write the whole guest to disk) and not merged by KSM (merging the pages of a
 *   pinned guest costs it latency and is the side channel KSM is known for). HPET off: a
 *   modern guest uses the TSC/kvmclock, and an emulated HPET only costs exits.
 * - CPU: `host` and `max` are not migratable (migratable=on would hide host features such as
 *   invtsc, which a pinned VM can use); with cache passthrough the legacy L3 description is off
 *   (the host's own cache leaves are given instead). A named model is enforced: QEMU refuses to
 *   start when the host lacks one of its features, instead of silently dropping it, which would
 *   make the guest CPU differ from host to host (libvirt's check='partial' compares before the start).
 * - Clock: RTC in UTC with missed ticks slewed in, PIT ticks delayed rather than lost (the
 *   policies libvirt and virt-install choose for Linux and Windows guests alike).
 * - Identity: the SMBIOS UUID and the NIC's MAC address come from the VM's name when the spec
 *   gives none, so the argv and the XML (and every relaunch) give the guest the same identity,
 *   and two VMs on one bridge do not both answer to QEMU's default 52:54:00:12:34:56.
 * - Boot: strict (only the devices given; no fallback to a network boot).
 * - Memory preallocation runs in a thread context bound to the memory's host node (QEMU >= 7.2),
 *   so the pages are touched by CPUs of that node, not by whichever CPU QEMU started on.
 * - Guest platform (spec.guest, defaults by OS): UEFI is OVMF from Debian's `ovmf` package as
 *   pflash (code read-only, a per-VM copy of the variable store writable), with secure boot the
 *   SMM build with Microsoft's keys enrolled, SMM on and the flash locked to SMM
 *   (cfi.pflash01 secure=on), as Debian's firmware descriptor 40-edk2-x86_64-secure-enrolled.json
 *   and libvirt have it. The TPM is a TPM 2.0 CRB device backed by swtpm. Hyper-V
 *   enlightenments are the set Proxmox and virt-install give modern Windows (see HYPERV below);
 *   only under KVM: QEMU's TCG refuses them ("kernel doesn't allow setting HyperV VP_INDEX",
 *   measured with 7.2). The RTC counts local time for Windows (its default), UTC otherwise.
 */
import { sha256 } from '../shared/sha256.js';
import type { Plan, VmSpec } from '../spec/types.js';
import { roundRobinDiskIothreads } from '../shared/disk-iothreads.js';

/**
 * The QEMU (for the argv) and libvirt (for the XML) versions the output is for; null or absent =
 * unknown (features that need a version are left out, never guessed).
 */
export interface OutputTarget {
  qemu: { major: number; minor: number } | null;
  libvirt?: { major: number; minor: number } | null;
}

export const UNKNOWN_TARGET: OutputTarget = { qemu: null, libvirt: null };

/** "8.2.1", "QEMU emulator version 7.2.22 (Debian ...)" -> { major, minor }; null when not a version. */
export function parseQemuVersion(text: string): OutputTarget['qemu'] {
  const match = /(?:^|version\s+)(\d+)\.(\d+)(?:\.\d+)?/.exec(text.trim());
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : null;
}

export function qemuAtLeast(target: OutputTarget, major: number, minor: number): boolean {
  return versionAtLeast(target.qemu, major, minor);
}

export function libvirtAtLeast(target: OutputTarget, major: number, minor: number): boolean {
  return versionAtLeast(target.libvirt ?? null, major, minor);
}

function versionAtLeast(version: { major: number; minor: number } | null, major: number, minor: number): boolean {
  return version !== null && (version.major > major || (version.major === major && version.minor >= minor));
}

/**
 * One disk's virtqueues spread over several iothreads: virtio-blk's iothread-vq-mapping (QEMU
 * 9.0) and `<driver><iothreads>` (libvirt 10.0). Before them a disk has one iothread, and
 * iothreads beyond one per disk serve nothing.
 */
export const IOTHREAD_VQ_MAPPING = { qemu: [9, 0], libvirt: [10, 0] } as const;

/** The XML can spread a disk: libvirt 10.0 knows <driver><iothreads> and its QEMU (9.0) the property. */
export function xmlSpreadsIothreads(target: OutputTarget): boolean {
  return libvirtAtLeast(target, ...IOTHREAD_VQ_MAPPING.libvirt) && qemuAtLeast(target, ...IOTHREAD_VQ_MAPPING.qemu);
}

/**
 * Per disk, the plan's iothreads (indexes into plan.iothreads) serving it. Each disk asking for
 * one has the iothread the plan gives it (PlanIothread.disks, else round-robin); with `spread`,
 * the iothreads no disk got (more iothreads than such disks) are dealt over those disks in
 * order, each disk taking no more iothreads than it has virtqueues (one per vCPU, QEMU's default).
 */
export function diskIothreadSets(plan: Plan, spread: boolean): number[][] {
  const sets: number[][] = plan.spec.disks.map(() => []);
  if (plan.iothreads.some((iothread) => iothread.disks !== undefined)) {
    plan.iothreads.forEach((iothread, index) => {
      for (const disk of iothread.disks ?? []) sets[disk]?.push(index);
    });
  } else {
    roundRobinDiskIothreads(plan.spec.disks, plan.iothreads.length).forEach((index, disk) => {
      if (index !== null) sets[disk]!.push(index);
    });
  }
  if (!spread) return sets;
  const users = sets.flatMap((set, disk) => (set.length > 0 ? [disk] : []));
  const used = new Set(sets.flat());
  const spare = plan.iothreads.map((_, index) => index).filter((index) => !used.has(index));
  const queues = Math.max(1, plan.spec.vcpus.count);
  let next = 0;
  for (const index of spare) {
    for (let tries = 0; tries < users.length; tries++) {
      const disk = users[next++ % users.length]!;
      if (sets[disk]!.length < queues) {
        sets[disk]!.push(index);
        break;
      }
    }
  }
  return sets;
}

/** The plan's iothreads that serve no disk under this target (none when they can be spread). */
export function idleIothreads(plan: Plan, spread: boolean): string[] {
  const used = new Set(diskIothreadSets(plan, spread).flat());
  return plan.iothreads.flatMap((iothread, index) => (used.has(index) ? [] : [iothread.id]));
}

export const MACHINE_FACTS = { usb: false, dumpGuestCore: false, memMerge: false, hpet: false } as const;

export const CLOCK_FACTS = { rtcDriftfix: 'slew', pitLostTickPolicy: 'delay' } as const;

/** What the guest's RTC counts (-rtc base= / <clock offset=>). */
export function rtcBase(spec: Pick<VmSpec, 'guest'>): 'utc' | 'localtime' {
  return spec.guest.clock;
}

/** The OVMF files (Debian's ovmf package; the pairs its /usr/share/qemu/firmware descriptors name). */
export const OVMF_FILES = {
  plain: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', varsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.fd' },
  secureBoot: { code: '/usr/share/OVMF/OVMF_CODE_4M.ms.fd', varsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' },
} as const;

export interface FirmwareFacts {
  /** Read-only firmware code (pflash0). */
  code: string;
  /** The variable store each VM starts from (copied once, then the VM's own: pflash1). */
  varsTemplate: string;
  /** Secure boot: SMM on and the flash writable only from SMM. */
  secureBoot: boolean;
}

/** UEFI firmware for the VM, or null for BIOS (SeaBIOS, QEMU's default). */
export function firmwareFacts(spec: Pick<VmSpec, 'guest'>): FirmwareFacts | null {
  if (spec.guest.firmware !== 'uefi') return null;
  const files = spec.guest.secureBoot ? OVMF_FILES.secureBoot : OVMF_FILES.plain;
  return { ...files, secureBoot: spec.guest.secureBoot };
}

/** The TPM device: TPM 2.0 over the CRB interface (Windows 11 and Linux drive it; TPM 2.0 only), backed by swtpm. */
export const TPM_FACTS = { model: 'tpm-crb', version: '2.0' } as const;

/**
 * Hyper-V enlightenments in QEMU's order and spelling (docs/system/i386/hyperv.rst), with the
 * libvirt <hyperv> element that says the same. hv-time is libvirt's <timer name='hypervclock'>.
 * QEMU requires vpindex for synic, ipi and tlbflush, and synic + time for stimer: all are here.
 */
export const HYPERV: ReadonlyArray<{ qemu: string; value: string; libvirt: string; attrs?: Record<string, string> }> = [
  { qemu: 'hv-relaxed', value: 'on', libvirt: 'relaxed' },
  { qemu: 'hv-vapic', value: 'on', libvirt: 'vapic' },
  // 0x1fff = 8191 retries before a spinning vCPU tells the hypervisor (Microsoft's recommendation).
  { qemu: 'hv-spinlocks', value: '0x1fff', libvirt: 'spinlocks', attrs: { retries: '8191' } },
  { qemu: 'hv-vpindex', value: 'on', libvirt: 'vpindex' },
  { qemu: 'hv-runtime', value: 'on', libvirt: 'runtime' },
  { qemu: 'hv-synic', value: 'on', libvirt: 'synic' },
  { qemu: 'hv-stimer', value: 'on', libvirt: 'stimer' },
  { qemu: 'hv-reset', value: 'on', libvirt: 'reset' },
  { qemu: 'hv-frequencies', value: 'on', libvirt: 'frequencies' },
  { qemu: 'hv-tlbflush', value: 'on', libvirt: 'tlbflush' },
  { qemu: 'hv-ipi', value: 'on', libvirt: 'ipi' },
];

/** The Hyper-V clock (reference TSC page): `hv-time` on the argv, `<timer name='hypervclock'>` in the XML. */
export const HYPERV_CLOCK = { qemu: 'hv-time', libvirt: 'hypervclock' } as const;

/**
 * The enlightenments this VM gets: none unless the guest asks for them and runs under KVM. The
 * enlightened VMCS (hv-evmcs) pairs with Intel VMX and only helps a guest that runs its own
 * hypervisor (Hyper-V, WSL2, VBS inside Windows): given when the host is Intel and the spec gives
 * the guest VMX (+vmx); with -cpu host the guest's VMX depends on the host's kvm_intel nested
 * setting, which the plan does not know, so it is not guessed.
 */
export function hypervEnlightenments(plan: Pick<Plan, 'spec' | 'host'>): Array<{ qemu: string; value: string; libvirt: string; attrs?: Record<string, string> }> {
  const { spec } = plan;
  if (!spec.guest.hyperv || spec.accel !== 'kvm') return [];
  const list = [...HYPERV];
  if (plan.host.vendor === 'intel' && spec.cpu.features.includes('+vmx')) list.push({ qemu: 'hv-evmcs', value: 'on', libvirt: 'evmcs' });
  return list;
}

/** Whether QEMU must refuse to start when the host cannot give every feature of the CPU model. */
export function cpuEnforced(spec: VmSpec): boolean {
  return spec.cpu.model !== 'host' && spec.cpu.model !== 'max';
}

/** -cpu host / max are given as not migratable (see above). */
export function cpuMigratableOff(spec: VmSpec): boolean {
  return !cpuEnforced(spec);
}

function nameDigest(name: string, purpose: string): Buffer {
  return Buffer.from(sha256(`kvm-tui ${purpose}\u0000${name}`));
}

/** A UUID (RFC 4122 form, version 4 and variant bits set) stable for a VM name. */
export function vmUuid(spec: Pick<VmSpec, 'name'>): string {
  const bytes = nameDigest(spec.name, 'uuid').subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The NIC's MAC: the spec's, else 52:54:00 (QEMU's and libvirt's prefix) + 3 bytes from the name. */
export function vmMac(spec: Pick<VmSpec, 'name' | 'network'>): string {
  if (spec.network.mac !== null) return spec.network.mac.toLowerCase();
  const bytes = nameDigest(spec.name, 'mac');
  return ['52', '54', '00', ...[...bytes.subarray(0, 3)].map((byte) => byte.toString(16).padStart(2, '0'))].join(':');
}

/** Preallocation runs in a thread context on the memory's node (QEMU >= 7.2, prealloc, bound memory). */
export function preallocContext(plan: Plan, target: OutputTarget, hostNodes: readonly number[]): boolean {
  return plan.spec.memory.prealloc && hostNodes.length > 0 && qemuAtLeast(target, 7, 2);
}

/**
 * The kvm-hint-dedicated CPUID bit (KVM_HINTS_REALTIME): tells the guest its vCPUs are never
 * preempted, so it uses native spinlocks and idle polling instead of paravirtual ones. True only
 * when that holds: KVM, every vCPU on a core of its own with its siblings held idle, no overcommit.
 */
export function kvmHintDedicated(plan: Plan): boolean {
  return plan.spec.accel === 'kvm' && plan.spec.pinning.requireDedicated && (plan.idleSiblings?.length ?? 0) > 0;
}

/**
 * The TSC-deadline timer asked for explicitly where the hint is given (dedicated cores under
 * KVM): the guest's local APIC timer is then armed with one TSC write instead of a periodic or
 * one-shot count, the cheapest timer a real-time guest can have. KVM's in-kernel LAPIC emulates
 * it whatever the host CPU has, so for `host` this only states the intent; for a named model
 * without it, it adds it. Not when the spec's cpu.features already say either way.
 */
export function tscDeadline(plan: Plan): boolean {
  return kvmHintDedicated(plan) && !plan.spec.cpu.features.some((feature) => feature.slice(1) === 'tsc-deadline');
}

/**
 * `-overcommit cpu-pm=on` where the dedicated hint is given: the guest's HLT, MWAIT and PAUSE run
 * without a VM exit (KVM_CAP_X86_DISABLE_EXITS; QEMU asks KVM and takes what this kernel gives),
 * so an idle vCPU wakes in the guest instead of being scheduled back in by the host. Its core then
 * looks busy to the host all the time, which a core held for one vCPU can afford. libvirt has no
 * element for it: the XML passes it in `<qemu:commandline>` (libvirt marks such a domain
 * "tainted: custom-argv"). Not when the spec's extraArgs already say cpu-pm, and not with real-time
 * vCPUs (vcpuScheduler): an idle vCPU that never exits is a SCHED_FIFO task at 100%, which the
 * kernel's RT throttling (kernel.sched_rt_runtime_us, 95% by default) stops for 50 ms of every
 * second; with sched_rt_runtime_us=-1 (tuned's realtime-virtual-host) extraArgs can add it.
 */
export function cpuPm(plan: Plan): boolean {
  return kvmHintDedicated(plan) && !plan.spec.vcpuScheduler && !plan.spec.extraArgs.some((arg) => /(^|,)cpu-pm=/.test(arg));
}

/** The virtual PMU as the spec asks: 'off', 'on', or null for QEMU's default. */
export function pmuState(spec: VmSpec): 'on' | 'off' | null {
  return spec.cpu.pmu === false ? 'off' : spec.cpu.pmu === true ? 'on' : null;
}
