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
 */
import { createHash } from 'node:crypto';
import type { Plan, VmSpec } from '../spec/types.js';

/** The QEMU version the output is for; null = unknown (features that need a version are left out). */
export interface OutputTarget {
  qemu: { major: number; minor: number } | null;
}

export const UNKNOWN_TARGET: OutputTarget = { qemu: null };

/** "8.2.1", "QEMU emulator version 7.2.22 (Debian ...)" -> { major, minor }; null when not a version. */
export function parseQemuVersion(text: string): OutputTarget['qemu'] {
  const match = /(?:^|version\s+)(\d+)\.(\d+)(?:\.\d+)?/.exec(text.trim());
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : null;
}

export function qemuAtLeast(target: OutputTarget, major: number, minor: number): boolean {
  const version = target.qemu;
  return version !== null && (version.major > major || (version.major === major && version.minor >= minor));
}

export const MACHINE_FACTS = { usb: false, dumpGuestCore: false, memMerge: false, hpet: false } as const;

export const CLOCK_FACTS = { rtcBase: 'utc', rtcDriftfix: 'slew', pitLostTickPolicy: 'delay' } as const;

/** Whether QEMU must refuse to start when the host cannot give every feature of the CPU model. */
export function cpuEnforced(spec: VmSpec): boolean {
  return spec.cpu.model !== 'host' && spec.cpu.model !== 'max';
}

/** -cpu host / max are given as not migratable (see above). */
export function cpuMigratableOff(spec: VmSpec): boolean {
  return !cpuEnforced(spec);
}

function nameDigest(name: string, purpose: string): Buffer {
  return createHash('sha256').update(`kvm-tui ${purpose}\u0000${name}`).digest();
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
