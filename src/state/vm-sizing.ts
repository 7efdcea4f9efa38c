/**
 * The VM's sizing keys on the Plan step, as pure functions from a key and the current spec to
 * the overrides it asks for (the same text overrides the command line's flags give, validated by
 * the same code): + / - vCPUs, ] / [ memory, h huge pages, a accelerator. (The network is a
 * choice among what the host offers: src/state/vm-offer.ts.)
 */
import type { SpecOverrides } from '../spec/resolve.js';
import type { VmSpec } from '../spec/types.js';
import { MAX_VCPUS } from '../spec/vm-spec.js';
import { pageOptionOf } from '../shared/page-sizes.js';

/** Memory sizes the ] and [ keys step through, in MiB. */
export const MEMORY_STEPS_MIB = [128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144];

/** The h key's cycle, as --hugepages spells the sizes. */
const HUGEPAGES = ['none', '2M', '1G'] as const;

export const SIZING_KEYS = '+/- vCPUs ]/[ mem h hugepages a accel o guest OS r reset';

/** The o key's cycle. */
const GUEST_OSES = ['linux', 'windows', 'other'] as const;

function memoryText(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}G` : `${mib}M`;
}

/** The overrides a sizing key asks for, or null when the key is not one (or changes nothing). */
export function sizingOverrides(input: string, spec: VmSpec): SpecOverrides | null {
  switch (input) {
    case '+':
    case '=':
      // A manual map is per vCPU: a new count starts from automatic placement again.
      return spec.vcpus.count < MAX_VCPUS ? { vcpus: String(spec.vcpus.count + 1), map: null } : null;
    case '-':
      return spec.vcpus.count > 1 ? { vcpus: String(spec.vcpus.count - 1), map: null } : null;
    case ']': {
      const next = MEMORY_STEPS_MIB.find((mib) => mib > spec.memory.sizeMiB);
      return next === undefined ? null : { memory: memoryText(next) };
    }
    case '[': {
      const smaller = MEMORY_STEPS_MIB.filter((mib) => mib < spec.memory.sizeMiB);
      return smaller.length === 0 ? null : { memory: memoryText(smaller[smaller.length - 1]!) };
    }
    case 'h': {
      const current = pageOptionOf(spec.memory.backing);
      return { hugepages: HUGEPAGES[(HUGEPAGES.indexOf(current) + 1) % HUGEPAGES.length] };
    }
    case 'a':
      return { accel: spec.accel === 'kvm' ? 'tcg' : 'kvm' };
    case 'o':
      return { guest: GUEST_OSES[(GUEST_OSES.indexOf(spec.guest.os) + 1) % GUEST_OSES.length] };
    default:
      return null;
  }
}
