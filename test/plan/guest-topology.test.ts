/**
 * What the guest sees (src/plan/guest-topology.ts) and how the effective values reach Plan.spec
 * without touching the caller's spec (effective-spec.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildPlanSpec } from '../../src/plan/effective-spec.js';
import { buildPlanVcpus, chooseGuestTopology, declaredGuestTopology, guestCpuFeatures, guestSeesSmt } from '../../src/plan/guest-topology.js';
import { buildHostView } from '../../src/plan/host-view.js';
import { parseVmSpec } from '../../src/spec/vm-spec.js';
import { buildTopology, x86CpuInfo } from './_topology-builder.js';

const one = (count: number) => [{ vcpus: Array.from({ length: count }, (_, index) => index), memMiB: 1024, hostNode: null }];

describe('chooseGuestTopology', () => {
  const view = buildHostView(buildTopology({ sockets: 2, coresPerL3: 2 })); // socket 0: CPUs 0,1,4,5

  test('unpinned: one socket of single-thread cores', () => {
    assert.deepEqual(chooseGuestTopology({ view, vcpuCount: 4, groups: one(4), placement: null , smt: true }), { sockets: 1, dies: 1, cores: 4, threads: 1 });
  });

  test('threads as placed, and one guest socket per host socket for equal consecutive runs', () => {
    const placement = { vcpuHost: [0, 4, 2, 6], threads: 2, groupNodes: [[0, 1]] };
    assert.deepEqual(chooseGuestTopology({ view, vcpuCount: 4, groups: one(4), placement , smt: true }), { sockets: 2, dies: 1, cores: 1, threads: 2 });
    const alternating = { vcpuHost: [0, 2, 4, 6], threads: 1, groupNodes: [[0, 1]] };
    assert.deepEqual(chooseGuestTopology({ view, vcpuCount: 4, groups: one(4), placement: alternating , smt: true }), { sockets: 1, dies: 1, cores: 4, threads: 1 });
    const unequal = { vcpuHost: [0, 1, 4, 2], threads: 1, groupNodes: [[0, 1]] };
    assert.equal(chooseGuestTopology({ view, vcpuCount: 4, groups: one(4), placement: unequal , smt: true }).sockets, 1);
  });

  test('one guest socket per guest NUMA node when the nodes are equal contiguous runs', () => {
    const placement = { vcpuHost: [0, 4, 2, 6], threads: 2, groupNodes: [[0], [1]] };
    const contiguous = [{ vcpus: [0, 1], memMiB: 1024, hostNode: null }, { vcpus: [2, 3], memMiB: 1024, hostNode: null }];
    assert.deepEqual(chooseGuestTopology({ view, vcpuCount: 4, groups: contiguous, placement , smt: true }), { sockets: 2, dies: 1, cores: 1, threads: 2 });
    const interleaved = [{ vcpus: [0, 2], memMiB: 1024, hostNode: null }, { vcpus: [1, 3], memMiB: 1024, hostNode: null }];
    assert.equal(chooseGuestTopology({ view, vcpuCount: 4, groups: interleaved, placement: { ...placement, threads: 1 }, smt: true }).sockets, 1);
  });
});

describe('guestCpuFeatures', () => {
  const smt = { sockets: 1, dies: 1, cores: 2, threads: 2 };
  const noSmt = { sockets: 1, dies: 1, cores: 4, threads: 1 };
  const spec = (model: string, features: string[] = [], accel: 'kvm' | 'tcg' = 'kvm') => ({ accel, cpu: { model, features, cachePassthrough: false } });

  test('+topoext for an AMD-style guest with threads on an AMD host under KVM, unless already toggled', () => {
    assert.deepEqual(guestCpuFeatures(x86CpuInfo('amd'), spec('host'), smt), ['+topoext']);
    assert.deepEqual(guestCpuFeatures(x86CpuInfo('amd'), spec('EPYC', ['+x2apic']), smt), ['+x2apic', '+topoext']);
    assert.deepEqual(guestCpuFeatures(x86CpuInfo('amd'), spec('host', ['-topoext']), smt), ['-topoext']);
    assert.deepEqual(guestCpuFeatures(x86CpuInfo('amd'), spec('host'), noSmt), []);
    assert.deepEqual(guestCpuFeatures(x86CpuInfo('intel'), spec('host'), smt), []);
  });

  test('the guest model\'s vendor decides, not the host\'s; never under TCG', () => {
    // An Intel model on an AMD host learns its threads from leaf 0xB: no topoext.
    assert.deepEqual(guestCpuFeatures(x86CpuInfo('amd'), spec('Skylake-Server'), smt), []);
    // An AMD model on an Intel host: its KVM reports no topoext (the guest is not shown SMT).
    assert.deepEqual(guestCpuFeatures(x86CpuInfo('intel'), spec('EPYC'), smt), []);
    // TCG has no topoext to give (qemu64 and max are AMD-style there).
    assert.deepEqual(guestCpuFeatures(x86CpuInfo('amd'), spec('qemu64', [], 'tcg'), smt), []);
  });

  test('guestSeesSmt: not under TCG, not for an AMD-style guest on a host that is not AMD', () => {
    assert.equal(guestSeesSmt(x86CpuInfo('intel'), spec('host')), true);
    assert.equal(guestSeesSmt(x86CpuInfo('intel'), spec('Skylake-Server')), true);
    assert.equal(guestSeesSmt(x86CpuInfo('amd'), spec('Skylake-Server')), true);
    assert.equal(guestSeesSmt(x86CpuInfo('amd'), spec('EPYC')), true);
    assert.equal(guestSeesSmt(x86CpuInfo('intel'), spec('EPYC')), false);
    assert.equal(guestSeesSmt(x86CpuInfo('intel'), spec('qemu64')), false, 'qemu64 is an AMD model');
    assert.equal(guestSeesSmt(x86CpuInfo('amd'), spec('max', [], 'tcg')), false);
    assert.equal(guestSeesSmt(x86CpuInfo('intel'), spec('qemu64', [], 'tcg')), false);
  });

  test('without SMT shown, the topology has one thread per core even on sibling pairs', () => {
    const view = buildHostView(buildTopology({ sockets: 1, coresPerL3: 2, threads: 2 }));
    const placement = { vcpuHost: [0, 2, 1, 3], threads: 2, groupNodes: [[0]] };
    assert.deepEqual(chooseGuestTopology({ view, vcpuCount: 4, groups: [{ vcpus: [0, 1, 2, 3], memMiB: 0, hostNode: null }], placement, smt: false }), { sockets: 1, dies: 1, cores: 4, threads: 1 });
  });

  test('returns a new list', () => {
    const features = ['+x2apic'];
    const out = guestCpuFeatures(x86CpuInfo('amd'), spec('host', features), smt);
    assert.notEqual(out, features);
    assert.deepEqual(features, ['+x2apic']);
    // Unchanged, too: Plan.spec must not share the caller's array.
    assert.notEqual(guestCpuFeatures(x86CpuInfo('intel'), spec('host', features), smt), features);
  });
});

describe('buildPlanVcpus', () => {
  test('consecutive vCPUs are threads of one core, cores of one die, dies of one socket', () => {
    const spec = parseVmSpec({ vcpus: { count: 8, sockets: 2, cores: 2, threads: 2 } }, 'test');
    const rows = buildPlanVcpus(spec, declaredGuestTopology(spec), null);
    assert.deepEqual(rows[5], { vcpu: 5, hostCpu: null, socket: 1, die: 0, core: 0, thread: 1, guestNode: null });
    assert.deepEqual(rows.map((row) => `${row.socket}${row.core}${row.thread}`), ['000', '001', '010', '011', '100', '101', '110', '111']);
  });

  test('host CPUs from the placement, guest nodes from the spec', () => {
    const spec = parseVmSpec({ vcpus: 2, memory: '2G', numa: { nodes: 2 } }, 'test');
    const rows = buildPlanVcpus(spec, { sockets: 2, dies: 1, cores: 1, threads: 1 }, { vcpuHost: [3, 7], threads: 1, groupNodes: [[0], [1]] });
    assert.deepEqual(rows.map((row) => [row.hostCpu, row.socket, row.guestNode]), [[3, 0, 0], [7, 1, 1]]);
  });
});

describe('buildPlanSpec', () => {
  const keyPaths = (value: unknown, prefix = ''): string[] =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value).flatMap(([key, child]) => [`${prefix}${key}`, ...keyPaths(child, `${prefix}${key}.`)])
      : [];
  const objects = (value: unknown, out = new Set<object>()): Set<object> => {
    if (value && typeof value === 'object' && !out.has(value)) {
      out.add(value);
      for (const child of Object.values(value)) objects(child, out);
    }
    return out;
  };

  test('fills in the effective values, keeps every key in place and leaves the caller\'s spec alone', () => {
    const spec = parseVmSpec({ vcpus: 4, cpu: { features: ['+x2apic'] }, disks: ['a.raw'] }, 'test');
    const before = JSON.stringify(spec);
    const out = buildPlanSpec(spec, { guestTopology: { sockets: 1, dies: 1, cores: 2, threads: 2 }, cpuFeatures: ['+x2apic', '+topoext'] });
    assert.equal(JSON.stringify(spec), before);
    assert.deepEqual(out.vcpus, { ...spec.vcpus, cores: 2, threads: 2 });
    assert.deepEqual(out.cpu.features, ['+x2apic', '+topoext']);
    assert.deepEqual(keyPaths(out), keyPaths(spec));
    assert.deepEqual({ ...out, vcpus: spec.vcpus, cpu: spec.cpu }, spec);
    const shared = [...objects(out)].filter((object) => objects(spec).has(object));
    assert.deepEqual(shared, []);
  });
});
