/**
 * Whether this host can run the spec at all, before any CPU is chosen: the architecture KVM
 * needs, the CPU flag 1G pages need, a named CPU model of the host's own vendor, online CPUs.
 */
import type { CpuInfo } from '../host/cpuinfo.js';
import { namedModelVendor } from '../spec/cpu-vendor.js';
import type { VmSpec } from '../spec/types.js';
import type { HostView } from './host-view.js';
import type { PlanMessages } from './plan-messages.js';

/** Records kvm-arch-mismatch, no-pdpe1gb and no-free-cpus errors, and a cpu-model-vendor warning. */
export function checkHostSupport(view: HostView, cpuInfo: CpuInfo, spec: VmSpec, messages: PlanMessages): void {
  // ARM and POWER /proc/cpuinfo have no vendor_id line; x86 ones always do.
  if (spec.accel === 'kvm' && cpuInfo.readable && cpuInfo.vendorId === null) {
    messages.fail('kvm-arch-mismatch', `accel kvm: this host's CPU is not x86${cpuInfo.modelName ? ` (${cpuInfo.modelName})` : ''}, and KVM only runs guests of the host's architecture; use --accel tcg`);
  }
  if (spec.memory.backing === 'hugepages-1G' && cpuInfo.readable && cpuInfo.vendor !== 'other' && !cpuInfo.flags.has('pdpe1gb')) {
    messages.fail('no-pdpe1gb', 'memory.backing hugepages-1G: the host CPU lacks the pdpe1gb flag, so the kernel cannot make 1G pages; use --hugepages 2M');
  }
  if (spec.accel === 'kvm' && spec.cpu.model !== 'host' && spec.cpu.model !== 'max' && (cpuInfo.vendor === 'intel' || cpuInfo.vendor === 'amd')) {
    const modelVendor = namedModelVendor(spec.cpu.model);
    if ((modelVendor === 'intel' || modelVendor === 'amd') && modelVendor !== cpuInfo.vendor) {
      const name = (vendor: string) => (vendor === 'intel' ? 'Intel' : 'AMD');
      messages.warn(
        'cpu-model-vendor',
        `cpu.model ${spec.cpu.model} is an ${name(modelVendor)} model on this ${name(cpuInfo.vendor)} host: KVM cannot give the features only ${name(modelVendor)} CPUs have, so QEMU refuses the model (it is enforced) or the guest runs without them where they are turned off, and its SMT is not shown; use an ${name(cpuInfo.vendor)} model`,
      );
    }
  }
  if (spec.guest.hyperv && spec.accel !== 'kvm') {
    // QEMU's TCG refuses hv-* ("kernel doesn't allow setting HyperV VP_INDEX"): the generators leave them out.
    messages.warn('hyperv-needs-kvm', `guest.hyperv: Hyper-V enlightenments need accel kvm; under ${spec.accel} the ${spec.guest.os} guest runs without them (slower timers, spinlocks and IPIs)`);
  }
  if (spec.guest.tpm && spec.name.includes(',')) {
    // Measured (libvirt 9.0, swtpm 0.7): swtpm_setup fails with "does not support TPM 2". kvm-tui's
    // own launch gives swtpm fixed relative names, so only the libvirt XML is affected.
    messages.warn('tpm-name-comma', `the VM name ${JSON.stringify(spec.name)} has a ",": kvm-tui launch runs its TPM, but libvirt builds swtpm's log and state paths from the name and swtpm cannot take a comma there, so the libvirt XML would not start; rename it for libvirt`);
  }
  if (view.online.length === 0) messages.fail('no-free-cpus', 'the host has no online CPUs');
}
