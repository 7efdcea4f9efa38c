/**
 * The text tree: readable at 80 columns on every captured machine, compact on big hosts, and
 * detailed exactly where a layout is irregular (hybrid parts, isolated CPUs, mixed SMT).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology, type HostCpu, type Topology } from '../../src/host/topology.js';
import { formatTopologyTree, summarizeTopology, summarizeTopologyForms } from '../../src/host/topology-text.js';
import { fixtureRoot, scratchDir, topologyFixtureNames } from '../helpers/fixture-root.js';
import { writeSyntheticHost } from '../make-synthetic-host.js';

function treeOf(name: string, width = 80): string[] {
  return formatTopologyTree(readTopology(new HostFs(fixtureRoot(name))), width).trimEnd().split('\n');
}

/** Every CPU number written in the tree, ranges expanded ("0-3" -> 0,1,2,3). */
function cpusMentioned(lines: string[]): Set<number> {
  const out = new Set<number>();
  for (const match of lines.join('\n').matchAll(/\b(\d+)-(\d+)\b|\b(\d+)\b/g)) {
    if (match[3] !== undefined) out.add(Number(match[3]));
    else for (let cpu = Number(match[1]); cpu <= Number(match[2]); cpu++) out.add(cpu);
  }
  return out;
}

describe('formatTopologyTree', () => {
  for (const name of topologyFixtureNames()) {
    test(`${name}: every line fits 80 columns, every node has its line, every online CPU is named`, () => {
      const topology = readTopology(new HostFs(fixtureRoot(name)));
      const lines = formatTopologyTree(topology, 80).trimEnd().split('\n');
      for (const line of lines) assert.ok(line.length <= 80, `${line.length} columns: ${line}`);
      for (const node of topology.nodes) {
        assert.ok(lines.some((line) => line.startsWith(`node ${node.id} `)), `node ${node.id} missing`);
      }
      const mentioned = cpusMentioned(lines);
      for (const cpu of topology.online) assert.ok(mentioned.has(cpu), `cpu${cpu} not in the tree`);
    });
  }

  test('POWER7, 256 threads with a per-core L3: one wrapped list of cores per node, not 64 L3 blocks', () => {
    const lines = treeOf('hwloc-256ppc-8n8s4t');
    assert.ok(lines.length <= 40, `${lines.length} lines`);
    assert.match(lines[0]!, /packages unknown/); // package id -1 everywhere
    assert.ok(lines.includes('  package ?  cpus 0-31'), lines.join('\n'));
    assert.ok(
      lines.includes('    8 L3 groups (#0-7), each 1 core x 4 threads: 0-3 4-7 8-11 12-15 16-19 20-23'),
      lines.join('\n'),
    );
    assert.ok(lines.includes('node 0  56 GiB  cpus 0-31  distances: 20 to 1, 40 to 4,5,8,9,12,13'), lines.join('\n'));
  });

  test('Kunpeng 920, 128 single-thread cores: one line per package and L3', () => {
    const lines = treeOf('hwloc-128arm-2pa2n8cluster4co');
    assert.ok(lines.length <= 12, lines.join('\n'));
    assert.ok(lines.includes('  package 8442  L3 #3  cpus 96-127  32 cores x 1 thread'), lines.join('\n'));
  });

  test('synthetic 512 threads: SMT siblings spacing is stated, distances grouped per node', () => {
    const root = scratchDir('text-synthetic');
    assert.equal(writeSyntheticHost(root).cpus.length, 512);
    const topology = readTopology(new HostFs(root));
    const lines = formatTopologyTree(topology, 80).trimEnd().split('\n');
    assert.ok(lines.length <= 50, `${lines.length} lines`);
    assert.ok(lines.includes('    L3 #0  cpus 0-15,256-271  16 cores x 2 threads, siblings N and N+256'), lines.join('\n'));
    assert.ok(lines.includes('  distances: 12 to 1-3, 32 to 4-7'), lines.join('\n'));
    assert.match(lines[1]!, /^node 0  64 GiB  cpus 0-31,256-287  hugepages 2M 1000\/1024 free, 1G 8\/8 free$/);
  });

  test('Raptor Lake: P-cores with 2 threads and E-cores with 1 in one L3 are listed core by core, with their kinds from the L2 layout', () => {
    const lines = treeOf('hwloc-20em64t-hybrid-1p6c2t+2ca4co1t');
    assert.ok(lines.includes('    L3 #0  cpus 0-19'), lines.join('\n'));
    assert.match(lines.join('\n'), /c0P\[0,1\] c4P\[2,3\].* c24E\[12\]\s+c25E\[13\]/s);
    assert.match(lines.join('\n'), /cpu kinds from L2 clusters: efficiency \(L2 shared by a module of cores\) 12-19;\s+performance \(L2 of its own\) 0-11/);
  });

  test('GB10: cores carry their kind letter, and the kinds line names the source and values', () => {
    const text = treeOf('hwloc-nvidia-dgx-gb10').join('\n');
    assert.match(text, /c4E\[4\] c5P\[5\]/);
    assert.match(text, /cpu kinds from CPU part: efficiency \(0xd87\) 0-4,10-14; performance \(0xd85\) 5-9,\n\s+15-19/);
  });

  test('offline node 0: its online CPUs are shown under "no NUMA node", offline CPUs at the end', () => {
    const lines = treeOf('hwloc-offline-cpu0-node0');
    assert.ok(lines.includes('no NUMA node (its node is offline or unlisted)  cpus 4,6,8,10,12,14,16,18,20'), lines.join('\n'));
    assert.ok(lines.includes('offline cpus 0-3,21-23'), lines.join('\n'));
  });

  test('isolated and nohz_full CPUs are marked, so a regular group is listed instead of summarised', () => {
    const cpu = (id: number, isolated: boolean, nohzFull: boolean): HostCpu => ({
      cpu: id, online: true, socket: 0, die: 0, cluster: null, core: id % 2, node: 0, l3: 0,
      siblings: [id], kind: null, isolated, nohzFull,
    });
    const topology: Topology = {
      cpus: [cpu(0, false, false), cpu(1, false, false), cpu(2, true, false), cpu(3, true, true)],
      nodes: [{ id: 0, cpus: [0, 1, 2, 3], memMiB: 2048, distances: { '0': 10 }, hugepages: {} }],
      online: [0, 1, 2, 3],
      isolated: [2, 3],
      nohzFull: [3],
      l3Groups: [{ index: 0, cacheId: null, cpus: [0, 1, 2, 3] }],
      cpuKinds: [],
      notes: [],
    };
    const text = formatTopologyTree(topology, 80);
    assert.match(text, /c0\[2\*\] c1\[3\*~\]/);
    assert.match(summarizeTopology(topology), /isolated 2,3$/);
    // A single-node host prints no distances at all.
    assert.doesNotMatch(text, /distances/);
  });

  test('a narrow terminal wraps long lines instead of overflowing them', () => {
    for (const line of treeOf('hwloc-memorysidecaches', 60)) assert.ok(line.length <= 60, line);
  });
});

describe('summarizeTopologyForms', () => {
  test('from the whole summary to shorter ones; each keeps the CPUs, the nodes and SMT', () => {
    const root = scratchDir('summary-forms');
    writeSyntheticHost(root);
    const topology = readTopology(new HostFs(root));
    const forms = summarizeTopologyForms(topology);
    assert.equal(forms[0], summarizeTopology(topology));
    assert.equal(forms[0], '512 CPUs online, 8 NUMA nodes, 2 packages, 16 L3 groups, 256 cores, SMT2');
    assert.equal(forms[1], '512 CPUs, 8 nodes, 2 pkgs, 16 L3s, 256 cores, SMT2');
    assert.equal(forms.at(-1), '512 CPUs, 8 nodes, SMT2');
    for (const [index, form] of forms.entries()) {
      assert.match(form, /^512 CPUs\b.*\b8 (NUMA )?nodes\b.*\bSMT2$/);
      if (index > 0) assert.ok(form.length < forms[index - 1]!.length, `${form} is shorter than the one before`);
    }
  });

  for (const name of topologyFixtureNames()) {
    test(`${name}: the shortest form keeps the online CPUs and the isolated ones, at least as a count`, () => {
      const topology = readTopology(new HostFs(fixtureRoot(name)));
      const forms = summarizeTopologyForms(topology);
      assert.ok(forms.at(-1)!.startsWith(`${topology.online.length} CPUs`), forms.at(-1));
      if (topology.isolated.length) assert.match(forms.at(-1)!, new RegExp(`\\b${topology.isolated.length} isolated$`));
      assert.ok(forms.at(-1)!.length <= 50, `fits a 60-column title: ${forms.at(-1)}`);
    });
  }
});
