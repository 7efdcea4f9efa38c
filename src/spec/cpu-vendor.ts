/**
 * The vendor a guest CPU model shows the guest (CPUID leaf 0), which decides how the guest learns
 * its SMT topology: Intel guests from leaf 0xB, AMD (and Hygon) guests from the topoext leaves.
 * For named models this is QEMU's own table (target/i386/cpu.c), checked against the running
 * QEMU by test/real/cpu-models.test.ts; host passthrough shows the host's vendor; QEMU's `max`
 * is the host's under KVM and AMD under TCG (measured: query-cpu-model-expansion, QEMU 7.2).
 */
import type { Accel } from './types.js';

export type CpuVendor = 'intel' | 'amd' | 'hygon' | 'other';

const INTEL = /^(486|Broadwell|Cascadelake|ClearwaterForest|Conroe|Cooperlake|Denverton|GraniteRapids|Haswell|Icelake|IvyBridge|KnightsMill|Nehalem|Penryn|SandyBridge|SapphireRapids|SierraForest|Skylake|Snowridge|Westmere|core2duo|coreduo|kvm32|kvm64|n270|pentium|pentium2|pentium3|qemu32)(-|$)/;
const AMD = /^(EPYC|Opteron_G[1-5]|athlon|phenom|qemu64)(-|$)/;
const HYGON = /^Dhyana(-|$)/;

/** A named model's vendor (QEMU's spelling, any -vN or variant suffix); null for an unknown name. */
export function namedModelVendor(model: string): CpuVendor | null {
  if (INTEL.test(model)) return 'intel';
  if (AMD.test(model)) return 'amd';
  if (HYGON.test(model)) return 'hygon';
  return null;
}

/** The vendor the guest sees for `model` on a host of `hostVendor` under `accel`; null when not known. */
export function guestCpuVendor(model: string, accel: Accel, hostVendor: CpuVendor | null): CpuVendor | null {
  if (model === 'host') return hostVendor;
  if (model === 'max') return accel === 'kvm' ? hostVendor : 'amd';
  return namedModelVendor(model);
}

/** AMD-style guests need topoext to see threads of one core. */
export function seesSmtThroughTopoext(vendor: CpuVendor | null): boolean {
  return vendor === 'amd' || vendor === 'hygon';
}
