/**
 * What the host offers a VM (src/plan/host-offer.ts, housekeeping.ts) and the host cores
 * automatic placement draws from (host-cores.ts), on hand-built hosts where CPU k and k+C are the
 * two threads of core k (see _topology-builder.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareHostCores, takeUnits, totalUnits, type HostCore } from '../../src/plan/host-cores.js';
import { buildHostOffer } from '../../src/plan/host-offer.js';
import { buildHostView } from '../../src/plan/host-view.js';
import { pickHousekeeping } from '../../src/plan/housekeeping.js';
import { buildTopology } from './_topology-builder.js';

const NONE = new Map<number, string>();

describe('pickHousekeeping', () => {
  const view = buildHostView(buildTopology({ coresPerL3: 4 })); // CPUs 0-7, core k = {k, k+4}

  test('whole cores, lowest first, until enough threads per socket', () => {
    assert.deepEqual(pickHousekeeping(view, NONE, 0), []);
    assert.deepEqual(pickHousekeeping(view, NONE, 1), [0, 4]);
    assert.deepEqual(pickHousekeeping(view, NONE, 2), [0, 4]);
    assert.deepEqual(pickHousekeeping(view, NONE, 3), [0, 1, 4, 5]);
  });

  test('per socket', () => {
    const twoSockets = buildHostView(buildTopology({ sockets: 2, coresPerL3: 2 })); // socket 1: cores 2-3
    assert.deepEqual(pickHousekeeping(twoSockets, NONE, 1), [0, 2, 4, 6]);
  });

  test('isolated cores come last', () => {
    const isolated = buildHostView(buildTopology({ coresPerL3: 4, isolated: [0, 4] }));
    assert.deepEqual(pickHousekeeping(isolated, NONE, 1), [1, 5]);
  });

  test("another VM's CPU is skipped, its free sibling kept", () => {
    assert.deepEqual(pickHousekeeping(view, new Map([[0, 'a']]), 1), [4]);
    assert.deepEqual(pickHousekeeping(view, new Map([[0, 'a']]), 2), [1, 4, 5]);
    assert.deepEqual(pickHousekeeping(view, new Map([[0, 'a'], [4, 'a']]), 1), [1, 5]);
  });
});

describe('buildHostOffer', () => {
  test('free, housekeeping and isolated-free sets, with taken CPUs left out of all of them', () => {
    const view = buildHostView(buildTopology({ coresPerL3: 4, isolated: [2, 3, 6, 7] }));
    const taken = new Map([[1, 'a'], [7, 'b']]);
    const offer = buildHostOffer(view, taken, 1);
    assert.deepEqual(offer.freeCpus, [0, 2, 3, 4, 5, 6]);
    assert.deepEqual(offer.housekeepingCpus, [0, 4]);
    assert.deepEqual([...offer.housekeepingSet].sort((a, b) => a - b), [0, 4]);
    assert.deepEqual(offer.isolatedFreeCpus, [2, 3, 6]);
    assert.equal(offer.taken, taken);
  });

  test('an isolated housekeeping CPU is not offered as isolated', () => {
    const view = buildHostView(buildTopology({ coresPerL3: 2, isolated: [0, 1, 2, 3] }));
    const offer = buildHostOffer(view, NONE, 1);
    assert.deepEqual(offer.housekeepingCpus, [0, 2]);
    assert.deepEqual(offer.isolatedFreeCpus, [1, 3]);
  });
});

describe('host cores', () => {
  const core = (cpus: number[], extra: Partial<HostCore> = {}): HostCore => ({
    cpus, node: 0, l3: 'l3:0', clean: true, isolated: false, kindRank: 0, housekeeping: false, ...extra,
  });

  test('rank: not housekeeping, clean, isolated, faster kind, then number', () => {
    const cores = [
      core([0, 4], { housekeeping: true }),
      core([1], { clean: false }),
      core([2, 6], { kindRank: 1 }),
      core([3, 7], { isolated: true }),
      core([5]),
    ];
    assert.deepEqual([...cores].sort(compareHostCores).map((entry) => entry.cpus[0]), [3, 2, 5, 1, 0]);
  });

  test('units: one guest core per host core without packing; CPUs / threads with it', () => {
    const cores = [core([1, 5]), core([2]), core([3, 7])];
    assert.equal(totalUnits(cores, { threads: 2, packing: false }), 2);
    assert.equal(totalUnits(cores, { threads: 2, packing: true }), 2);
    assert.equal(totalUnits(cores, { threads: 1, packing: false }), 3);
    assert.equal(totalUnits(cores, { threads: 1, packing: true }), 5);
  });

  test('takeUnits: whole cores first, siblings only with packing, housekeeping cores last', () => {
    const cores = [core([1, 5]), core([2]), core([0, 4], { housekeeping: true })];
    assert.deepEqual(takeUnits(cores, 2, { threads: 2, packing: false }), [[1, 5], [0, 4]]);
    assert.equal(takeUnits(cores, 3, { threads: 2, packing: false }), null);
    assert.deepEqual(takeUnits(cores, 3, { threads: 1, packing: true }), [[1], [2], [5]]);
    assert.deepEqual(takeUnits(cores, 4, { threads: 1, packing: true }), [[1], [2], [5], [0]]);
    // A guest core is never made of a leftover CPU and a housekeeping one.
    assert.equal(takeUnits([core([2]), core([0, 4], { housekeeping: true })], 2, { threads: 2, packing: true }), null);
  });
});
