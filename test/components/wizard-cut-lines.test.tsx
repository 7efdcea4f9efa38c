/**
 * Nothing important is only ever shown cut, at 80x24 and 60x20 (ink-testing-library, fixture
 * data): the title's host summary on the 512-thread, 8-node synthetic host takes a shorter form
 * that fits instead of ending in "…" (the Topology step heads its map with the whole one), and
 * the Plan step's map legend wraps when other VMs hold many CPUs: who holds them is named whole,
 * or the first VMs named and the rest counted with where the whole list is (the Topology step,
 * which lists every VM with all its CPUs). Without colour the marks are still letters.
 */
import assert from 'node:assert/strict';
import { afterEach, before, describe, test } from 'node:test';
import React from 'react';
import chalk from 'chalk';
import { cleanup, render } from 'ink-testing-library';
import { Wizard } from '../../components/Wizard.js';
import { vmHiddenNote } from '../../components/screens/PlanScreen.js';
import { mapLegendLines } from '../../components/present/map-legend.js';
import { applyColorChoice } from '../../components/terminal/screen.js';
import { formatCpuList } from '../../src/host/cpulist.js';
import { summarizeTopology, summarizeTopologyForms } from '../../src/host/topology-text.js';
import { syntheticHostRoot } from '../helpers/fixture-root.js';
import { plain, waitFor } from '../helpers/ink.js';
import { capturedHostServices } from '../helpers/wizard-services.js';
import { assertFits, fakeHostOffer, pressUntil } from './wizard-helpers.js';

afterEach(() => cleanup());

let root = '';
before(() => {
  root = syntheticHostRoot();
});

const SIZES = [
  { columns: 80, rows: 24 },
  { columns: 60, rows: 20 },
];

/** CPUs held by other VMs, as the registry reports them (cpu -> VM name). */
function heldBy(vms: ReadonlyArray<[string, number[]]>): Map<number, string> {
  return new Map(vms.flatMap(([name, cpus]) => cpus.map((cpu): [number, string] => [cpu, name])));
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/** Three VMs with long names that hold 109 CPUs between them. */
const THREE_BIG: Array<[string, number[]]> = [
  ['kvm-tui-web-01', range(0, 15)],
  ['kvm-tui-db-primary', range(16, 47)],
  ['kvm-tui-batch', [...range(256, 300), 302, 304, 306, 308, 310, 312, 314]],
];
/** Twelve VMs, some with long fragmented CPU lists: more than any legend at 24 rows names. */
const TWELVE: Array<[string, number[]]> = [
  ...range(0, 8).map((index): [string, number[]] => [`guest-${index}`, [index * 2, index * 2 + 1]]),
  ['web-frontend-01', range(18, 30)],
  ['database-replica', range(31, 45).filter((cpu) => cpu % 2 === 1)],
  ['batch-worker-7', range(256, 290)],
];

function start(size: { columns: number; rows: number }, initialScreen: string, held: Map<number, string> = new Map()) {
  const base = { ...capturedHostServices(root), hostOffer: fakeHostOffer() };
  // The CPUs other VMs hold come with the host facts (readHost asks the registry; R reads it again).
  const services = { ...base, readHost: () => ({ ...base.readHost(), taken: held }) };
  const host = services.readHost();
  const app = render(<Wizard services={services} host={host} size={size} initialScreen={initialScreen} />);
  return { app, host, frame: () => plain(app.lastFrame()) };
}

const lines = (frame: string) => frame.split('\n');

/** The Plan step's legend: from the marks' line to the map's first node line. */
function legendOf(frame: string): string[] {
  const all = lines(frame);
  const first = all.findIndex((line) => /^(map: )?vN vCPU E emulator/.test(line));
  assert.ok(first >= 0, `the legend is on screen:\n${frame}`);
  const end = all.findIndex((line, index) => index > first && /^node \d/.test(line));
  return all.slice(first, end);
}

/** What a wrapped legend says, its lines joined again. */
const joined = (legend: string[]) => legend.map((line) => line.trim()).join(' ');

for (const size of SIZES) {
  describe(`the 512-thread host at ${size.columns}x${size.rows}`, () => {
    test('the title line says the host whole in a form that fits; the Topology step heads its map with the whole summary', async () => {
      const { app, frame, host } = start(size, 'topology');
      await waitFor(() => /^node 0 /m.test(frame()), 'the core map');
      assert.equal(host.topology.online.length, 512);
      assertFits(frame(), size.columns, size.rows, 'the topology step');
      const title = lines(frame())[0]!;
      assert.doesNotMatch(title, /…/, `the title is not cut: ${title}`);
      assert.ok(title.length <= size.columns, title);
      assert.ok(summarizeTopologyForms(host.topology).some((form) => title === `kvm-tui · ${form}`), title);
      // What a user must read of the host: its CPUs, NUMA nodes and SMT, in any form.
      assert.match(title, /^kvm-tui · 512 CPUs\b.*, 8 (NUMA )?nodes, .*\bSMT2$/);
      // The whole summary heads the map (wrapped at 60 columns), and scrolls with it.
      const head = lines(frame()).slice(2, 5).map((line) => line.trim()).join(' ');
      assert.ok(head.startsWith(summarizeTopology(host.topology)), `the whole summary on the Topology step:\n${frame()}`);
      await pressUntil(app.stdin, ' ', () => !frame().includes(summarizeTopology(host.topology).slice(0, 20)), 'the map paged down', frame);
      assertFits(frame(), size.columns, size.rows, 'the next page');
    });

    test('three VMs holding 109 CPUs: the legend wraps, no line of it is cut, each VM is named or counted', async () => {
      const { frame } = start(size, 'plan', heldBy(THREE_BIG));
      await waitFor(() => /^memory /m.test(frame()) || /more lines? about the VM/.test(frame()), 'the plan with the host\'s offer');
      assertFits(frame(), size.columns, size.rows, 'the plan');
      const legend = legendOf(frame());
      for (const line of legend) assert.doesNotMatch(line, /…/, `a legend line cut: ${line}\n${frame()}`);
      const text = joined(legend);
      assert.match(text, /vN vCPU E emulator IN iothread N\* isolated Nh housekeeping X held by 3 other VMs/);
      const named = THREE_BIG.filter(([name, cpus]) => text.includes(`${name} ${formatCpuList(cpus)}`) || text.includes(`${name} (${cpus.length} CPUs)`));
      const more = /\+(\d+) more \(2 Topology lists them\)/.exec(text);
      const counted = more ? Number(more[1]) : /X held by 3 other VMs \(2 Topology lists them\)/.test(text) ? 3 : 0;
      assert.equal(named.length + counted, 3, `every VM named or counted: ${text}`);
      if (size.columns >= 80) assert.equal(named.length, 3, `at 80x24 all three are named with their CPUs: ${text}`);
      // The held CPUs carry X on the map, in text.
      assert.match(frame(), /\[\s*0:X\|256:X\]/);
      // The map keeps rows to read: at least two lines of CPUs and its position line.
      assert.ok(lines(frame()).filter((line) => /\[\s*\d+/.test(line)).length >= 2, frame());
      // The VM's own lines are on screen (the legend took no rows they needed).
      assert.match(frame(), /^memory 4 GiB ram on node/m);
    });

    test('twelve VMs: the first are named, the rest counted with where the list is; the Topology step lists every VM with all its CPUs', async () => {
      const held = heldBy(TWELVE);
      const { frame } = start(size, 'plan', held);
      await waitFor(() => /^memory /m.test(frame()) || /more lines? about the VM/.test(frame()), 'the plan with the host\'s offer');
      assertFits(frame(), size.columns, size.rows, 'the plan');
      const legend = legendOf(frame());
      for (const line of legend) assert.doesNotMatch(line, /…/, `a legend line cut: ${line}\n${frame()}`);
      const text = joined(legend);
      assert.match(text, /X held by 12 other VMs/);
      const more = /\+(\d+) more \(2 Topology lists them\)/.exec(text);
      assert.ok(more || /X held by 12 other VMs \(2 Topology lists them\)/.test(text), `the rest counted: ${text}`);
      const named = TWELVE.filter(([name]) => new RegExp(`(^|[:;] )${name} `).test(text));
      assert.equal(named.length + (more ? Number(more[1]) : 12), 12, `named + counted = 12: ${text}`);
      // Named in order of their first CPU, as the topology lists them.
      assert.deepEqual(named.map(([name]) => name), TWELVE.slice(0, named.length).map(([name]) => name));

      const topology = start(size, 'topology', held);
      await waitFor(() => /held by 12 other VMs/.test(topology.frame()), 'the Topology step');
      assertFits(topology.frame(), size.columns, size.rows, 'the topology step');
      const seen: string[] = [];
      for (let page = 0; page < 10; page++) {
        seen.push(...lines(topology.frame()));
        if (/^node 0 /m.test(topology.frame())) break;
        const before = topology.frame();
        await pressUntil(topology.app.stdin, ' ', () => topology.frame() !== before, `page ${page + 2}`, topology.frame);
        assertFits(topology.frame(), size.columns, size.rows, `page ${page + 2}`);
      }
      const listed = seen.join('\n').replace(/\n {6}(?=\S)/g, '');
      for (const [name, cpus] of TWELVE) assert.match(listed, new RegExp(`^ {2}"${name}" {2}CPUs ${formatCpuList(cpus)}$`, 'm'), `${name} listed whole:\n${listed}`);
      for (const line of seen) assert.doesNotMatch(line, /…/, line);
    });
  });
}

describe('the legend as data', () => {
  test('wraps between entries, every line within the width, never more rows than given', () => {
    for (const width of [60, 80, 100]) {
      for (const rows of [2, 3, 5]) {
        const legend = mapLegendLines(heldBy(TWELVE), width, rows).map((line) => line.map((segment) => segment.text).join(''));
        assert.ok(legend.length <= rows, `${width}/${rows}: ${legend.join('|')}`);
        for (const line of legend) assert.ok(line.length <= width, `${width}/${rows}: ${line}`);
        assert.match(legend.join(' '), /X held by 12 other VMs/);
      }
    }
    // Room enough: every VM with its CPUs, no count.
    const whole = mapLegendLines(heldBy(TWELVE), 80, 10).map((line) => line.map((segment) => segment.text).join('').trim()).join(' ');
    for (const [name, cpus] of TWELVE) assert.ok(whole.includes(`${name} ${formatCpuList(cpus)}`), whole);
    assert.doesNotMatch(whole, /more/);
    // No VM holds a CPU: the marks alone, one line at 60 columns.
    assert.deepEqual(
      mapLegendLines(new Map(), 60, 2).map((line) => line.map((segment) => segment.text).join('')),
      ['vN vCPU E emulator IN iothread N* isolated Nh housekeeping'],
    );
  });
});

// Colour off is process-wide (chalk's level), and this file shares its process: put back after.
describe('without colour', () => {
  test('the legend and the map mark held CPUs in text, and the frame has no escape', async (t) => {
    const level = chalk.level;
    t.after(() => {
      chalk.level = level;
    });
    applyColorChoice(false);
    const base = { ...capturedHostServices(root), hostOffer: fakeHostOffer() };
    const services = { ...base, readHost: () => ({ ...base.readHost(), taken: heldBy(THREE_BIG) }) };
    const app = render(<Wizard services={services} host={services.readHost()} size={{ columns: 80, rows: 24 }} initialScreen="plan" color={false} />);
    const frame = () => app.lastFrame() ?? '';
    await waitFor(() => /^memory /m.test(frame()), 'the plan');
    assert.doesNotMatch(frame(), /\u001B\[/, 'no escape sequence');
    assert.match(joined(legendOf(frame())), /X held by 3 other VMs: kvm-tui-web-01 0-15; kvm-tui-db-primary 16-47; kvm-tui-batch 256-300,302,304/);
    assert.match(frame(), /\[\s*16:X\|272:X\]/);
  });
});

describe('the one-line summaries at 60x20 take a shorter form instead of being cut', () => {
  const size = { columns: 60, rows: 20 };

  test("the audit's counts", async () => {
    const { frame } = start(size, 'audit');
    await waitFor(() => /^Audit · \d+: \d+ pass \d+ warn \d+ fail \d+ info \d+ skip$/m.test(frame()), `the audit's whole counts:\n${frame()}`);
    assertFits(frame(), size.columns, size.rows, 'the audit');
  });

  test("the plan's note on the VM lines that do not fit", () => {
    assert.equal(vmHiddenNote(2, 80), '… 2 more lines about the VM (a taller terminal shows them; 5 Launch sums up)');
    assert.equal(vmHiddenNote(2, 60), '… 2 more VM lines: a taller terminal, or 5 Launch');
    assert.equal(vmHiddenNote(1, 60), '… 1 more VM line: a taller terminal, or 5 Launch');
  });

  test("the preview's cursor hint and its copy keys", async () => {
    const { frame } = start(size, 'preview');
    await waitFor(() => /qemu-system-x86_64/.test(frame()), 'the preview');
    assert.match(frame(), /^↑↓ jk: why a line is there · ←→ hl: sideways$/m);
    assert.match(frame(), /^y copy \(OSC 52\)( · w write to a file)?( · or: kvm-tui generate --out FILE)?$/m);
  });
});
