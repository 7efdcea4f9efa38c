/**
 * Whether this host can run the spec at all, before any CPU is chosen: the architecture KVM
 * needs, the CPU flag 1G pages need, a named CPU model of the host's own vendor, online CPUs.
 */
import type { CpuInfo } from '../host/cpuinfo.js';
import type { VmSpec } from '../spec/types.js';
import type { HostView } from './host-view.js';
import type { PlanMessages } from './plan-messages.js';

const INTEL_MODEL_RE = /^(Skylake|Cascadelake|Cooperlake|Icelake|SapphireRapids|GraniteRapids|SierraForest|ClearwaterForest|Broadwell|Haswell|IvyBridge|SandyBridge|Westmere|Nehalem|Penryn|Conroe|Core2Duo|Denverton|Snowridge|KnightsMill)/i;
const AMD_MODEL_RE = /^(EPYC|Opteron|phenom)/i;

/** Records kvm-arch-mismatch, no-pdpe1gb and no-free-cpus errors, and a cpu-model-vendor warning. */
export function checkHostSupport(view: HostView, cpuInfo: CpuInfo, spec: VmSpec, messages: PlanMessages): void {
  // ARM and POWER /proc/cpuinfo have no vendor_id line; x86 ones always do.
  if (spec.accel === 'kvm' && cpuInfo.readable && cpuInfo.vendorId === null) {
    messages.fail('kvm-arch-mismatch', `accel kvm: this host's CPU is not x86${cpuInfo.modelName ? ` (${cpuInfo.modelName})` : ''}, and KVM only runs guests of the host's architecture; use --accel tcg`);
  }
  if (spec.memory.backing === 'hugepages-1G' && cpuInfo.readable && cpuInfo.vendor !== 'other' && !cpuInfo.flags.has('pdpe1gb')) {
    messages.fail('no-pdpe1gb', 'memory.backing hugepages-1G: the host CPU lacks the pdpe1gb flag, so the kernel cannot make 1G pages; use --hugepages 2M');
  }
  if (spec.accel === 'kvm' && spec.cpu.model !== 'host' && (cpuInfo.vendor === 'intel' || cpuInfo.vendor === 'amd')) {
    const modelVendor = INTEL_MODEL_RE.test(spec.cpu.model) ? 'intel' : AMD_MODEL_RE.test(spec.cpu.model) ? 'amd' : null;
    if (modelVendor !== null && modelVendor !== cpuInfo.vendor) {
      messages.warn('cpu-model-vendor', `cpu.model ${spec.cpu.model} is an ${modelVendor === 'intel' ? 'Intel' : 'AMD'} model on this ${cpuInfo.vendor === 'intel' ? 'Intel' : 'AMD'} host: KVM drops the features the host lacks, so the guest CPU differs from the same model elsewhere`);
    }
  }
  if (view.online.length === 0) messages.fail('no-free-cpus', 'the host has no online CPUs');
}
