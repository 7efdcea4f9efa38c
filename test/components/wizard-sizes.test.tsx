/**
 * The core map (Topology) and Plan steps at 60x20 and 80x24, on a captured 2-socket Xeon and
 * on the 512-thread, 8-node synthetic host (test/make-synthetic-host.ts): no line wider than the
 * terminal and no frame taller (nothing wraps); what does not fit is reachable, not cut: the map
 * scrolls to every CPU, warnings and VM lines that do not fit are counted, the editor's cursor is
 * kept in view, the lists fit.
 */
import assert from 'node:assert/strict';
import { afterEach, before, describe, test } from 'node:test';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { Wizard } from '../../components/Wizard.js';
import { fixtureRoot, syntheticHostRoot } from '../helpers/fixture-root.js';
import { plain, waitFor } from '../helpers/ink.js';
import { capturedHostServices } from '../helpers/wizard-services.js';
import { assertFits, fakeHostOffer, pressOnce, pressUntil } from './wizard-helpers.js';

afterEach(() => cleanup());

let syntheticRoot = '';
before(() => {
  syntheticRoot = syntheticHostRoot();
});

const HOSTS = [
  { name: 'Xeon 2x8x2', root: () => fixtureRoot('hwloc-32intel64-2p8co2t+8ve'), cpus: 32 },
  { name: 'synthetic 512 threads', root: () => syntheticRoot, cpus: 512 },
];
const SIZES = [
  { columns: 60, rows: 20 },
  { columns: 80, rows: 24 },
];

function start(root: string, size: { columns: number; rows: number }, initialScreen: string) {
  const services = { ...capturedHostServices(root), hostOffer: fakeHostOffer() };
  const host = services.readHost();
  const app = render(<Wizard services={services} host={host} size={size} initialScreen={initialScreen} />);
  return { app, host, frame: () => plain(app.lastFrame()) };
}

/** CPU numbers drawn in the map's cells ("[ 0|256]", "[>17:v0+E|273]"). */
function cpusIn(text: string): Set<number> {
  const out = new Set<number>();
  for (const cell of text.match(/\[[^\]\n]*\]/g) ?? []) {
    for (const thread of cell.slice(1, -1).split('|')) {
      const match = /^\s*>?\s*(\d+)/.exec(thread);
      if (match) out.add(Number(match[1]));
    }
  }
  return out;
}

for (const hostCase of HOSTS) {
  for (const size of SIZES) {
    describe(`${hostCase.name} at ${size.columns}x${size.rows}`, () => {
      test('the core map fits, and paging through it shows every CPU once', async () => {
        const { app, frame, host } = start(hostCase.root(), size, 'topology');
        await waitFor(() => /node 0/.test(frame()), 'the core map');
        assert.equal(host.topology.online.length, hostCase.cpus);
        assertFits(frame(), size.columns, size.rows, 'the core map');
        const seen = new Set<number>();
        const position = () => /lines (\d+)-(\d+) of (\d+)/.exec(frame());
        for (const cpu of cpusIn(frame())) seen.add(cpu);
        // Page down until the last line is in view; every page fits too.
        for (let page = 0; page < 200; page++) {
          const at = position();
          if (!at || Number(at[2]) >= Number(at[3])) break;
          const before = at[0];
          await pressUntil(app.stdin, ' ', () => position()?.[0] !== before, `page ${page + 2}`, frame);
          assertFits(frame(), size.columns, size.rows, `page ${page + 2}`);
          for (const cpu of cpusIn(frame())) seen.add(cpu);
        }
        assert.deepEqual([...seen].sort((a, b) => a - b), host.topology.online, 'every online CPU was on some page');
        await pressOnce(app.stdin, 'g');
        await waitFor(() => /node 0/.test(frame()), 'back at the top');
      });

      test('the plan fits; what does not fit is counted or scrolls; the editor keeps its cursor in view', async () => {
        const { app, frame } = start(hostCase.root(), size, 'plan');
        await waitFor(() => /preset \S+/.test(frame()) && /^memory /m.test(frame()), 'the plan with the host\'s offer');
        assertFits(frame(), size.columns, size.rows, 'the plan');
        assert.match(frame(), /\[3 Plan\]/);
        assert.match(frame(), /^\d+ vCPUs \(/m, 'the placement summary');
        assert.match(frame(), /^size: \+\/- vCPUs/m, 'the keys');
        // Every VM line is on screen, or they are counted.
        const vmShown = ['name ', 'net ', 'disk ', 'memory '].every((head) => new RegExp(`^${head}`, 'm').test(frame()));
        assert.ok(vmShown || /… \d+ more lines? about the VM/.test(frame()), frame());
        // The map scrolls when it does not fit: its position line says so.
        if (hostCase.cpus > 32) assert.match(frame(), /lines \d+-\d+ of \d+/, frame());
        // Sizing: more vCPUs than fit one map line; every frame still fits.
        for (let vcpus = 0; vcpus < 4; vcpus++) await pressOnce(app.stdin, '+');
        await waitFor(() => /^8 vCPUs/m.test(frame()), '8 vCPUs', 3000).catch((error: Error) => {
          throw new Error(`${error.message}\n${frame()}`);
        });
        assertFits(frame(), size.columns, size.rows, '8 vCPUs');
        await pressUntil(app.stdin, 'e', () => /edit vCPU 0/.test(frame()), 'the editor', frame);
        await waitFor(() => /\[[^\]]*>\s*\d+:v0/.test(frame()), "the cursor drawn on vCPU 0's CPU, scrolled into view").catch((error: Error) => {
          throw new Error(`${error.message}\n${frame()}`);
        });
        for (let step = 0; step < 40; step++) app.stdin.write('\u001B[C');
        await waitFor(() => /edit vCPU 0 \(,\/\.\) → CPU \d+/.test(frame()) && />\s*\d+/.test(frame()), 'the cursor moved');
        const cursorCpu = Number(/→ CPU (\d+)/.exec(frame())![1]);
        assert.ok(cpusIn(frame()).has(cursorCpu), `CPU ${cursorCpu} under the cursor is on screen:\n${frame()}`);
        assert.match(frame(), new RegExp(`>\\s*${cursorCpu}\\b`));
        assertFits(frame(), size.columns, size.rows, 'the editor');
        await pressOnce(app.stdin, '\u001B');
        await pressUntil(app.stdin, 'p', () => /Preset: ↑↓ Enter/.test(frame()), 'the preset list', frame);
        assertFits(frame(), size.columns, size.rows, 'the preset list');
        await pressOnce(app.stdin, '\u001B');
        await pressUntil(app.stdin, 'n', () => /Network \(/.test(frame()), 'the network list', frame);
        assertFits(frame(), size.columns, size.rows, 'the network list');
      });
    });
  }
}
