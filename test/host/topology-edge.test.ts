/**
 * readTopology on small hand-made host roots, one oddity each. Every root is written to a temp
 * dir as real files, because the reader's only door is HostFs over a directory tree.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology, TopologyError } from '../../src/host/topology.js';
import { scratchDir } from '../helpers/fixture-root.js';

type Tree = Record<string, string>;

function writeRoot(label: string, tree: Tree): string {
  const root = scratchDir(label);
  for (const [file, content] of Object.entries(tree)) {
    const target = path.join(root, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
  return root;
}

const CPU = 'sys/devices/system/cpu';
const NODE = 'sys/devices/system/node';

/** Topology files of one online CPU (single thread unless siblings given). */
function cpuFiles(cpu: number, opts: { pkg?: string; core?: number; siblings?: string; l3?: string; l3Id?: number } = {}): Tree {
  const base = `${CPU}/cpu${cpu}`;
  const tree: Tree = {
    [`${base}/topology/physical_package_id`]: `${opts.pkg ?? '0'}\n`,
    [`${base}/topology/core_id`]: `${opts.core ?? cpu}\n`,
    [`${base}/topology/thread_siblings_list`]: `${opts.siblings ?? cpu}\n`,
  };
  if (opts.l3 !== undefined) {
    tree[`${base}/cache/index3/level`] = '3\n';
    tree[`${base}/cache/index3/type`] = 'Unified\n';
    tree[`${base}/cache/index3/shared_cpu_list`] = `${opts.l3}\n`;
    if (opts.l3Id !== undefined) tree[`${base}/cache/index3/id`] = `${opts.l3Id}\n`;
  }
  return tree;
}

function nodeFiles(id: number, cpulist: string, memKiB: number, distance: string): Tree {
  return {
    [`${NODE}/node${id}/cpulist`]: `${cpulist}\n`,
    [`${NODE}/node${id}/meminfo`]: `Node ${id} MemTotal:       ${memKiB} kB\nNode ${id} MemFree:        1024 kB\n`,
    [`${NODE}/node${id}/distance`]: `${distance}\n`,
  };
}

function read(root: string) {
  return readTopology(new HostFs(root));
}

describe('readTopology edge cases', () => {
  test('no cpu/online file: cpuN/online decides, and a cpuN without one (cpu0 usually) is online', () => {
    const root = writeRoot('no-online', {
      ...cpuFiles(0),
      ...cpuFiles(1),
      [`${CPU}/cpu1/online`]: '1\n',
      [`${CPU}/cpu2/online`]: '0\n',
      ...nodeFiles(0, '0-2', 4 * 1024 * 1024, '10'),
    });
    const topology = read(root);
    assert.deepEqual(topology.online, [0, 1]);
    assert.equal(topology.cpus.find((entry) => entry.cpu === 2)?.online, false);
    assert.deepEqual(topology.nodes[0]!.cpus, [0, 1]);
  });

  test('stale *_list files naming an offline CPU are intersected with the online set', () => {
    // cpu3 is offline, but the lists (written before it went down, or hand-edited captures)
    // still name it: siblings, node and L3 must not offer it for pinning.
    const root = writeRoot('stale-lists', {
      [`${CPU}/online`]: '0-2\n',
      [`${CPU}/present`]: '0-3\n',
      [`${CPU}/cpu3/online`]: '0\n',
      ...cpuFiles(0, { core: 0, siblings: '0,3', l3: '0-3' }),
      ...cpuFiles(1, { core: 1, siblings: '1,2', l3: '0-3' }),
      ...cpuFiles(2, { core: 1, siblings: '1-2', l3: '0-3' }),
      ...nodeFiles(0, '0-3', 1024 * 1024, '10'),
    });
    const topology = read(root);
    assert.deepEqual(topology.online, [0, 1, 2]);
    const byCpu = new Map(topology.cpus.map((entry) => [entry.cpu, entry]));
    assert.deepEqual(byCpu.get(0)!.siblings, [0]);
    assert.deepEqual(byCpu.get(1)!.siblings, [1, 2]);
    assert.deepEqual(topology.nodes[0]!.cpus, [0, 1, 2]);
    assert.deepEqual(topology.l3Groups.map((group) => group.cpus), [[0, 1, 2]]);
    assert.equal(byCpu.get(3)!.online, false);
    assert.equal(byCpu.get(3)!.l3, null);
  });

  test('package id -1 (POWER, some VMs) becomes socket null, not a package numbered -1', () => {
    const root = writeRoot('pkg-minus-one', {
      [`${CPU}/online`]: '0-1\n',
      ...cpuFiles(0, { pkg: '-1', siblings: '0-1' }),
      ...cpuFiles(1, { pkg: '-1', core: 0, siblings: '0-1' }),
      ...nodeFiles(0, '0-1', 1024 * 1024, '10'),
    });
    const topology = read(root);
    assert.deepEqual(topology.cpus.map((entry) => entry.socket), [null, null]);
    assert.deepEqual(topology.cpus[0]!.siblings, [0, 1]);
  });

  test('garbage in a cpulist is noted with its file, not thrown; the reader falls back', () => {
    const root = writeRoot('garbage', {
      [`${CPU}/online`]: '0-1\n',
      ...cpuFiles(0, { siblings: '0,zz' }),
      ...cpuFiles(1),
      // The mask twin is the fallback for a broken list (old kernels had masks only).
      [`${CPU}/cpu0/topology/thread_siblings`]: '00000001\n',
      [`${CPU}/cpu1/topology/thread_siblings_list`]: 'nonsense\n',
      ...nodeFiles(0, '0-1', 1024 * 1024, '10'),
    });
    const topology = read(root);
    assert.deepEqual(topology.online, [0, 1]);
    assert.deepEqual(topology.cpus.map((entry) => entry.siblings), [[0], [1]]);
    assert.ok(
      topology.notes.some((note) => note.includes('cpu0/topology/thread_siblings_list') && note.includes('"zz"')),
      topology.notes.join('\n'),
    );
    assert.ok(topology.notes.some((note) => note.includes('cpu1/topology/thread_siblings_list')), topology.notes.join('\n'));
  });

  test('garbage in cpu/online: noted, and the per-CPU online files decide instead', () => {
    const root = writeRoot('garbage-online', {
      [`${CPU}/online`]: '0-1,what\n',
      ...cpuFiles(0),
      ...cpuFiles(1),
      [`${CPU}/cpu1/online`]: '0\n',
      ...nodeFiles(0, '0-1', 1024 * 1024, '10'),
    });
    const topology = read(root);
    assert.deepEqual(topology.online, [0]);
    assert.ok(topology.notes.some((note) => note.includes('/sys/devices/system/cpu/online')), topology.notes.join('\n'));
  });

  test('an offline CPU with no topology dir is listed with online=false and null fields', () => {
    const root = writeRoot('offline-no-topology', {
      [`${CPU}/online`]: '0\n',
      ...cpuFiles(0),
      [`${CPU}/cpu1/online`]: '0\n',
      ...nodeFiles(0, '0', 1024 * 1024, '10'),
    });
    const topology = read(root);
    assert.deepEqual(topology.cpus[1], {
      cpu: 1, online: false, socket: null, die: null, cluster: null, core: null, node: null,
      l3: null, siblings: [], kind: null, isolated: false, nohzFull: false,
    });
  });

  test('isolated and nohz_full lists mark CPUs; an offline CPU named there is dropped', () => {
    const root = writeRoot('isolated', {
      [`${CPU}/online`]: '0-3\n',
      [`${CPU}/isolated`]: '2-3,7\n',
      [`${CPU}/nohz_full`]: '3\n',
      ...cpuFiles(0), ...cpuFiles(1), ...cpuFiles(2), ...cpuFiles(3),
      ...nodeFiles(0, '0-3', 1024 * 1024, '10'),
    });
    const topology = read(root);
    assert.deepEqual(topology.isolated, [2, 3]);
    assert.deepEqual(topology.nohzFull, [3]);
    assert.deepEqual(topology.cpus.map((entry) => [entry.isolated, entry.nohzFull]), [
      [false, false], [false, false], [true, false], [true, true],
    ]);
  });

  test('empty isolated/nohz_full files (the usual case) mean none', () => {
    const root = writeRoot('not-isolated', {
      [`${CPU}/online`]: '0\n',
      [`${CPU}/isolated`]: '\n',
      [`${CPU}/nohz_full`]: '(null)\n',
      ...cpuFiles(0),
      ...nodeFiles(0, '0', 1024 * 1024, '10'),
    });
    const topology = read(root);
    assert.deepEqual([topology.isolated, topology.nohzFull, topology.notes], [[], [], []]);
  });

  test('per-node hugepage pools of 2 sizes, each with total and free', () => {
    const pool = (node: number, sizeKiB: number, total: number, free: number): Tree => ({
      [`${NODE}/node${node}/hugepages/hugepages-${sizeKiB}kB/nr_hugepages`]: `${total}\n`,
      [`${NODE}/node${node}/hugepages/hugepages-${sizeKiB}kB/free_hugepages`]: `${free}\n`,
      [`${NODE}/node${node}/hugepages/hugepages-${sizeKiB}kB/surplus_hugepages`]: '0\n',
    });
    const root = writeRoot('hugepages', {
      [`${CPU}/online`]: '0-1\n',
      ...cpuFiles(0), ...cpuFiles(1),
      ...nodeFiles(0, '0', 8 * 1024 * 1024, '10 21'),
      ...nodeFiles(1, '1', 8 * 1024 * 1024, '21 10'),
      ...pool(0, 2048, 512, 500),
      ...pool(0, 1048576, 4, 2),
      ...pool(1, 2048, 0, 0),
      ...pool(1, 1048576, 8, 8),
    });
    const topology = read(root);
    assert.deepEqual(topology.nodes.map((node) => node.hugepages), [
      { '2048': { total: 512, free: 500 }, '1048576': { total: 4, free: 2 } },
      { '2048': { total: 0, free: 0 }, '1048576': { total: 8, free: 8 } },
    ]);
    assert.deepEqual(topology.nodes.map((node) => node.memMiB), [8192, 8192]);
    assert.deepEqual(topology.nodes[1]!.distances, { '0': 21, '1': 10 });
  });

  test('a node without CPUs (memory only, e.g. CXL or HBM) is kept with an empty CPU list', () => {
    const root = writeRoot('cpuless-node', {
      [`${CPU}/online`]: '0-1\n',
      ...cpuFiles(0), ...cpuFiles(1),
      ...nodeFiles(0, '0-1', 16 * 1024 * 1024, '10 20'),
      ...nodeFiles(3, '', 64 * 1024 * 1024, '20 10'),
    });
    const topology = read(root);
    assert.deepEqual(topology.nodes.map((node) => [node.id, node.cpus, node.memMiB]), [
      [0, [0, 1], 16384],
      [3, [], 65536],
    ]);
    // Sparse ids: distances are keyed by node id, not by position.
    assert.deepEqual(topology.nodes[1]!.distances, { '0': 20, '3': 10 });
    assert.ok(topology.cpus.every((entry) => entry.node === 0));
  });

  test('no node dir at all (kernel without NUMA): one node 0 with every CPU and /proc/meminfo memory', () => {
    const root = writeRoot('no-numa', {
      [`${CPU}/online`]: '0-1\n',
      ...cpuFiles(0), ...cpuFiles(1),
      'proc/meminfo': 'MemTotal:        2097152 kB\nMemFree:          1048576 kB\n',
      'sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages': '16\n',
      'sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages': '10\n',
    });
    const topology = read(root);
    assert.equal(topology.nodes.length, 1);
    assert.deepEqual(topology.nodes[0], {
      id: 0, cpus: [0, 1], memMiB: 2048, freeMiB: 1024, distances: { '0': 10 },
      hugepages: { '2048': { total: 16, free: 10 } },
    });
    assert.deepEqual(topology.cpus.map((entry) => entry.node), [0, 0]);
  });

  test('a distance file with the wrong number of entries is noted and ignored, not misassigned', () => {
    const root = writeRoot('bad-distance', {
      [`${CPU}/online`]: '0\n',
      ...cpuFiles(0),
      ...nodeFiles(1, '0', 1024 * 1024, '21 10'),
    });
    const topology = read(root);
    assert.deepEqual(topology.nodes[0]!.distances, {});
    assert.ok(topology.notes.some((note) => note.includes('node1/distance')), topology.notes.join('\n'));
  });

  test('core_cpus_list (newer kernels) is preferred over thread_siblings_list', () => {
    const root = writeRoot('core-cpus', {
      [`${CPU}/online`]: '0-1\n',
      ...cpuFiles(0, { siblings: '0' }),
      ...cpuFiles(1, { core: 0, siblings: '1' }),
      [`${CPU}/cpu0/topology/core_cpus_list`]: '0-1\n',
      [`${CPU}/cpu1/topology/core_cpus_list`]: '0-1\n',
      ...nodeFiles(0, '0-1', 1024 * 1024, '10'),
    });
    assert.deepEqual(read(root).cpus.map((entry) => entry.siblings), [[0, 1], [0, 1]]);
  });

  test('L3 groups are keyed by who shares the cache; the kernel cache id only labels them', () => {
    // Two L3 instances that reuse id 0 (ids are only unique per package on some kernels).
    const root = writeRoot('l3-ids', {
      [`${CPU}/online`]: '0-3\n',
      ...cpuFiles(0, { pkg: '0', l3: '0-1', l3Id: 0 }),
      ...cpuFiles(1, { pkg: '0', l3: '0-1', l3Id: 0 }),
      ...cpuFiles(2, { pkg: '1', core: 0, l3: '2-3', l3Id: 0 }),
      ...cpuFiles(3, { pkg: '1', core: 1, l3: '2-3', l3Id: 0 }),
      ...nodeFiles(0, '0-3', 1024 * 1024, '10'),
    });
    const topology = read(root);
    assert.deepEqual(topology.l3Groups, [
      { index: 0, cacheId: 0, cpus: [0, 1] },
      { index: 1, cacheId: 0, cpus: [2, 3] },
    ]);
    assert.deepEqual(topology.cpus.map((entry) => entry.l3), [0, 0, 1, 1]);
  });

  test('L3 without a shared CPU list: grouped by cache id within each package', () => {
    const l3IdOnly = (cpu: number, pkg: string, id: number): Tree => ({
      ...cpuFiles(cpu, { pkg, core: cpu }),
      [`${CPU}/cpu${cpu}/cache/index3/level`]: '3\n',
      [`${CPU}/cpu${cpu}/cache/index3/id`]: `${id}\n`,
    });
    const root = writeRoot('l3-id-only', {
      [`${CPU}/online`]: '0-3\n',
      ...l3IdOnly(0, '0', 0), ...l3IdOnly(1, '0', 0), ...l3IdOnly(2, '1', 0), ...l3IdOnly(3, '1', 0),
      ...nodeFiles(0, '0-3', 1024 * 1024, '10'),
    });
    assert.deepEqual(read(root).l3Groups.map((group) => group.cpus), [[0, 1], [2, 3]]);
  });

  test('no cache files: every CPU has l3 null (unknown), and there are no L3 groups', () => {
    const root = writeRoot('no-cache', {
      [`${CPU}/online`]: '0-1\n',
      ...cpuFiles(0), ...cpuFiles(1),
      ...nodeFiles(0, '0-1', 1024 * 1024, '10'),
    });
    const topology = read(root);
    assert.deepEqual(topology.l3Groups, []);
    assert.deepEqual(topology.cpus.map((entry) => entry.l3), [null, null]);
  });

  test('Intel hybrid: cpu_core/cpu_atom PMU lists split P- from E-cores, slowest kind first', () => {
    const root = writeRoot('intel-hybrid', {
      [`${CPU}/online`]: '0-3\n',
      ...cpuFiles(0, { core: 0, siblings: '0-1' }), ...cpuFiles(1, { core: 0, siblings: '0-1' }),
      ...cpuFiles(2, { core: 8 }), ...cpuFiles(3, { core: 9 }),
      'sys/devices/cpu_core/cpus': '0-1\n',
      'sys/devices/cpu_atom/cpus': '2-3\n',
      ...nodeFiles(0, '0-3', 1024 * 1024, '10'),
    });
    const topology = read(root);
    assert.deepEqual(
      topology.cpuKinds.map((kind) => [kind.label, kind.value, kind.rank, kind.cpus]),
      [['efficiency', 'cpu_atom', 0, [2, 3]], ['performance', 'cpu_core', 1, [0, 1]]],
    );
    assert.deepEqual(topology.cpus.map((entry) => entry.kind), [1, 1, 0, 0]);
  });

  test('Arm big.LITTLE: cpu_capacity values rank the kinds; equal capacity everywhere means not hybrid', () => {
    const capacity = (values: string[]): Tree =>
      Object.fromEntries(values.map((value, cpu) => [`${CPU}/cpu${cpu}/cpu_capacity`, `${value}\n`]));
    const base = {
      [`${CPU}/online`]: '0-3\n',
      ...cpuFiles(0), ...cpuFiles(1), ...cpuFiles(2), ...cpuFiles(3),
      ...nodeFiles(0, '0-3', 1024 * 1024, '10'),
    };
    const hybrid = read(writeRoot('capacity', { ...base, ...capacity(['1024', '446', '1024', '446']) }));
    // Numeric order, not string order ("1024" < "446" as strings).
    assert.deepEqual(
      hybrid.cpuKinds.map((kind) => [kind.label, kind.source, kind.value, kind.cpus]),
      [['efficiency', 'cpu_capacity', '446', [1, 3]], ['performance', 'cpu_capacity', '1024', [0, 2]]],
    );
    const uniform = read(writeRoot('capacity-uniform', { ...base, ...capacity(['1024', '1024', '1024', '1024']) }));
    assert.deepEqual(uniform.cpuKinds, []);
  });

  test('max frequency splits kinds only when it differs by 10% or more (Turbo Boost Max 3.0 is not hybrid)', () => {
    const maxFreqKHz = (values: number[]): Tree =>
      Object.fromEntries(values.map((value, cpu) => [`${CPU}/cpu${cpu}/cpufreq/cpuinfo_max_freq`, `${value}\n`]));
    const base = {
      [`${CPU}/online`]: '0-3\n',
      ...cpuFiles(0), ...cpuFiles(1), ...cpuFiles(2), ...cpuFiles(3),
      ...nodeFiles(0, '0-3', 1024 * 1024, '10'),
    };
    // Two favoured cores at 4.5 GHz, the rest at 4.3 GHz: one kind of core, so no kinds at all.
    const favoured = read(writeRoot('turbo-max-3', { ...base, ...maxFreqKHz([4_500_000, 4_300_000, 4_300_000, 4_500_000]) }));
    assert.deepEqual(favoured.cpuKinds, []);
    // P-cores at 5.0 GHz and E-cores at 3.9 GHz (Raptor Lake without the PMU dirs): two kinds.
    const hybrid = read(writeRoot('pe-freq', { ...base, ...maxFreqKHz([5_000_000, 5_000_000, 3_900_000, 3_900_000]) }));
    assert.deepEqual(
      hybrid.cpuKinds.map((kind) => [kind.label, kind.source, kind.cpus]),
      [['efficiency', 'max frequency', [2, 3]], ['performance', 'max frequency', [0, 1]]],
    );
  });

  test('a root without any cpuN dir throws TopologyError (the CLI turns it into exit 2)', () => {
    const root = writeRoot('no-cpus', { [`${CPU}/online`]: '\n' });
    assert.throws(() => read(root), TopologyError);
  });
});
