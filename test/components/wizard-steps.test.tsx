/**
 * The wizard as a walk (ink-testing-library, a captured 2-socket Xeon): the step bar marks the
 * current step in text and fits 80 and 60 columns; c and Enter go on from every step, Esc back
 * one without losing edits, and Esc inside an editor, list, prompt or the help closes only that.
 * The VM step offers what the (fake) host has: a disk image's free space, the bridges for a tap,
 * memory against free memory per node. `/` filters the audit rows and the preset list.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { Wizard, type WizardProps } from '../../components/Wizard.js';
import { stepKeysLine } from '../../components/App.js';
import { stepBar } from '../../components/present/step-bar.js';
import { fixtureRoot } from '../helpers/fixture-root.js';
import { plain, waitFor } from '../helpers/ink.js';
import { capturedHostServices } from '../helpers/wizard-services.js';
import { assertFits, fakeHostOffer, pressOnce, pressUntil } from './wizard-helpers.js';

afterEach(() => cleanup());

const XEON = 'hwloc-32intel64-2p8co2t+8ve';
const TITLES = ['Audit', 'Topology', 'Plan', 'Preview', 'Launch', 'Monitor'];
const ESC = '\u001B';

function start(props: Partial<WizardProps> = {}, offer = fakeHostOffer()) {
  const base = capturedHostServices(fixtureRoot(XEON));
  const services = { ...base, hostOffer: offer };
  const exits: number[] = [];
  const app = render(<Wizard services={services} host={services.readHost()} onExit={(code) => exits.push(code)} {...props} />);
  const frame = () => plain(app.lastFrame());
  return { app, frame, exits, offer, services };
}

/** The step bar's line (the second) of a frame. */
const bar = (frame: string) => frame.split('\n')[1] ?? '';

describe('step bar', () => {
  test('the current step in brackets, the widest form that fits, never wider than the terminal', () => {
    const text = (index: number, width: number) => stepBar(TITLES, index, width).map((segment) => segment.text).join('');
    assert.equal(text(0, 80), '[1 Audit] > 2 Topology > 3 Plan > 4 Preview > 5 Launch > 6 Monitor');
    assert.equal(text(2, 60), '1 Audit>2 Topology>[3 Plan]>4 Preview>5 Launch>6 Monitor');
    assert.equal(text(5, 50), '1 > 2 > 3 > 4 > 5 > [6 Monitor]');
    assert.equal(text(1, 24), '1 [2 Topology] 3 4 5 6');
    for (let width = 8; width <= 100; width++) {
      for (let index = 0; index < TITLES.length; index++) {
        const segments = stepBar(TITLES, index, width);
        const line = segments.map((segment) => segment.text).join('');
        assert.ok(line.length <= width, `${width}: ${line}`);
        assert.equal(segments.filter((segment) => segment.current).length, 1);
        if (width >= 20) assert.ok(line.includes(`[${index + 1} ${TITLES[index]}]`), `${width}: ${line}`);
      }
    }
  });

  test('the footer says how to move from here: no "next" on the last step, no "back" on the first, c alone where Enter has a job', () => {
    assert.equal(stepKeysLine(0, 6, false), 'c next · 1-6 jump · ? help · q quit');
    assert.equal(stepKeysLine(2, 6, true), 'Enter/c next · Esc back · 1-6 jump · ? help · q quit');
    assert.equal(stepKeysLine(5, 6, true), 'Esc back · 1-6 jump · ? help · q quit');
  });

  for (const [columns, rows] of [[80, 24], [60, 20]] as const) {
    test(`at ${columns}x${rows} the bar marks the step in text on every screen, and nothing is wider or taller`, async () => {
      const { app, frame } = start({ size: { columns, rows } });
      await waitFor(() => /^(Host audit|Audit) · /m.test(frame()), 'the audit');
      for (const [index, title] of TITLES.entries()) {
        await pressUntil(app.stdin, String(index + 1), () => bar(frame()).includes(`[${index + 1} ${title}]`), `step ${index + 1}`, frame);
        assertFits(frame(), columns, rows, `step ${title} at ${columns}x${rows}`);
        if (columns === 80) assert.match(bar(frame()), / > /, 'the full form at 80 columns');
      }
    });
  }
});

describe('help at 60x20', () => {
  test('? wraps each key\'s text under its text column and scrolls when taller than the pane; another key closes it', async () => {
    const { app, frame } = start({ initialScreen: 'plan', size: { columns: 60, rows: 20 } });
    await waitFor(() => /preset balanced/.test(frame()), 'the plan');
    await pressUntil(app.stdin, '?', () => /help 1-17\/\d+: ↑↓ Space scroll · other keys close$/m.test(frame()), 'the help', frame);
    assertFits(frame(), 60, 20, 'the help');
    assert.match(frame(), /^ {2}Esc {19}back one step \(edits are kept\);\n {24}inside a list, prompt or editor:\n {24}closes it$/m);
    const total = Number(/help 1-17\/(\d+)/.exec(frame())![1]);
    assert.ok(total > 17);
    await pressOnce(app.stdin, 'j');
    await waitFor(() => /help 2-18\//.test(frame()), 'one line down');
    // A page at a time to the end (Space repeats harmlessly there).
    await pressUntil(app.stdin, ' ', () => new RegExp(`help \\d+-${total}/${total}`).test(frame()), 'the end', frame);
    assert.match(frame(), /N {2}d {2}n {15}name, disk image/, 'the Plan keys are there at the end');
    await pressOnce(app.stdin, 'x');
    await waitFor(() => /preset balanced/.test(frame()), 'closed');
  });
});

describe('moving through the steps', () => {
  test('c and Enter go on from every step, Esc goes back one; an edit made on the way survives', async () => {
    const { app, frame } = start();
    await waitFor(() => /Host audit/.test(frame()), 'the audit');
    // Enter on the audit opens a row: c goes on.
    await pressOnce(app.stdin, '\r');
    assert.match(bar(frame()), /\[1 Audit\]/, 'Enter stays on the audit (it opens the row)');
    await pressUntil(app.stdin, 'c', () => /\[2 Topology\]/.test(bar(frame())), 'c to the topology');
    await pressOnce(app.stdin, '\r');
    await waitFor(() => /\[3 Plan\]/.test(bar(frame())), 'Enter to the plan');
    await pressUntil(app.stdin, '-', () => /^3 vCPUs /m.test(frame()), 'a sizing edit');
    await pressOnce(app.stdin, '\r');
    await waitFor(() => /\[4 Preview\]/.test(bar(frame())), 'Enter to the preview');
    await pressOnce(app.stdin, 'c');
    await waitFor(() => /\[5 Launch\]/.test(bar(frame())), 'c to the launch');
    assert.match(frame(), /VM "balanced": 3 vCPUs/, 'the edit followed');
    await pressOnce(app.stdin, 'c');
    await waitFor(() => /\[6 Monitor\]/.test(bar(frame())), 'c to the monitor');
    await pressOnce(app.stdin, 'c');
    assert.match(bar(frame()), /\[6 Monitor\]/, 'the last step stays');
    for (const [index, title] of [[5, 'Launch'], [4, 'Preview'], [3, 'Plan']] as const) {
      await pressOnce(app.stdin, ESC);
      await waitFor(() => bar(frame()).includes(`[${index} ${title}]`), `Esc back to ${title}`);
    }
    assert.match(frame(), /^3 vCPUs /m, 'the edit is still there');
    await pressOnce(app.stdin, ESC);
    await pressOnce(app.stdin, ESC);
    await waitFor(() => /\[1 Audit\]/.test(bar(frame())), 'back on the audit');
    await pressOnce(app.stdin, ESC);
    assert.match(bar(frame()), /\[1 Audit\]/, 'the first step stays');
  });

  test('Esc inside the map editor, the preset list, a prompt or the help closes only that', async () => {
    const { app, frame } = start({ initialScreen: 'plan' });
    await waitFor(() => /preset balanced/.test(frame()), 'the plan');
    await pressUntil(app.stdin, 'e', () => /edit vCPU 0/.test(frame()), 'the editor');
    await pressOnce(app.stdin, ESC);
    await waitFor(() => /size: \+\/- vCPUs/.test(frame()), 'the editor closed');
    assert.match(bar(frame()), /\[3 Plan\]/, 'still on the plan');
    await pressUntil(app.stdin, 'p', () => /Preset: ↑↓ Enter or its number/.test(frame()), 'the preset list');
    await pressOnce(app.stdin, ESC);
    await waitFor(() => /preset balanced/.test(frame()), 'the list closed');
    assert.match(bar(frame()), /\[3 Plan\]/);
    await pressUntil(app.stdin, 'N', () => /VM name \(Enter keeps it, Esc cancels\)/.test(frame()), 'the name prompt');
    await pressOnce(app.stdin, ESC);
    await waitFor(() => /preset balanced/.test(frame()), 'the prompt closed');
    assert.match(bar(frame()), /\[3 Plan\]/);
    await pressUntil(app.stdin, '?', () => /Esc {19}back one step/.test(frame()), 'the help');
    await pressOnce(app.stdin, ESC);
    await waitFor(() => /preset balanced/.test(frame()), 'the help closed');
    assert.match(bar(frame()), /\[3 Plan\]/);
    await pressOnce(app.stdin, ESC);
    await waitFor(() => /\[2 Topology\]/.test(bar(frame())), 'and now Esc goes back');
  });
});

describe('Esc on the monitor', () => {
  test('Esc answers the force-quit question (no), and only then goes back to Launch', async () => {
    const { fakeRecord } = await import('../helpers/vm-records.js');
    const { RingBuffer } = await import('../../src/shared/ring-buffer.js');
    const record = fakeRecord('/run/kvm-tui/vms/balanced-1', { name: 'balanced' });
    const forced: string[] = [];
    const base = capturedHostServices(fixtureRoot(XEON));
    const services = {
      ...base,
      hostOffer: fakeHostOffer(),
      launchDisabledReason: null,
      launch: async () => record,
      monitorServices: () => ({
        clock: { now: () => record.startedAtMs, setTimeout: () => 0, clearTimeout: () => undefined, sleep: async () => undefined },
        control: {
          state: 'running' as const,
          events: new RingBuffer<never>(10),
          connect: async () => null,
          onChange: () => () => undefined,
          pause: async () => undefined,
          resume: async () => undefined,
          powerdown: async () => undefined,
          forceQuit: async () => void forced.push('forced'),
          repin: async () => '',
          blockstats: async () => [],
          close: () => undefined,
        },
        startSampler: () => () => undefined,
        cleanUpExited: () => null,
      }),
    };
    const app = render(<Wizard services={services as typeof base} host={base.readHost()} initialScreen="launch" />);
    const frame = () => plain(app.lastFrame());
    await pressUntil(app.stdin, '\r', () => /\[6 Monitor\]/.test(bar(frame())) && /\[RUNNING\]/.test(frame()), 'the live pane', frame);
    await pressUntil(app.stdin, 'F', () => /Force quit: QEMU ends at once/.test(frame()), 'the question', frame);
    await pressOnce(app.stdin, ESC);
    await waitFor(() => /force quit cancelled/.test(frame()), 'the question answered');
    assert.match(bar(frame()), /\[6 Monitor\]/, 'Esc went to the question, not to the step');
    assert.deepEqual(forced, []);
    await pressOnce(app.stdin, ESC);
    await waitFor(() => /\[5 Launch\]/.test(bar(frame())), 'now Esc goes back');
  });
});

describe('the VM step offers what the host has', () => {
  test('name, disk image with its free space, a tap on the host\'s bridge, memory against free memory per node', async () => {
    const { app, frame, offer } = start({ initialScreen: 'plan' });
    await waitFor(() => /^memory 4 GiB ram on node 0: node 0 .* free of .* · host 40 GiB available$/m.test(frame()), 'memory against the nodes', 5000).catch((error: Error) => {
      throw new Error(`${error.message}\n${frame()}`);
    });
    assert.match(frame(), /^disk none \(d: add a disk image\)/m);
    assert.match(frame(), /^net user-mode \(NAT, no setup\) \(n: choose\)/m);

    await pressUntil(app.stdin, 'N', () => /VM name/.test(frame()), 'the name prompt');
    await pressOnce(app.stdin, '\u0015');
    await pressOnce(app.stdin, 'web1');
    await pressOnce(app.stdin, '\r');
    await waitFor(() => /^name web1 \(N: rename\)/m.test(frame()), 'the new name');

    await pressUntil(app.stdin, 'd', () => /Disk image \(Enter keeps it/.test(frame()), 'the disk prompt');
    assert.match(frame(), /Disk image .*: \.\/web1\.qcow2█/, 'a file named after the VM is proposed');
    await pressOnce(app.stdin, '\r');
    await waitFor(() => /321 GiB free of 500 GiB on \/srv \(xfs, on nvme0n1\s+SSD, Samsung SSD 980\s+PRO\s+1TB\)/.test(frame()), 'the free space of its filesystem');
    assert.match(frame(), /disk \.\/web1\.qcow2 \(d: change\) · ! new file: QEMU will not create it/);
    assert.ok(offer.asked.includes('disk ./web1.qcow2'));

    await pressUntil(app.stdin, 'n', () => /Network \(↑↓ Enter chooses, Esc cancels\)/.test(frame()), 'the network list');
    assert.match(frame(), /user-mode: NAT through the host \(out via br0\)/);
    assert.match(frame(), /tap kt-web1 on bridge br0 \(new tap\)/);
    assert.match(frame(), /tap tap7, on no bridge/);
    assert.match(frame(), /none: no network device/);
    await pressOnce(app.stdin, '\u001B[B');
    await waitFor(() => /❯ tap kt-web1 on bridge br0/.test(frame()), 'the tap highlighted');
    assert.match(frame().replace(/\n\s+/g, ' '), /ip tuntap add dev kt-web1 mode tap user \$USER && ip link set kt-web1 master br0 up/, 'what the host needs first');
    assert.match(frame(), /Esc closes this · Ctrl-C quits$/, 'the footer says the list has the keys');
    await pressOnce(app.stdin, '\r');
    await waitFor(() => /^net tap kt-web1 \(n: choose\) · ! no such interface on this host yet/m.test(frame()), 'the tap chosen');
    await pressUntil(app.stdin, '4', () => /qemu-system-x86_64/.test(frame()), 'the preview');
    assert.match(frame(), /-name guest=web1/);
    assert.match(frame(), /ifname=kt-web1/);
    await pressUntil(app.stdin, 'x', () => /<domain type="qemu">/.test(frame()), 'the XML');
  });

  test('a refused field is named and the last good value stays', async () => {
    const { app, frame } = start({ initialScreen: 'plan' });
    await waitFor(() => /preset balanced/.test(frame()), 'the plan');
    await pressUntil(app.stdin, 'N', () => /VM name/.test(frame()), 'the name prompt');
    await pressOnce(app.stdin, '/x');
    await pressOnce(app.stdin, '\r');
    await waitFor(() => /refused: --name: must not contain "\/"/.test(frame()), 'the refusal', 3000).catch((error: Error) => {
      throw new Error(`${error.message}\n${frame()}`);
    });
    assert.match(frame(), /^name balanced \(N: rename\)/m);
  });
});

describe('/ filters', () => {
  test('audit rows: typed letters are the filter (q does not quit, digits do not switch), Enter keeps it, Esc drops it', async () => {
    const { app, frame, exits } = start();
    await waitFor(() => /Host audit · \d+ checks: .* pass/.test(frame()) && !/checking…/.test(frame()), 'the audit done');
    await pressUntil(app.stdin, '/', () => /\/█ \(Enter keeps the filter/.test(frame()), 'the filter line');
    await pressOnce(app.stdin, 'q');
    await pressOnce(app.stdin, '2');
    assert.deepEqual(exits, [], 'q is a letter here');
    assert.match(bar(frame()), /\[1 Audit\]/, '2 is a letter here');
    assert.match(frame(), /Host audit · \/q2: 0 shown/);
    assert.match(frame(), /\/q2█/);
    await pressOnce(app.stdin, '\u007f');
    await pressOnce(app.stdin, '\u007f');
    await pressOnce(app.stdin, 'huge');
    await waitFor(() => /Host audit · \/huge: \d+ shown/.test(frame()), 'the huge page rows');
    const shown = frame().split('\n').filter((line) => /^[ ›][▸▾] [A-Z]{4} /.test(line));
    assert.ok(shown.length > 0 && shown.every((line) => /huge/i.test(line)), shown.join('\n'));
    await pressOnce(app.stdin, '\r');
    await waitFor(() => !/█/.test(frame()), 'the filter kept');
    assert.match(frame(), /Host audit · \/huge:/);
    await pressOnce(app.stdin, ESC);
    await waitFor(() => /Host audit · \d+ checks/.test(frame()), 'the filter dropped');
    await pressUntil(app.stdin, 'q', () => exits.length > 0, 'q quits again');
  });

  test('the preset list: / narrows it by name or description, the highlighted description is shown whole', async () => {
    const { app, frame, services } = start({ initialScreen: 'plan', size: { columns: 60, rows: 20 } });
    await waitFor(() => /preset balanced/.test(frame()), 'the plan');
    await pressUntil(app.stdin, 'p', () => /Preset: ↑↓ Enter or its number/.test(frame()), 'the preset list');
    const latency = services.presets.filter((preset) => /latency/i.test(`${preset.name} ${preset.description}`));
    assert.ok(latency.length > 0 && latency.length < services.presets.length);
    await pressUntil(app.stdin, '/', () => /\/█/.test(frame()), 'the filter');
    await pressOnce(app.stdin, 'latency');
    await pressOnce(app.stdin, '\r');
    await waitFor(() => new RegExp(`filter "latency": ${latency.length} of ${services.presets.length}`).test(frame()), 'the count');
    const items = frame().split('\n').filter((line) => /^[❯ ] \S/.test(line) && services.presets.some((preset) => line.slice(2).startsWith(preset.name)));
    assert.equal(items.length, latency.length, frame());
    assertFits(frame(), 60, 20, 'the filtered list at 60x20');
    const first = latency[0]!;
    const words = first.description.split(/\s+/);
    assert.ok(frame().replace(/\n\s*/g, ' ').includes(words.slice(-3).join(' ')), `the end of "${first.description}" is on screen:\n${frame()}`);
    await pressOnce(app.stdin, '\r');
    await waitFor(() => new RegExp(`preset ${first.name} `).test(frame()), 'the filtered preset chosen');
  });
});

describe('R reads the host again', () => {
  test('from any step: the facts are read afresh and the footer says so; the step stays', async () => {
    const base = capturedHostServices(fixtureRoot(XEON));
    let reads = 0;
    const services = { ...base, hostOffer: fakeHostOffer(), readHost: () => (reads++, base.readHost()) };
    const app = render(<Wizard services={services} host={services.readHost()} initialScreen="topology" />);
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /\[2 Topology\]/.test(frame()), 'the topology step');
    const before = reads;
    // Once: R must read the host exactly once per press.
    await pressOnce(app.stdin, 'R');
    await waitFor(() => /host facts read again/.test(frame()), 'the notice');
    assert.equal(reads, before + 1);
    assert.match(bar(frame()), /\[2 Topology\]/);
  });
});
