/**
 * readTopology on the generated 2-socket, 8-node, 512-thread host, checked CPU by CPU against the
 * generator's own model (not against the files it wrote).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology } from '../../src/host/topology.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { writeSyntheticHost } from '../make-synthetic-host.js';

describe('synthetic 2-socket, 8-node, 512-thread host', () => {
  const root = scratchDir('synthetic');
  const host = writeSyntheticHost(root);
  const topology = readTopology(new HostFs(root));
  const ours = new Map(topology.cpus.map((entry) => [entry.cpu, entry]));

  test('the generator made the shape it promises', () => {
    assert.equal(host.cpus.length, 512);
    assert.equal(host.nodes.length, 8);
    assert.equal(new Set(host.cpus.map((entry) => entry.socket)).size, 2);
    assert.equal(host.l3Groups.length, 16);
    // Linux x86 numbering: first threads 0-255, second threads 256-511.
    assert.deepEqual(host.cpus[0]!.siblings, [0, 256]);
    assert.deepEqual(host.cpus[511]!.siblings, [255, 511]);
  });

  test('all 512 CPUs online, none isolated', () => {
    assert.deepEqual(topology.online, host.cpus.map((entry) => entry.cpu));
    assert.ok(topology.cpus.every((entry) => entry.online && !entry.isolated && !entry.nohzFull));
    assert.deepEqual(topology.notes, []);
  });

  test('every CPU: socket, node, core id, L3 group and SMT siblings as modelled', () => {
    // L3 indexes are the reader's own numbering (by first CPU); here that order matches the
    // model's, and the group membership check below does not depend on it anyway.
    for (const want of host.cpus) {
      const got = ours.get(want.cpu);
      assert.ok(got, `cpu${want.cpu} missing`);
      assert.deepEqual(
        { socket: got.socket, node: got.node, core: got.core, l3: got.l3, siblings: got.siblings, die: got.die },
        { socket: want.socket, node: want.node, core: want.core, l3: want.l3, siblings: want.siblings, die: 0 },
        `cpu${want.cpu}`,
      );
    }
  });

  test('16 L3 groups of 32 threads with their kernel cache ids', () => {
    assert.deepEqual(topology.l3Groups.map((group) => group.cpus), host.l3Groups);
    assert.deepEqual(topology.l3Groups.map((group) => group.cacheId), host.l3Groups.map((_, index) => index));
  });

  test('8 nodes: cpus, memory, distances, two hugepage pools each', () => {
    assert.deepEqual(
      topology.nodes.map((node) => ({ ...node })),
      host.nodes.map((node) => ({ ...node })),
    );
  });
});
