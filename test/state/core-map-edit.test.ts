/**
 * Core-map editing as data (src/state/core-map-edit.ts, components/present/core-map-lines.ts):
 * clearing one vCPU, toggling a helper thread's CPU, and the cursor's up/down on the grid.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCoreMapLines, cursorStep } from '../../components/present/core-map-lines.js';
import { clearVcpu, toggleCpu } from '../../src/state/core-map-edit.js';
import { buildTopology } from '../plan/_topology-builder.js';

describe('clearVcpu', () => {
  test('the vCPU goes back to its automatic CPU; the map is dropped once it is the automatic one', () => {
    assert.deepEqual(clearVcpu([5, 2], 0, [1, 2]), { map: null });
    assert.deepEqual(clearVcpu([5, 6], 0, [1, 2]), { map: [1, 6] });
  });

  test('when another vCPU holds its automatic CPU, it takes the first automatic CPU nobody holds', () => {
    assert.deepEqual(clearVcpu([2, 1], 0, [1, 2]), { map: [2, 1] }, 'its own CPU 2 is the only one free');
    assert.deepEqual(clearVcpu([9, 1, 7], 0, [1, 2, 3]), { map: [2, 1, 7] });
  });

  test('refused with a reason when there is no automatic place or every one is held', () => {
    const none = clearVcpu([3, 4], 1, [null, null]);
    assert.ok('refused' in none && /vCPU 1 has no automatic place/.test(none.refused));
    // An overcommitted automatic placement (requireDedicated false) can have fewer CPUs than vCPUs.
    const full = clearVcpu([1, 5], 1, [1, 1]);
    assert.ok('refused' in full && /every CPU of the automatic placement is held/.test(full.refused));
  });
});

describe('toggleCpu', () => {
  test('adds a CPU (sorted), removes it when there, null once empty', () => {
    assert.deepEqual(toggleCpu(null, 3), [3]);
    assert.deepEqual(toggleCpu([5], 3), [3, 5]);
    assert.deepEqual(toggleCpu([1, 3], 3), [1]);
    assert.equal(toggleCpu([3], 3), null);
  });
});

describe('cursorStep and the housekeeping mark', () => {
  // Two packages of 4 cores of 2 threads: core k = {k, k+8}, a row of cells per package.
  const topology = buildTopology({ sockets: 2, coresPerL3: 4 });
  const text = (lines: ReturnType<typeof buildCoreMapLines>) => lines.map((line) => line.map((segment) => segment.text).join(''));

  test('housekeeping CPUs carry an "h" after their number', () => {
    const lines = text(buildCoreMapLines(topology, 80, new Map(), null, new Set([0, 8])));
    assert.ok(lines.some((line) => /\[ 0h\| 8h\]/.test(line)), lines.join('\n'));
  });

  test('up and down go to the nearest column on the next line with CPUs; they stay at the edges', () => {
    const lines = buildCoreMapLines(topology, 80);
    const rows = text(lines).map((line, index) => ({ line, index })).filter((entry) => /\[/.test(entry.line));
    assert.ok(rows.length >= 2, text(lines).join('\n'));
    const firstCpu = lines[rows[0]!.index]!.find((segment) => segment.cpu !== undefined)!.cpu!;
    const below = cursorStep(lines, firstCpu, 'down');
    assert.notEqual(below, firstCpu);
    assert.ok(lines[rows[1]!.index]!.some((segment) => segment.cpu === below), 'the next row of cells');
    assert.equal(cursorStep(lines, below, 'up'), firstCpu, 'and back');
    assert.equal(cursorStep(lines, firstCpu, 'up'), firstCpu, 'the top stays');
    assert.equal(cursorStep(lines, 999, 'down'), 999, 'a CPU not drawn stays');
  });
});
