/**
 * The pinning planner: topology + spec + CPUs other VMs hold -> a Plan. Pure: no fs, no clock.
 * Impossible requests come back as plan.errors with typed codes, never as exceptions.
 *
 * This module only orders the steps; each step lives in a module named by its concern:
 * host-offer (what the host offers), check-host-support and check-spec-references (can it be done
 * at all), place-vcpus (manual map, compact / spread, or unpinned), guest-topology and
 * effective-spec (what the guest sees), helper-threads (emulator and iothreads),
 * check-placement-rules and check-memory (the warnings).
 */
import type { CpuInfo } from '../host/cpuinfo.js';
import type { Topology } from '../host/topology.js';
import type { Plan, VmSpec } from '../spec/types.js';
import { checkCpuModel, type CpuModelFacts } from './check-cpu-model.js';
import { checkHostDevices, type HostDevices } from './check-host-devices.js';
import { checkHostSupport } from './check-host-support.js';
import { checkMemory } from './check-memory.js';
import { checkPlacementRules } from './check-placement-rules.js';
import { checkSpecReferences } from './check-spec-references.js';
import { buildPlanSpec, type EffectiveSpec } from './effective-spec.js';
import { buildPlanVcpus, chooseGuestTopology, declaredGuestTopology, guestCpuFeatures, guestSeesSmt } from './guest-topology.js';
import { placeHelperThreads, unpinnedIothreads } from './helper-threads.js';
import { buildHostOffer } from './host-offer.js';
import { buildHostView } from './host-view.js';
import { unique } from './number-lists.js';
import { idleSiblingsOf } from './place-auto.js';
import { placeVcpus } from './place-vcpus.js';
import { checkRealtime } from './check-realtime.js';
import { createPlanMessages } from './plan-messages.js';
import { buildVcpuGroups } from './vcpu-groups.js';

export interface PlanVmInput {
  topology: Topology;
  cpuInfo: CpuInfo;
  /** Read, never written: the effective values go into a copy (Plan.spec). */
  spec: VmSpec;
  /**
   * Host CPU -> name of the VM holding it (the registry of running VMs). These are never handed
   * out, and a core shared with one is warned. Absent = nothing else runs.
   */
  taken?: ReadonlyMap<number, string>;
  /** What /dev/kvm and /dev/vhost-net allow on the host planned for; absent = not checked. */
  devices?: HostDevices;
  /** QEMU's answer on which named CPU models the host can give; absent = not checked. */
  cpuModels?: CpuModelFacts;
}

/** Plans one VM on one host: where its vCPUs, helper threads and memory go, and what to warn about. */
export function planVm(input: PlanVmInput): Plan {
  const { topology, cpuInfo, spec } = input;
  const messages = createPlanMessages();

  // 1. What the host offers this VM, and the VM cut into groups placed together.
  const offer = buildHostOffer(buildHostView(topology), input.taken ?? new Map(), spec.pinning.housekeepingPerSocket);
  const { view } = offer;
  const groups = buildVcpuGroups(spec);
  const host = { vendor: cpuInfo.vendor, housekeeping: offer.housekeepingCpus };

  // 2. Can it be done at all: host support, and the nodes and CPUs the spec names.
  checkHostSupport(view, cpuInfo, spec, messages);
  checkHostDevices(input.devices, spec, messages);
  checkCpuModel(input.cpuModels, spec, messages, cpuInfo.vendor === 'other' ? null : cpuInfo.vendor);
  checkSpecReferences(offer, spec, groups, messages);

  // 3. The vCPUs: a manual map, compact / spread, or unpinned. Errors end the plan here.
  const placement = messages.errors.length === 0 ? placeVcpus({ offer, spec, groups, messages }) : null;
  if (messages.errors.length > 0) {
    return {
      spec: structuredClone(spec),
      vcpus: [],
      emulator: [],
      iothreads: [],
      memory: { hostNodes: [], backing: spec.memory.backing, sizeMiB: spec.memory.sizeMiB, guestNodes: [] },
      host,
      warnings: messages.warnings,
      errors: messages.errors,
    };
  }

  // 4. What the guest sees: its topology (from the placement when the spec gave only a count)
  //    and the CPU features that go with it.
  const guestTopology = spec.vcpus.autoTopology
    ? chooseGuestTopology({ view, vcpuCount: spec.vcpus.count, groups, placement, smt: guestSeesSmt(cpuInfo, spec) })
    : declaredGuestTopology(spec);
  const effective: EffectiveSpec = { guestTopology, cpuFeatures: guestCpuFeatures(cpuInfo, spec, guestTopology) };
  const vcpus = buildPlanVcpus(spec, guestTopology, placement);

  // 5. Memory nodes follow the vCPUs.
  const hostNodes = placement ? unique(placement.groupNodes.flat()) : [];
  const guestNodes = spec.numa.map((node, id) => ({
    id,
    vcpus: [...node.vcpus],
    memMiB: node.memMiB,
    hostNodes: placement ? placement.groupNodes[id]! : [],
  }));

  // 6. Helper threads near the vCPUs, then the rules the placement bent.
  const idleSiblings = placement ? idleSiblingsOf(view, spec.pinning.siblings, placement.vcpuHost) : [];
  const helpers = placement
    ? placeHelperThreads({ offer, spec, vcpuHostCpus: placement.vcpuHost, hostNodes, idleCpus: idleSiblings, messages })
    : { emulator: [], iothreads: unpinnedIothreads(spec) };
  if (placement) {
    checkPlacementRules({ offer, spec, placement, groups, guestThreads: guestTopology.threads, guestDies: guestTopology.dies, emulator: helpers.emulator, iothreads: helpers.iothreads, messages });
  }
  checkMemory({ view, backing: spec.memory.backing, groups, placement, messages, prealloc: spec.memory.prealloc });
  checkRealtime(spec, placement?.vcpuHost ?? null, helpers.emulator, helpers.iothreads, messages);

  return {
    spec: buildPlanSpec(spec, effective),
    vcpus,
    emulator: helpers.emulator,
    iothreads: helpers.iothreads,
    ...(idleSiblings.length > 0 ? { idleSiblings } : {}),
    memory: { hostNodes, backing: spec.memory.backing, sizeMiB: spec.memory.sizeMiB, guestNodes },
    host,
    warnings: messages.warnings,
    errors: messages.errors,
  };
}
