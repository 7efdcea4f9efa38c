/**
 * Where the emulator and iothreads go (src/plan/helper-threads.ts), alone and beside CPUs other
 * VMs hold (the `taken` input of planVm). Host: CPUs 0-15, core k = {k, k+8}, housekeeping [0, 8].
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { placeHelperThread, placeHelperThreads, unpinnedIothreads, type HelperThreadInput } from '../../src/plan/helper-threads.js';
import { buildHostOffer } from '../../src/plan/host-offer.js';
import { buildHostView } from '../../src/plan/host-view.js';
import { createPlanMessages } from '../../src/plan/plan-messages.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { parseVmSpec } from '../../src/spec/vm-spec.js';
import { buildTopology, x86CpuInfo } from './_topology-builder.js';
import { checkPlan } from './rule-checker.js';

const topology = buildTopology({ coresPerL3: 8 });
const view = buildHostView(topology);
const VCPU_HOSTS = [1, 9, 2, 10];

function helper(overrides: Partial<HelperThreadInput> & { taken?: Map<number, string>; housekeepingPerSocket?: number }) {
  const { taken = new Map(), housekeepingPerSocket = 1, ...rest } = overrides;
  const messages = createPlanMessages();
  const cpus = placeHelperThread({
    offer: buildHostOffer(view, taken, housekeepingPerSocket),
    what: 'emulator',
    placement: 'housekeeping',
    explicitCpus: null,
    vcpuHostCpus: VCPU_HOSTS,
    hostNodes: [0],
    reservedCpus: new Set(VCPU_HOSTS),
    messages,
    ...rest,
  });
  return { cpus, warnings: messages.warnings.map((warning) => warning.code) };
}

describe('placeHelperThread', () => {
  test('each placement', () => {
    assert.deepEqual(helper({ placement: 'with-vcpus' }).cpus, [1, 2, 9, 10]);
    assert.deepEqual(helper({ placement: 'housekeeping' }).cpus, [0, 8]);
    assert.deepEqual(helper({ placement: 'dedicated' }).cpus, [3]);
    assert.deepEqual(helper({ placement: 'dedicated', explicitCpus: [8, 0, 8] }).cpus, [0, 8]);
  });

  test('no housekeeping kept: housekeeping placement uses spare CPUs, never a vCPU\'s or a held one', () => {
    const { cpus } = helper({ placement: 'housekeeping', housekeepingPerSocket: 0, taken: new Map([[5, 'a']]) });
    assert.deepEqual(cpus, [0, 3, 4, 6, 7, 8, 11, 12, 13, 14, 15]);
  });

  test('dedicated: off the vCPUs\' cores, never on a held or reserved CPU', () => {
    assert.deepEqual(helper({ placement: 'dedicated', taken: new Map([[3, 'a']]) }).cpus, [4]);
    assert.deepEqual(helper({ placement: 'dedicated', reservedCpus: new Set([...VCPU_HOSTS, 3, 4]) }).cpus, [5]);
    // Only the vCPUs' siblings left: one of those rather than nothing.
    const crowded = new Map([3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((cpu) => [cpu, 'a'] as [number, string]));
    assert.deepEqual(helper({ placement: 'dedicated', vcpuHostCpus: [1, 2], reservedCpus: new Set([1, 2]), taken: crowded }).cpus, [9]);
  });

  test('dedicated with nothing free: housekeeping, warned', () => {
    const all = new Map([3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((cpu) => [cpu, 'a'] as [number, string]));
    assert.deepEqual(helper({ placement: 'dedicated', taken: all }), { cpus: [0, 8], warnings: ['no-dedicated-cpu'] });
  });
});

describe('placeHelperThreads', () => {
  test('a dedicated helper reserves its CPU for the next one; disks map to iothreads in order', () => {
    const spec = parseVmSpec({
      vcpus: 4,
      disks: [{ path: 'a.qcow2', iothread: true }, { path: 'b.raw' }, { path: 'c.raw', iothread: true }],
      emulator: { placement: 'dedicated' },
      iothreads: { placement: 'dedicated' },
    }, 'test');
    assert.deepEqual(unpinnedIothreads(spec), [{ id: 'io0', disks: [0], hostCpus: [] }, { id: 'io1', disks: [2], hostCpus: [] }]);
    const offer = buildHostOffer(view, new Map([[4, 'a']]), 1);
    const helpers = placeHelperThreads({ offer, spec, vcpuHostCpus: VCPU_HOSTS, hostNodes: [0], messages: createPlanMessages() });
    assert.deepEqual(helpers, {
      emulator: [3],
      iothreads: [{ id: 'io0', disks: [0], hostCpus: [5] }, { id: 'io1', disks: [2], hostCpus: [6] }],
    });
  });
});

describe('planVm beside other VMs (taken)', () => {
  test('vCPUs, housekeeping and dedicated helpers all stay off held CPUs; shared cores are warned', () => {
    const spec = parseVmSpec({ vcpus: 4, disks: [{ path: 'a.raw', iothread: true }], emulator: { placement: 'dedicated' }, iothreads: { placement: 'dedicated' } }, 'test');
    const taken = new Map([[0, 'other'], [1, 'other'], [3, 'other']]);
    const plan = planVm({ topology, cpuInfo: x86CpuInfo('intel'), spec, taken });
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.host.housekeeping, [8]);
    assert.deepEqual(plan.vcpus.map((vcpu) => vcpu.hostCpu), [2, 10, 4, 12]);
    assert.deepEqual(plan.emulator, [5]);
    assert.deepEqual(plan.iothreads.map((thread) => thread.hostCpus), [[6]]);
    const used = [...plan.vcpus.map((vcpu) => vcpu.hostCpu!), ...plan.emulator, ...plan.iothreads.flatMap((thread) => thread.hostCpus)];
    assert.deepEqual(used.filter((cpu) => taken.has(cpu)), []);
    // The caller's map is read, not changed.
    assert.deepEqual([...taken.keys()], [0, 1, 3]);
  });
});

describe('iothreads.cpus (the core map places iothreads by hand)', () => {
  test('every iothread runs on the CPUs given, whatever the placement says', () => {
    const spec = parseVmSpec({ vcpus: 4, disks: [{ path: 'a.raw', iothread: true }, { path: 'b.raw', iothread: true }], iothreads: { placement: 'dedicated', cpus: [7, 6] } }, 'test');
    assert.deepEqual(spec.iothreads.cpus, [7, 6]);
    const plan = planVm({ topology, cpuInfo: x86CpuInfo('intel'), spec });
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.iothreads.map((thread) => thread.hostCpus), [[6, 7], [6, 7]]);
    assert.deepEqual(checkPlan({ topology, cpuInfo: x86CpuInfo('intel'), spec, taken: new Map(), plan }), []);
  });

  test('a CPU that does not exist, is offline or is held is an error naming iothreads.cpus', () => {
    const spec = parseVmSpec({ vcpus: 2, disks: [{ path: 'a.raw', iothread: true }], iothreads: { cpus: [3, 99] } }, 'test');
    const plan = planVm({ topology, cpuInfo: x86CpuInfo('intel'), spec, taken: new Map([[3, 'web']]) });
    assert.deepEqual(plan.errors.map((entry) => entry.message), ['iothreads.cpus: host CPU 3 is held by VM "web"', 'iothreads.cpus: host CPU 99 does not exist']);
  });

  test('a helper placed by hand on a vCPU\'s own CPU is warned (helper-on-vcpu); with-vcpus placement is not', () => {
    const spec = parseVmSpec({ vcpus: 2, disks: [{ path: 'a.raw', iothread: true }], pinning: { map: [1, 2] }, emulator: { cpus: [2] }, iothreads: { cpus: [1, 3] } }, 'test');
    const plan = planVm({ topology, cpuInfo: x86CpuInfo('intel'), spec });
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(plan.warnings.filter((entry) => entry.code === 'helper-on-vcpu').map((entry) => entry.message), [
      'emulator.cpus puts the emulator thread on host CPU 2, where vCPU 1 runs: its work takes that vCPU\'s time; on a housekeeping CPU it would not',
      'iothreads.cpus puts the iothreads on host CPU 1, where vCPU 0 runs: its work takes that vCPU\'s time; on a housekeeping CPU it would not',
    ]);
    assert.deepEqual(checkPlan({ topology, cpuInfo: x86CpuInfo('intel'), spec, taken: new Map(), plan }), [], 'the independent checker agrees');
    const together = planVm({ topology, cpuInfo: x86CpuInfo('intel'), spec: parseVmSpec({ vcpus: 2, emulator: { placement: 'with-vcpus' } }, 'test') });
    assert.equal(together.warnings.some((entry) => entry.code === 'helper-on-vcpu'), false);
  });

  test('an empty list, or CPUs for a VM without iothreads, is refused by the spec', () => {
    assert.throws(() => parseVmSpec({ vcpus: 2, disks: [{ path: 'a.raw', iothread: true }], iothreads: { cpus: [] } }, 'test'), /iothreads\.cpus: must list at least one host CPU/);
    assert.throws(() => parseVmSpec({ vcpus: 2, iothreads: { cpus: [3] } }, 'test'), /iothreads\.cpus: lists CPUs for iothreads, but the VM has none/);
    // Left out, the spec keeps the shape it always had.
    assert.equal('cpus' in parseVmSpec({ vcpus: 2 }, 'test').iothreads, false);
  });
});
