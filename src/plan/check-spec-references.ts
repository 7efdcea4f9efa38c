/**
 * Whether the host nodes and CPUs a spec names exist and are usable, checked before placement so
 * the error names the field the user wrote. (pinning.map entries are checked by placeManual, which
 * also needs to know which vCPU each one belongs to.)
 */
import type { VmSpec } from '../spec/types.js';
import type { HostOffer } from './host-offer.js';
import type { PlanMessages } from './plan-messages.js';
import type { VcpuGroup } from './vcpu-groups.js';

/** Records unknown-node for a group's hostNode, and unknown-cpu / offline-cpu / cpu-taken for emulator.cpus and iothreads.cpus. */
export function checkSpecReferences(offer: HostOffer, spec: VmSpec, groups: VcpuGroup[], messages: PlanMessages): void {
  const { view, taken } = offer;
  groups.forEach((group, index) => {
    if (group.hostNode !== null && !view.cpuNodes.includes(group.hostNode)) {
      const where = spec.numa.length > 0 ? `numa[${index}].hostNode` : 'pinning.hostNode';
      messages.fail('unknown-node', `${where}: host node ${group.hostNode} does not exist or has no online CPUs (nodes with CPUs: ${view.cpuNodes.join(', ')})`);
    }
  });
  const lists: Array<[string, number[] | null | undefined]> = [
    ['emulator.cpus', spec.emulator.cpus],
    ['iothreads.cpus', spec.iothreads.cpus],
  ];
  for (const [field, cpus] of lists) {
    for (const cpu of cpus ?? []) {
      if (!view.byCpu.has(cpu)) messages.fail('unknown-cpu', `${field}: host CPU ${cpu} does not exist`);
      else if (!view.byCpu.get(cpu)!.online) messages.fail('offline-cpu', `${field}: host CPU ${cpu} is offline`);
      else if (taken.has(cpu)) messages.fail('cpu-taken', `${field}: host CPU ${cpu} is held by VM "${taken.get(cpu)}"`);
    }
  }
}
