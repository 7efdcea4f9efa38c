/**
 * What the host's device nodes allow, checked against the spec: /dev/kvm for accel kvm, and
 * /dev/vhost-net for a tap with vhost. These are warnings for a plan (it may be meant for another
 * host, or a capture) and become errors for `launch`, which would otherwise start a QEMU that
 * exits at once ("Could not access KVM kernel module", "vhost-net support is not compiled in /
 * Could not open /dev/vhost-net").
 */
import type { HostDevices } from '../host/devices.js';
import type { VmSpec } from '../spec/types.js';
import type { PlanMessages } from './plan-messages.js';

export type { HostDevices };

export function checkHostDevices(devices: HostDevices | undefined, spec: VmSpec, messages: PlanMessages): void {
  if (!devices) return;
  if (spec.accel === 'kvm' && devices.kvm !== 'usable') {
    messages.warn(
      'kvm-unavailable',
      devices.kvm === 'missing'
        ? 'accel kvm, but this host has no /dev/kvm (no KVM module, or a VM without nested virtualization): QEMU would refuse to start; use --accel tcg (or --accel auto)'
        : 'accel kvm, but /dev/kvm does not open read-write for this user: add the user to the kvm group (usermod -aG kvm USER) or run as root; --accel tcg runs without it',
    );
  }
  const net = spec.network;
  if (net.mode === 'tap' && net.vhost && devices.vhostNet !== 'usable') {
    messages.warn(
      'vhost-unavailable',
      devices.vhostNet === 'missing'
        ? 'network.vhost: this host has no /dev/vhost-net (modprobe vhost_net): QEMU would refuse the tap; set "vhost": false in the spec\'s network, or load the module'
        : 'network.vhost: /dev/vhost-net does not open read-write for this user: run as root, or set "vhost": false',
    );
  }
}
