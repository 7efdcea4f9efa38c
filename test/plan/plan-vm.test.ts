/**
 * The planner's decisions on small hosts where the right answer can be worked out by hand
 * (CPU k and k+C are the two threads of core k, see _topology-builder.ts). Every plan here also
 * goes through the independent rule checker.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CpuInfo } from '../../src/host/cpuinfo.js';
import type { Topology } from '../../src/host/topology.js';
import { planVm } from '../../src/plan/plan-vm.js';
import type { Plan, VmSpec } from '../../src/spec/types.js';
import { parseVmSpec } from '../../src/spec/vm-spec.js';
import { buildTopology, x86CpuInfo } from './_topology-builder.js';
import { checkPlan } from './rule-checker.js';

const INTEL = x86CpuInfo('intel');

function plan(topology: Topology, specInput: object, options: { cpuInfo?: CpuInfo; taken?: Map<number, string> } = {}): Plan {
  const spec: VmSpec = parseVmSpec({ name: 'vm', ...specInput }, 'test');
  const cpuInfo = options.cpuInfo ?? INTEL;
  const taken = options.taken ?? new Map();
  const result = planVm({ topology, cpuInfo, spec, taken });
  assert.deepEqual(checkPlan({ topology, cpuInfo, spec, taken, plan: result }), [], JSON.stringify(result.vcpus.map((vcpu) => vcpu.hostCpu)));
  return result;
}
const hostCpus = (result: Plan) => result.vcpus.map((vcpu) => vcpu.hostCpu);
const codes = (messages: Array<{ code: string }>) => messages.map((message) => message.code).sort();
const shape = (result: Plan) => [result.spec.vcpus.sockets, result.spec.vcpus.dies, result.spec.vcpus.cores, result.spec.vcpus.threads];

describe('compact placement', () => {
  const host = buildTopology({ coresPerL3: 8 }); // CPUs 0-15, core k = {k, k+8}

  test('keeps the housekeeping core free and gives guest cores whole host cores', () => {
    const result = plan(host, { vcpus: 4 });
    assert.deepEqual(hostCpus(result), [1, 9, 2, 10]);
    assert.deepEqual(shape(result), [1, 1, 2, 2]);
    assert.deepEqual(result.host.housekeeping, [0, 8]);
    assert.deepEqual(result.emulator, [0, 8]);
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.vcpus.map((vcpu) => [vcpu.core, vcpu.thread]), [[0, 0], [0, 1], [1, 0], [1, 1]]);
  });

  test('an odd count gets one vCPU per core (threads 1)', () => {
    const result = plan(host, { vcpus: 3 });
    assert.deepEqual(hostCpus(result), [1, 2, 3]);
    assert.deepEqual(shape(result), [1, 1, 3, 1]);
  });

  test('an explicit guest topology is kept and honoured', () => {
    const result = plan(host, { vcpus: { count: 4, sockets: 2, cores: 2, threads: 1 } });
    assert.deepEqual(shape(result), [2, 1, 2, 1]);
    assert.deepEqual(hostCpus(result), [1, 2, 3, 4]);
  });

  test('L3 groups: a wholly free group first, else an even split told to the guest as dies, else whole groups then the best fit', () => {
    const twoL3 = buildTopology({ l3PerNode: 2, coresPerL3: 4 }); // L3 0: cores 0-3, L3 1: cores 4-7
    // L3 0 has 3 free cores and the housekeeping core 0; L3 1 is wholly free.
    const six = plan(twoL3, { vcpus: 6 });
    assert.deepEqual(hostCpus(six), [4, 12, 5, 13, 6, 14]);
    assert.deepEqual(shape(six), [1, 1, 3, 2]);
    // Beside another VM on core 5, L3 1 is no longer wholly free: the housekeeping core's L3 and
    // the other VM's are both busy, so the best fit (L3 0, 3 free cores) holds the 3 guest cores.
    const beside = plan(twoL3, { vcpus: 6 }, { taken: new Map([[5, 'a'], [13, 'a']]) });
    assert.deepEqual(hostCpus(beside), [1, 9, 2, 10, 3, 11]);
    const eight = plan(twoL3, { vcpus: 8 });
    assert.deepEqual(hostCpus(eight), [4, 12, 5, 13, 6, 14, 7, 15]);
    assert.deepEqual(eight.warnings, []);
    // 6 guest cores: no group holds them, 3 + 3 does; the guest is told (dies=2).
    const twelve = plan(twoL3, { vcpus: 12 });
    assert.deepEqual(hostCpus(twelve), [4, 12, 5, 13, 6, 14, 1, 9, 2, 10, 3, 11]);
    assert.deepEqual(shape(twelve), [1, 2, 3, 2]);
    assert.deepEqual(twelve.vcpus.map((vcpu) => vcpu.die), [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(codes(twelve.warnings), ['split-l3']);
    assert.match(twelve.warnings[0]!.message, /told to the guest as 2 dies per socket.*at most 8 vCPUs fit in one L3 group here/);
    // 7 guest cores split no way evenly (7 is prime, no group holds 7): 4 + 3, dies=1, said so.
    const fourteen = plan(twoL3, { vcpus: 14 });
    assert.deepEqual(hostCpus(fourteen).slice(0, 8), [4, 12, 5, 13, 6, 14, 7, 15]);
    assert.deepEqual(shape(fourteen), [1, 1, 7, 2]);
    assert.match(fourteen.warnings.find((warning) => warning.code === 'split-l3')!.message, /the guest cannot be told \(it sees one shared L3\).*use a vCPU count that splits evenly/);
  });

  test('an even L3 split over three groups: dies=3', () => {
    const threeL3 = buildTopology({ l3PerNode: 3, coresPerL3: 4, threads: 1 }); // CPUs 0-11, L3 k = 4k..4k+3
    const nine = plan(threeL3, { vcpus: 9 });
    assert.deepEqual(hostCpus(nine), [4, 5, 6, 8, 9, 10, 1, 2, 3]);
    assert.deepEqual(shape(nine), [1, 3, 3, 1]);
  });

  test('one NUMA node when one can hold it; the nearest nodes otherwise, with a warning', () => {
    const numa = buildTopology({ sockets: 2, coresPerL3: 4 }); // node 0: cores 0-3, node 1: cores 4-7
    const small = plan(numa, { vcpus: 4, pinning: { hostNode: 1 } });
    assert.deepEqual(hostCpus(small), [5, 13, 6, 14]);
    assert.deepEqual(small.memory.hostNodes, [1]);
    assert.deepEqual(small.emulator, [4, 12]);
    const full = plan(numa, { vcpus: 4, pinning: { hostNode: 1 } }, { taken: new Map([[5, 'a'], [6, 'a'], [7, 'a']]) });
    assert.deepEqual(full.memory.hostNodes, [0]);
    assert.deepEqual(codes(full.warnings), ['host-node-unavailable']);
    const big = plan(numa, { vcpus: 8 });
    assert.deepEqual(hostCpus(big), [1, 9, 2, 10, 3, 11, 5, 13]);
    assert.deepEqual(big.memory.hostNodes, [0, 1]);
    assert.deepEqual(codes(big.warnings), ['cross-numa', 'split-l3']);
  });

  test('hugepages: a node whose pool fits is preferred, and a short pool is warned', () => {
    const numa = buildTopology({ sockets: 2, coresPerL3: 4, free2M: 1024 });
    const fits = plan(numa, { vcpus: 2, memory: { size: '2G', backing: 'hugepages-2M' } });
    assert.deepEqual(fits.warnings, []);
    const short = plan(numa, { vcpus: 2, memory: { size: '4G', backing: 'hugepages-2M' } });
    assert.deepEqual(codes(short.warnings), ['hugepages-missing']);
    assert.match(short.warnings[0]!.message, /node 0: 1024 free 2M hugepages, 2048 needed for 4 GiB/);
  });
});

describe('CPUs other VMs hold', () => {
  const host = buildTopology({ coresPerL3: 8 });

  test('are never handed out; cores with a held sibling come last', () => {
    const result = plan(host, { vcpus: 4 }, { taken: new Map([[1, 'a'], [2, 'b']]) });
    assert.deepEqual(hostCpus(result), [3, 11, 4, 12]);
    assert.deepEqual(result.warnings, []);
  });

  test('a sibling shared with another VM is warned, naming it', () => {
    const small = buildTopology({ coresPerL3: 4 }); // CPUs 0-7, core k = {k, k+4}
    const result = plan(small, { vcpus: 5, pinning: { requireDedicated: true } }, { taken: new Map([[1, 'db "prod"']]) });
    assert.ok(!hostCpus(result).includes(1));
    assert.ok(codes(result.warnings).includes('sibling-shared'));
    assert.ok(codes(result.warnings).includes('smt-hidden'));
    assert.match(result.warnings.find((warning) => warning.code === 'sibling-shared')!.message, /held by VM "db "prod""/);
  });

  test('too few free CPUs: not-enough-cpus when dedicated, overcommit otherwise', () => {
    const taken = new Map(Array.from({ length: 12 }, (_, index) => [index, 'big'] as [number, string]));
    const refused = plan(host, { vcpus: 6 }, { taken });
    assert.deepEqual(codes(refused.errors), ['not-enough-cpus']);
    assert.match(refused.errors[0]!.message, /only 4 of 16 online CPUs are free \(12 held by other VMs\)/);
    assert.deepEqual(refused.vcpus, []);
    const shared = plan(host, { vcpus: 6, pinning: { requireDedicated: false } }, { taken });
    assert.deepEqual(hostCpus(shared), [12, 13, 14, 15, 12, 13]);
    assert.ok(codes(shared.warnings).includes('overcommit'));
    const none = plan(host, { vcpus: 2 }, { taken: new Map(Array.from({ length: 16 }, (_, index) => [index, 'all'] as [number, string])) });
    assert.deepEqual(codes(none.errors), ['no-free-cpus']);
  });
});

describe('small hosts, isolation, spread', () => {
  test('a 2-CPU host: placed on the housekeeping core anyway, with a warning', () => {
    const tiny = buildTopology({ coresPerL3: 1, threads: 2 });
    const result = plan(tiny, { accel: 'tcg', vcpus: 2, memory: '256M', pinning: { requireDedicated: false } });
    assert.deepEqual(hostCpus(result), [0, 1]);
    assert.deepEqual(codes(result.warnings), ['no-housekeeping']);
  });

  test('isolated CPUs are preferred; too few of them is warned', () => {
    const host = buildTopology({ coresPerL3: 8, isolated: [4, 5, 6, 7, 12, 13, 14, 15] });
    assert.deepEqual(hostCpus(plan(host, { vcpus: 4 })), [4, 12, 5, 13]);
    const more = plan(host, { vcpus: 12 });
    assert.deepEqual(hostCpus(more).slice(0, 8), [4, 12, 5, 13, 6, 14, 7, 15]);
    assert.deepEqual(codes(more.warnings), ['not-isolated']);
    assert.deepEqual(hostCpus(plan(host, { vcpus: 4, pinning: { preferIsolated: false } })), [1, 9, 2, 10]);
  });

  test('spread deals vCPUs over nodes, one per core', () => {
    const numa = buildTopology({ sockets: 2, coresPerL3: 4 });
    const result = plan(numa, { vcpus: 4, pinning: { strategy: 'spread' } });
    assert.deepEqual(hostCpus(result), [1, 5, 2, 6]);
    assert.deepEqual(result.memory.hostNodes, [0, 1]);
    assert.deepEqual(shape(result), [1, 1, 4, 1]);
  });

  test('strategy none leaves vCPUs, emulator and memory unbound', () => {
    const result = plan(buildTopology(), { vcpus: 2, pinning: { strategy: 'none' } });
    assert.deepEqual(hostCpus(result), [null, null]);
    assert.deepEqual(result.emulator, []);
    assert.deepEqual(result.memory.hostNodes, []);
  });
});

describe('host facts', () => {
  const host = buildTopology({ coresPerL3: 8, free1G: 8 });

  test('1G pages need pdpe1gb', () => {
    const without = plan(host, { memory: { size: '4G', backing: 'hugepages-1G' } }, { cpuInfo: x86CpuInfo('intel', ['lm']) });
    assert.deepEqual(codes(without.errors), ['no-pdpe1gb']);
    const withFlag = plan(host, { memory: { size: '4G', backing: 'hugepages-1G' } });
    assert.deepEqual(withFlag.errors, []);
    assert.deepEqual(withFlag.warnings, []);
  });

  test('AMD: +topoext exactly when guest threads > 1, never twice, and a -topoext is respected', () => {
    const amd = x86CpuInfo('amd');
    assert.deepEqual(plan(host, { vcpus: 4 }, { cpuInfo: amd }).spec.cpu.features, ['+topoext']);
    assert.deepEqual(plan(host, { vcpus: 3 }, { cpuInfo: amd }).spec.cpu.features, []);
    assert.deepEqual(plan(host, { vcpus: 4 }).spec.cpu.features, []);
    assert.deepEqual(plan(host, { vcpus: 4, cpu: { features: ['+topoext'] } }, { cpuInfo: amd }).spec.cpu.features, ['+topoext']);
    const spec = parseVmSpec({ vcpus: 4, cpu: { features: ['-topoext'] } }, 'test');
    assert.deepEqual(planVm({ topology: host, cpuInfo: amd, spec }).spec.cpu.features, ['-topoext']);
    // The planner works on a copy: the caller's spec is untouched.
    const mine = parseVmSpec({ vcpus: 4 }, 'test');
    planVm({ topology: host, cpuInfo: amd, spec: mine });
    assert.deepEqual(mine.cpu.features, []);
    assert.equal(mine.vcpus.threads, 1);
  });

  test('a named model of the other vendor is warned', () => {
    const result = plan(host, { cpu: 'EPYC' });
    // An AMD model on this Intel host is not shown SMT (its KVM reports no topoext; see
    // guestSeesSmt): one thread per guest core, and the vCPUs on sibling pairs are said to compete unseen.
    assert.deepEqual(codes(result.warnings), ['cpu-model-vendor', 'smt-hidden']);
    assert.equal(result.spec.vcpus.threads, 1);
    assert.ok(!result.spec.cpu.features.includes('+topoext'));
  });

  test('KVM on a non-x86 host is refused; TCG is fine', () => {
    const arm: CpuInfo = { vendor: 'other', vendorId: null, modelName: null, flags: new Set(['fp', 'asimd']), readable: true, reason: null };
    assert.deepEqual(codes(plan(host, {}, { cpuInfo: arm }).errors), ['kvm-arch-mismatch']);
    assert.deepEqual(plan(host, { accel: 'tcg' }, { cpuInfo: arm }).errors, []);
  });
});

describe('manual maps', () => {
  const host = buildTopology({ coresPerL3: 4, offline: [3] }); // CPUs 0-7, 3 offline

  test('are followed; whole host cores become guest cores', () => {
    const result = plan(host, { vcpus: 2, pinning: { map: [1, 5] } });
    assert.deepEqual(hostCpus(result), [1, 5]);
    assert.deepEqual(shape(result), [1, 1, 1, 2]);
  });

  test('unknown, offline, held and duplicated CPUs are typed errors naming the entry', () => {
    assert.deepEqual(plan(host, { vcpus: 2, pinning: { map: [1, 99] } }).errors, [
      { code: 'unknown-cpu', message: 'pinning.map[1]: host CPU 99 does not exist (host CPUs: 0-7)' },
    ]);
    assert.deepEqual(plan(host, { vcpus: 2, pinning: { map: [3, 1] } }).errors, [
      { code: 'offline-cpu', message: 'pinning.map[0]: host CPU 3 is offline' },
    ]);
    assert.deepEqual(codes(plan(host, { vcpus: 2, pinning: { map: [1, 2] } }, { taken: new Map([[2, 'x']]) }).errors), ['cpu-taken']);
    assert.deepEqual(codes(plan(host, { vcpus: 2, pinning: { map: [1, 1] } }).errors), ['duplicate-cpu']);
    const shared = plan(host, { vcpus: 2, pinning: { map: [1, 1], requireDedicated: false } });
    assert.deepEqual(codes(shared.warnings), ['overcommit']);
  });

  test('a map on housekeeping CPUs is allowed and warned', () => {
    const result = plan(host, { vcpus: 2, pinning: { map: [0, 1] } });
    assert.deepEqual(codes(result.warnings), ['housekeeping-used', 'sibling-shared']);
  });
});

describe('guest NUMA, emulator and iothreads', () => {
  const numa = buildTopology({ sockets: 2, coresPerL3: 4 });

  test('numa-guest: each guest node on its own host node, one guest socket each', () => {
    const result = plan(numa, { vcpus: 4, memory: '8G', numa: { nodes: 2 } });
    assert.deepEqual(hostCpus(result), [1, 9, 5, 13]);
    assert.deepEqual(result.memory.guestNodes.map((node) => node.hostNodes), [[0], [1]]);
    assert.deepEqual(result.memory.guestNodes.map((node) => node.memMiB), [4096, 4096]);
    assert.deepEqual(shape(result), [2, 1, 1, 2]);
    assert.deepEqual(result.vcpus.map((vcpu) => vcpu.guestNode), [0, 0, 1, 1]);
    assert.deepEqual(result.warnings, []);
  });

  test('explicit host nodes for guest nodes', () => {
    const result = plan(numa, { vcpus: 4, memory: '8G', numa: [{ vcpus: '0-1', memory: '4G', hostNode: 1 }, { vcpus: [2, 3], memory: '4G', hostNode: 0 }] });
    assert.deepEqual(result.memory.guestNodes.map((node) => node.hostNodes), [[1], [0]]);
    assert.deepEqual(codes(plan(numa, { vcpus: 2, numa: [{ vcpus: [0, 1], memory: '2G', hostNode: 7 }] }).errors), ['unknown-node']);
  });

  test('dedicated emulator and iothreads stay off the vCPUs\' cores; disks map to iothreads', () => {
    const host = buildTopology({ coresPerL3: 8 });
    const result = plan(host, {
      vcpus: 4,
      disks: [{ path: 'a.qcow2', iothread: true }, { path: 'b.raw' }, { path: 'c.raw', iothread: true }],
      emulator: { placement: 'dedicated' },
      iothreads: { placement: 'dedicated' },
    });
    assert.deepEqual(hostCpus(result), [1, 9, 2, 10]);
    assert.deepEqual(result.emulator, [3]);
    assert.deepEqual(result.iothreads, [
      { id: 'io0', hostCpus: [4], disks: [0] },
      { id: 'io1', hostCpus: [5], disks: [2] },
    ]);
    assert.deepEqual(result.warnings, []);
    const housekept = plan(host, { vcpus: 4, disks: ['a.raw'], diskDefaults: { iothread: true } });
    assert.deepEqual(housekept.iothreads, [{ id: 'io0', hostCpus: [0, 8], disks: [0] }]);
    const withVcpus = plan(host, { vcpus: 4, emulator: { placement: 'with-vcpus' } });
    assert.deepEqual(withVcpus.emulator, [1, 2, 9, 10]);
  });

  test('explicit emulator CPUs are checked', () => {
    const host = buildTopology({ coresPerL3: 4, offline: [6] });
    assert.deepEqual(codes(plan(host, { emulator: { cpus: [6] } }).errors), ['offline-cpu']);
    assert.deepEqual(plan(host, { emulator: { cpus: [0, 4] } }).emulator, [0, 4]);
  });
});

describe('memory that must fit now', () => {
  test('preallocated RAM larger than the node\'s free memory is warned (launch refuses it); without prealloc it is not', () => {
    const topology = buildTopology({ memMiBPerNode: 65536, freeMiBPerNode: 2048 });
    const big = plan(topology, { vcpus: 2, memory: { size: '4G', backing: 'ram', prealloc: true } });
    assert.ok(codes(big.warnings).includes('memory-exceeds-free'), JSON.stringify(big.warnings));
    assert.match(big.warnings.find((warning) => warning.code === 'memory-exceeds-free')!.message, /has 2 GiB free, less than the 4 GiB this VM preallocates/);
    const lazy = plan(topology, { vcpus: 2, memory: { size: '4G', backing: 'ram', prealloc: false } });
    assert.ok(!codes(lazy.warnings).includes('memory-exceeds-free'));
    const fits = plan(topology, { vcpus: 2, memory: { size: '1G', backing: 'ram', prealloc: true } });
    assert.ok(!codes(fits.warnings).includes('memory-exceeds-free'));
    const unknown = plan(buildTopology({}), { vcpus: 2, memory: { size: '4G', backing: 'ram', prealloc: true } });
    assert.ok(!codes(unknown.warnings).includes('memory-exceeds-free'), 'no free figure, no guess');
  });
});
