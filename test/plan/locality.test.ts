/**
 * Issue 10's planner items, on small hosts worked out by hand and on the real captures the review
 * named: guest NUMA nodes by free memory and distance (sub-NUMA halves of a socket paired), helper
 * threads on the VM's node, L3 splits told to the guest as dies, hybrid hosts' housekeeping on an
 * E-core. Every plan also goes through the independent rule checker.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { CpuInfo } from '../../src/host/cpuinfo.js';
import { buildDomainXml } from '../../src/generate/libvirt-xml.js';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology, type Topology } from '../../src/host/topology.js';
import { chooseGuestDies } from '../../src/plan/guest-topology.js';
import { buildHostView } from '../../src/plan/host-view.js';
import { planVm } from '../../src/plan/plan-vm.js';
import type { Plan, VmSpec } from '../../src/spec/types.js';
import { parseVmSpec } from '../../src/spec/vm-spec.js';
import { fixtureRoot } from '../helpers/fixture-root.js';
import { buildTopology, x86CpuInfo } from './_topology-builder.js';
import { checkPlan } from './rule-checker.js';
import { heldCpus } from '../../src/registry/vm-record.js';

const INTEL = x86CpuInfo('intel');

function plan(topology: Topology, specInput: object, options: { cpuInfo?: CpuInfo; taken?: Map<number, string> } = {}): Plan {
  const spec: VmSpec = parseVmSpec({ name: 'vm', ...specInput }, 'test');
  const cpuInfo = options.cpuInfo ?? INTEL;
  const taken = options.taken ?? new Map();
  const result = planVm({ topology, cpuInfo, spec, taken });
  assert.deepEqual(checkPlan({ topology, cpuInfo, spec, taken, plan: result }), [], JSON.stringify({ vcpus: result.vcpus.map((vcpu) => vcpu.hostCpu), warnings: result.warnings }));
  return result;
}
const hostCpus = (result: Plan) => result.vcpus.map((vcpu) => vcpu.hostCpu);
const codes = (result: Plan) => result.warnings.map((warning) => warning.code).sort();
const guestHostNodes = (result: Plan) => result.memory.guestNodes.map((node) => node.hostNodes);
const NUMA_GUEST = { vcpus: 8, memory: '16G', numa: { nodes: 2 }, pinning: { requireDedicated: true } };

/** The same topology with its node table changed (distances, free memory). */
function withNodes(topology: Topology, change: (node: Topology['nodes'][number]) => Partial<Topology['nodes'][number]>): Topology {
  return { ...topology, nodes: topology.nodes.map((node) => ({ ...node, ...change(node) })) };
}

function capture(name: string): Topology {
  return readTopology(new HostFs(fixtureRoot(name)));
}

describe('guest NUMA nodes: free memory, distance, sockets', () => {
  test('the second guest node goes to the nearest node, not the next id', () => {
    // Four sockets, one node each; 0-2 and 1-3 are near (12), every other pair far (30).
    const near = new Map([['0,2', 12], ['2,0', 12], ['1,3', 12], ['3,1', 12]]);
    const host = withNodes(buildTopology({ sockets: 4, coresPerL3: 4 }), (node) => ({
      distances: Object.fromEntries([0, 1, 2, 3].map((other) => [String(other), other === node.id ? 10 : near.get(`${node.id},${other}`) ?? 30])),
    }));
    const result = plan(host, NUMA_GUEST);
    assert.deepEqual(guestHostNodes(result), [[0], [2]]);
    assert.deepEqual(result.warnings, []);
  });

  test('a node is chosen by its free memory, not its size', () => {
    const host = withNodes(buildTopology({ sockets: 2, coresPerL3: 4 }), (node) => ({ freeMiB: node.id === 0 ? 4096 : 60000 }));
    const single = plan(host, { vcpus: 4, memory: '8G' });
    assert.deepEqual(single.memory.hostNodes, [1]);
    assert.deepEqual(single.warnings, []);
    // Free pages of the asked size, likewise: node 1's pool holds the VM, node 0's does not.
    const pages = withNodes(buildTopology({ sockets: 2, coresPerL3: 4 }), (node) => ({ hugepages: { '2048': { total: 4096, free: node.id === 1 ? 4096 : 10 } } }));
    assert.deepEqual(plan(pages, { vcpus: 4, memory: { size: '8G', backing: 'hugepages-2M' } }).memory.hostNodes, [1]);
  });

  test('free memory comes before the guest SMT layout: one vCPU per core on the node that fits', () => {
    // Node 0 (cores 0-3 = CPUs k, k+8; core 0 housekeeping) fits the memory, but another VM
    // holds the second threads of cores 2 and 3, so it has one whole free core; node 1 has four
    // whole cores but no free memory.
    const host = withNodes(buildTopology({ sockets: 2, coresPerL3: 4 }), (node) => ({ freeMiB: node.id === 0 ? 60000 : 1024 }));
    const result = plan(host, { vcpus: 4, memory: '8G' }, { taken: new Map([[10, 'a'], [11, 'a']]) });
    assert.deepEqual(result.memory.hostNodes, [0]);
    assert.equal(result.spec.vcpus.threads, 1);
    assert.ok(!codes(result).includes('memory-not-free'));
  });

  test('sub-NUMA: with a flat distance table the two nodes of one socket are paired', () => {
    // Two sockets of two nodes; node 0 has too little free memory.
    const host = withNodes(buildTopology({ sockets: 2, nodesPerSocket: 2, coresPerL3: 4 }), (node) => ({ freeMiB: node.id === 0 ? 1024 : 60000 }));
    assert.deepEqual(guestHostNodes(plan(host, NUMA_GUEST)), [[2], [3]]);
  });

  test('Magny-Cours: 8 GiB per guest node on the 16 GiB nodes at distance 16, not on node 2 (7.6 GiB free, distance 22)', () => {
    const result = plan(capture('hwloc-48amd64-4pa2n6c-sparse'), { ...NUMA_GUEST, accel: 'tcg' }, { cpuInfo: x86CpuInfo('amd') });
    assert.deepEqual(guestHostNodes(result), [[1], [33]]);
    assert.deepEqual(codes(result), []);
    // Housekeeping is CPU 0 (node 0) and 12 (node 2): the emulator gets a free core of node 1.
    assert.deepEqual(result.emulator, [10]);
  });

  test('Magny-Cours with 2M huge pages none of its nodes has reserved: the nodes where they could be reserved (free RAM), not node 2', () => {
    const result = plan(capture('hwloc-48amd64-4pa2n6c-sparse'), { ...NUMA_GUEST, accel: 'tcg', memory: { size: '16G', backing: 'hugepages-2M' } }, { cpuInfo: x86CpuInfo('amd') });
    assert.deepEqual(guestHostNodes(result), [[1], [33]]);
    assert.ok(codes(result).includes('hugepages-missing'), codes(result).join(' '));
  });

  test('sub-NUMA Xeon: the guest nodes go to the two halves of socket 0 (distance 11), not to socket 1', () => {
    const result = plan(capture('hwloc-memorysidecaches'), { ...NUMA_GUEST, accel: 'tcg' });
    assert.deepEqual(guestHostNodes(result), [[0], [2]]);
  });
});

describe('helper threads on the VM\'s node', () => {
  // One socket, two nodes: node 0 = cores 0-3 (CPUs 0-3, 8-11), node 1 = cores 4-7 (4-7, 12-15).
  // Housekeeping is per socket: core 0 (CPUs 0 and 8), on node 0.
  const host = buildTopology({ nodesPerSocket: 2, coresPerL3: 4 });
  const disk = { disks: [{ path: 'a.raw', iothread: true }] };

  test('a VM on node 1 gets its emulator and iothread on a free core of node 1', () => {
    const result = plan(host, { vcpus: 4, pinning: { hostNode: 1 }, ...disk });
    assert.deepEqual(hostCpus(result), [4, 12, 5, 13]);
    assert.deepEqual(result.emulator, [6, 14]);
    assert.deepEqual(result.iothreads.map((thread) => thread.hostCpus), [[6, 14]]);
    assert.deepEqual(result.warnings, []);
  });

  test('a dedicated iothread stays off that core', () => {
    const result = plan(host, { vcpus: 4, pinning: { hostNode: 1 }, ...disk, iothreads: { placement: 'dedicated' } });
    assert.deepEqual(result.emulator, [6, 14]);
    assert.deepEqual(result.iothreads.map((thread) => thread.hostCpus), [[7]]);
  });

  test('with node 1 full, the helpers stay on the housekeeping core and the plan says what to do', () => {
    const result = plan(host, { vcpus: 4, pinning: { hostNode: 1 }, ...disk }, { taken: new Map([[7, 'a'], [15, 'a'], [4, 'b'], [12, 'b']]) });
    assert.deepEqual(result.emulator, [0, 8]);
    assert.deepEqual(codes(result), ['helper-remote', 'helper-remote']);
    assert.match(result.warnings[0]!.message, /^emulator runs on CPUs 0,8 \(node 0\), away from node 1 where the vCPUs and memory are, because no CPU of node 1 is free off the vCPUs' cores; leave one core there free/);
  });

  test('emulator CPUs the spec lists on another package are warned', () => {
    const twoSockets = buildTopology({ sockets: 2, coresPerL3: 4 });
    const result = plan(twoSockets, { vcpus: 2, pinning: { hostNode: 1 }, emulator: { cpus: [1] } });
    assert.deepEqual(codes(result), ['helper-remote']);
    assert.match(result.warnings[0]!.message, /\(node 0, another package\).*as emulator.cpus lists; list CPUs of node 1/);
  });
});

describe('guest dies from the L3 split', () => {
  const view = buildHostView(buildTopology({ l3PerNode: 2, coresPerL3: 4 })); // L3 0: 0-3, 8-11; L3 1: 4-7, 12-15

  test('equal consecutive runs, one per L3 group, become dies; anything else is one die', () => {
    assert.equal(chooseGuestDies(view, [1, 9, 2, 10, 4, 12, 5, 13], 1, 2), 2);
    assert.equal(chooseGuestDies(view, [1, 2, 3, 9, 4, 5], 1, 1), 1, '4 + 2');
    assert.equal(chooseGuestDies(view, [1, 4, 2, 5], 1, 1), 1, 'interleaved');
    assert.equal(chooseGuestDies(view, [1, 9, 2, 4, 12, 5], 1, 2), 1, 'runs of 3 vCPUs cut through guest cores of 2 threads');
    assert.equal(chooseGuestDies(view, [1, 2, 4, 5], 2, 1), 1, 'one L3 per guest socket: one die each');
    assert.equal(chooseGuestDies(view, [1, 4, 2, 3], 2, 1), 1, 'L3 0 in both guest sockets');
    const twoSockets = buildHostView(buildTopology({ sockets: 2, l3PerNode: 2, coresPerL3: 2, threads: 1 })); // L3 k = CPUs 2k, 2k+1
    assert.equal(chooseGuestDies(twoSockets, [0, 1, 2, 3, 4, 5, 6, 7], 2, 1), 2, 'two sockets of two dies');
    assert.equal(chooseGuestDies(twoSockets, [0, 1, 2, 3, 4, 6, 5, 7], 2, 1), 1, 'the second socket interleaved');
  });
});

describe('hybrid hosts (Raptor Lake: P-cores 0-11 with SMT, E-cores 12-19)', () => {
  // The capture has no PMU or frequency files, so kvm-tui sees no kinds there; hwloc's own
  // expected output names them, and that is what a live host shows.
  const root = fixtureRoot('hwloc-20em64t-hybrid-1p6c2t+2ca4co1t');
  const expected = JSON.parse(fs.readFileSync(path.join(root, 'expected.json'), 'utf8')) as { cpukinds: Array<{ efficiency: number; cpus: number[] }> };
  const base = readTopology(new HostFs(root));
  const kinds = expected.cpukinds.map((kind) => ({ label: kind.efficiency === 0 ? 'efficiency' : 'performance', source: 'hwloc', value: String(kind.efficiency), rank: kind.efficiency, cpus: kind.cpus }));
  const kindOf = new Map(kinds.flatMap((kind, index) => kind.cpus.map((cpu) => [cpu, index] as [number, number])));
  const hybrid: Topology = { ...base, cpuKinds: kinds, cpus: base.cpus.map((cpu) => ({ ...cpu, kind: kindOf.get(cpu.cpu) ?? null })) };

  test('housekeeping on an E-core; the VM on whole P-cores with their siblings', () => {
    const result = plan(hybrid, { vcpus: 4 });
    assert.deepEqual(result.host.housekeeping, [12]);
    assert.deepEqual(hostCpus(result), [0, 1, 2, 3]);
    assert.equal(result.spec.vcpus.threads, 2);
    assert.deepEqual(result.emulator, [12]);
    assert.deepEqual(result.warnings, []);
  });

  test('a VM that fits in the P-cores stays there rather than mixing in E-cores', () => {
    const result = plan(hybrid, { vcpus: 7 });
    assert.ok(hostCpus(result).every((cpu) => cpu! < 12), String(hostCpus(result)));
    assert.ok(!codes(result).includes('mixed-cpu-kinds'));
    const big = plan(hybrid, { vcpus: 14 });
    assert.ok(codes(big).includes('mixed-cpu-kinds'));
  });
});

describe('memory not preallocated', () => {
  test('RAM larger than the node\'s free memory is warned (memory-not-free), without blocking launch', () => {
    const topology = buildTopology({ memMiBPerNode: 65536, freeMiBPerNode: 2048 });
    const result = plan(topology, { vcpus: 2, memory: { size: '4G', backing: 'ram', prealloc: false } });
    assert.deepEqual(codes(result), ['memory-not-free']);
    assert.match(result.warnings[0]!.message, /^node 0 has 2 GiB free now, less than the 4 GiB bound there: .*free memory on that node or give the VM less$/);
  });
});

describe('dies reach the command line and the XML', () => {
  test('a 3 + 3 split over two L3 groups: -smp dies=2 and <topology dies="2">', () => {
    const result = plan(buildTopology({ l3PerNode: 2, coresPerL3: 4 }), { vcpus: 12, accel: 'tcg', memory: '1G', network: 'none' });
    const argv = buildQemuArgs(result, { runDir: '/run/kvm-tui/vm' });
    // TCG: no SMT is shown to the guest (guestSeesSmt), so each die holds six one-thread cores.
    assert.equal(argv[argv.indexOf('-smp') + 1], '12,sockets=1,dies=2,cores=6,threads=1,maxcpus=12');
    assert.match(buildDomainXml(result), /<topology sockets="1" dies="2" cores="6" threads="1"\/>/);
  });
});

describe('siblings held idle (low-latency: one vCPU per physical core)', () => {
  // 1 socket, 1 node, 1 L3 of 4 cores x 2 threads; housekeeping takes one core.
  const smtHost = () => buildTopology({ coresPerL3: 4, threads: 2 });
  const IDLE = { vcpus: 2, memory: '1G', network: 'none', pinning: { siblings: 'idle' }, iothreads: { placement: 'dedicated' }, disks: ['/tmp/d.qcow2'] };

  test('each vCPU alone on a whole core, its sibling held idle and given to no helper; the guest sees one thread per core', () => {
    const result = plan(smtHost(), IDLE);
    const view = buildHostView(smtHost());
    const cores = hostCpus(result).map((cpu) => view.coreKeyOf.get(cpu!));
    assert.equal(new Set(cores).size, 2, 'two different cores');
    const idle = cores.flatMap((core) => core!.split(',').map(Number)).filter((cpu) => !hostCpus(result).includes(cpu)).sort((a, b) => a - b);
    assert.deepEqual(result.idleSiblings, idle);
    assert.equal(result.spec.vcpus.threads, 1);
    for (const cpu of result.iothreads.flatMap((iothread) => iothread.hostCpus)) assert.ok(!idle.includes(cpu), `iothread on idle sibling ${cpu}`);
    assert.ok(!codes(result).includes('siblings-not-idle'));
  });

  test('a running VM holds its idle siblings: the next VM is not put there', () => {
    const first = plan(smtHost(), { ...IDLE, iothreads: { placement: 'housekeeping' }, disks: [] });
    const record = { name: 'first', plan: first } as unknown as Parameters<typeof heldCpus>[0];
    const taken = heldCpus(record);
    for (const cpu of first.idleSiblings!) assert.equal(taken.get(cpu), 'first');
    const second = plan(smtHost(), { vcpus: 2, memory: '1G', network: 'none', pinning: { requireDedicated: false } }, { taken });
    for (const cpu of hostCpus(second)) assert.ok(!first.idleSiblings!.includes(cpu!) && !hostCpus(first).includes(cpu), `second VM on ${cpu}`);
  });

  test('too few whole free cores: placed with siblings shared, and said so', () => {
    const result = plan(smtHost(), { ...IDLE, vcpus: 4, iothreads: { placement: 'housekeeping' }, disks: [] });
    assert.ok(codes(result).includes('siblings-not-idle'));
    assert.match(result.warnings.find((warning) => warning.code === 'siblings-not-idle')!.message, /3 whole free physical cores .* for 4 vCPUs/);
    assert.equal(result.idleSiblings, undefined);
  });
});
