/**
 * With colour off (--no-color, NO_COLOR, TERM=dumb: applyColorChoice(false), as the interactive
 * entries do) every screen draws no escape sequence at all, not even inverse video, and what
 * colour would add is still there in text: the current step in brackets, the shown Preview
 * format in brackets, the selected audit row (›), the highlighted preset and network (❯), the
 * core-map cursor (>) and what each CPU holds (v0, E), the chosen fleet domain (>), the VM's state
 * as a word, the help of the current screen. Each mark is checked to move with its key, so a
 * mark drawn only in inverse video (lost here) fails. The same frames with colour on do carry
 * escapes (else the test would prove nothing).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import React from 'react';
import chalk from 'chalk';
import { cleanup, render } from 'ink-testing-library';
import { Wizard } from '../../components/Wizard.js';
import { FleetScreen, type FleetModel } from '../../components/screens/FleetScreen.js';
import { applyColorChoice } from '../../components/terminal/screen.js';
import type { MonitorServices } from '../../src/app/monitor-services.js';
import type { FleetHostState } from '../../src/monitor/fleet.js';
import { idleMonitorControl } from '../helpers/fake-monitor-control.js';
import { fixtureRoot } from '../helpers/fixture-root.js';
import { waitFor } from '../helpers/ink.js';
import { fakeRecord } from '../helpers/vm-records.js';
import { capturedHostServices } from '../helpers/wizard-services.js';
import { fakeHostOffer, pressOnce, pressUntil } from './wizard-helpers.js';

afterEach(() => cleanup());

const XEON = 'hwloc-32intel64-2p8co2t+8ve';
const ESC = '\u001B';
const DOWN = '\u001B[B';

/** The frame as the terminal gets it: with colour off it must be plain already. */
function start(initialScreen = 'audit', extra: Record<string, unknown> = {}) {
  const base = capturedHostServices(fixtureRoot(XEON));
  const services = { ...base, hostOffer: fakeHostOffer(), ...extra } as typeof base;
  const app = render(<Wizard services={services} host={services.readHost()} initialScreen={initialScreen} color={false} size={{ columns: 100, rows: 40 }} />);
  const frame = () => app.lastFrame() ?? '';
  return { app, frame };
}

/** Escape sequences in a frame (colours, inverse, bold). */
const escapes = (frame: string) => frame.split(ESC).length - 1;
const bar = (frame: string) => frame.split('\n')[1] ?? '';
/** Lines of a frame that start with a mark. */
const marked = (frame: string, mark: string) => frame.split('\n').filter((line) => line.startsWith(mark));

function assertPlain(frame: string, what: string): void {
  assert.equal(escapes(frame), 0, `${what}: no escape sequence with colour off:\n${JSON.stringify(frame.slice(0, 400))}`);
}

/** The current step is in brackets, once. */
function assertStep(frame: string, step: string): void {
  assert.deepEqual(bar(frame).match(/\[\d [A-Za-z]+\]/g), [`[${step}]`], `the step bar: ${bar(frame)}`);
}

describe('colour on: the frames do carry escapes (the check below can fail)', () => {
  test('the audit with chalk at full colour has colour and inverse video', async () => {
    const level = chalk.level;
    chalk.level = 3;
    try {
      const { frame } = start();
      await waitFor(() => /Host audit · \d+ checks/.test(frame()), 'the audit');
      assert.ok(escapes(frame()) > 0, 'colour drawn');
      assert.ok(frame().includes(`${ESC}[7m`), 'inverse video on the step and the selected row');
    } finally {
      chalk.level = level;
    }
  });
});

describe('colour off: every screen is plain text and its marks are in text', () => {
  test('audit: the step, the selected row (›) moves with ↓, row states are words, Enter opens the row (▾)', async () => {
    applyColorChoice(false);
    const { app, frame } = start();
    await waitFor(() => /Host audit · \d+ checks/.test(frame()) && !/checking…/.test(frame()), 'the audit done');
    assertPlain(frame(), 'the audit');
    assertStep(frame(), '1 Audit');
    const first = marked(frame(), '›');
    assert.equal(first.length, 1, frame());
    assert.match(first[0]!, /^›▸ (PASS|WARN|FAIL|INFO|SKIP) /, 'the state as a word');
    await pressUntil(app.stdin, DOWN, () => marked(frame(), '›')[0] !== first[0], 'the selection to move', frame);
    assert.equal(marked(frame(), '›').length, 1, 'still one selected row');
    assert.match(frame(), new RegExp(`^ ▸ ${first[0]!.slice(3, 20).replace(/[()[\]./\\]/g, '\\$&')}`, 'm'), 'the row left is unmarked');
    await pressUntil(app.stdin, '\r', () => /^›▾ /m.test(frame()), 'the row opened', frame);
    assertPlain(frame(), 'an opened row');
    assert.match(frame(), /^c next · 1-6 jump · \? help · q quit$/m);
  });

  test('help overlay: the current step stays marked, the help of that screen is shown, plain', async () => {
    applyColorChoice(false);
    const { app, frame } = start('plan');
    await waitFor(() => /preset balanced/.test(frame()), 'the plan');
    await pressUntil(app.stdin, '?', () => /^Plan \(the VM\)$/m.test(frame()), 'the help', frame);
    assertPlain(frame(), 'the help');
    assertStep(frame(), '3 Plan');
    assert.match(frame(), /^ {2}e {21}edit the core map/m);
    assert.match(frame(), /^(any key closes the help|help 1-\d+\/\d+: ↑↓ Space scroll · other keys close)$/m);
  });

  test('VM step: the map marks in text (v0, the legend); the highlighted preset and network (❯) move with ↓', async () => {
    applyColorChoice(false);
    const { app, frame } = start('plan');
    await waitFor(() => /preset balanced/.test(frame()) && /^net /m.test(frame()), 'the plan');
    assertPlain(frame(), 'the plan');
    assertStep(frame(), '3 Plan');
    assert.match(frame(), /^map: vN vCPU E emulator IN iothread N\* isolated/m, 'the map legend says what each mark is');
    assert.match(frame(), /\[ ?1:v0/, 'vCPU 0 drawn on its CPU in text');
    await pressUntil(app.stdin, 'p', () => /Preset: ↑↓ Enter/.test(frame()), 'the preset list', frame);
    assertPlain(frame(), 'the preset list');
    assert.deepEqual(marked(frame(), '❯').map((line) => line.split(/\s+/)[1]), ['balanced']);
    await pressOnce(app.stdin, DOWN);
    await waitFor(() => marked(frame(), '❯')[0]?.split(/\s+/)[1] !== 'balanced', 'the highlight to move');
    assert.equal(marked(frame(), '❯').length, 1);
    await pressOnce(app.stdin, ESC);
    await pressUntil(app.stdin, 'n', () => /Network \(/.test(frame()), 'the network list', frame);
    assertPlain(frame(), 'the network list');
    assert.match(marked(frame(), '❯').join('\n'), /^❯ user-mode/);
    await pressOnce(app.stdin, DOWN);
    await waitFor(() => /^❯ tap /m.test(frame()), 'the tap highlighted');
    assert.equal(marked(frame(), '❯').length, 1);
  });

  test('core map: the topology step, then the editor\'s cursor (>) on one cell, moving with →', async () => {
    applyColorChoice(false);
    const { app, frame } = start('topology');
    await waitFor(() => /node 1/.test(frame()), 'the core map');
    assertPlain(frame(), 'the topology');
    assertStep(frame(), '2 Topology');
    assert.match(frame(), /\[ 0\|16\]/);
    await pressUntil(app.stdin, '3', () => /preset balanced/.test(frame()), 'the plan', frame);
    await pressUntil(app.stdin, 'e', () => /edit vCPU 0 /.test(frame()), 'the editor', frame);
    assertPlain(frame(), 'the editor');
    // A cell is "[ 1:v0|17:v1]"; the cursor is a ">" before one of its threads.
    const cursorCells = () => frame().match(/\[[^\]\n]*>[^\]\n]*\]/g) ?? [];
    const cpuAt = () => Number(/→ CPU (\d+)/.exec(frame())?.[1]);
    assert.equal(cursorCells().length, 1, `one cursor cell:\n${frame()}`);
    assert.match(cursorCells()[0]!, new RegExp(`>\\s*${cpuAt()}\\b`));
    const from = cpuAt();
    await pressUntil(app.stdin, '\u001B[C', () => cpuAt() !== from, 'the cursor to move', frame);
    assert.equal(cursorCells().length, 1);
    assert.match(cursorCells()[0]!, new RegExp(`>\\s*${cpuAt()}\\b`), 'the ">" follows the cursor');
    assert.match(frame(), /^Esc closes the editor · 1-6 jump · \? help · q quit$/m);
  });

  test('preview: the shown format in brackets, one at a time', async () => {
    applyColorChoice(false);
    const { app, frame } = start('preview');
    await waitFor(() => /qemu-system-x86_64/.test(frame()), 'the preview');
    assertPlain(frame(), 'the preview');
    assertStep(frame(), '4 Preview');
    const tabs = () => (/^(.*)lines \d+-\d+\/\d+$/m.exec(frame())?.[1] ?? '').match(/\[[exs] [^\]]+\]/g);
    assert.deepEqual(tabs(), ['[e QEMU]']);
    await pressUntil(app.stdin, 'x', () => /<domain /.test(frame()), 'the XML', frame);
    assert.deepEqual(tabs(), ['[x libvirt XML]']);
    await pressUntil(app.stdin, 's', () => /^#!\/bin\/bash/m.test(frame()), 'the pin script', frame);
    assert.deepEqual(tabs(), ['[s pin script]']);
    assertPlain(frame(), 'the pin script');
  });

  test('launch and monitor: the steps marked, the VM\'s state a word that changes with p', async () => {
    applyColorChoice(false);
    const record = fakeRecord('/run/kvm-tui/vms/balanced-1', { name: 'balanced' });
    const listeners = new Set<() => void>();
    const control = idleMonitorControl({
      onChange: (listener: () => void) => (listeners.add(listener), () => void listeners.delete(listener)),
      pause: async () => {
        control.state = 'paused';
        for (const listener of listeners) listener();
      },
    });
    const monitorServices = (): MonitorServices => ({
      // Timers run at once: the pane's redraw for a control change is not held back.
      clock: { now: () => record.startedAtMs, setTimeout: (callback: () => void) => (setImmediate(callback), 0), clearTimeout: () => undefined, sleep: async () => undefined },
      control,
      startSampler: () => () => undefined,
      cleanUpExited: () => null,
    });
    const { app, frame } = start('launch', { launchDisabledReason: null, launch: async () => record, monitorServices });
    await waitFor(() => /Enter \(or L\) launches it/.test(frame()), 'the launch step');
    assertPlain(frame(), 'the launch step');
    assertStep(frame(), '5 Launch');
    await pressUntil(app.stdin, '\r', () => /\[RUNNING\]/.test(frame()), 'the live pane', frame);
    assertPlain(frame(), 'the monitor');
    assertStep(frame(), '6 Monitor');
    assert.match(frame(), /^(kvm-tui monitor {2})?balanced {2}\[RUNNING\] {2}tcg /m);
    assert.match(frame(), /^p pause\/resume {2}s shutdown/m);
    await pressUntil(app.stdin, 'p', () => /\[PAUSED\]/.test(frame()), 'the paused state', frame);
    assertPlain(frame(), 'the paused monitor');
  });
});

describe('colour off: the fleet pane', () => {
  function host(uri: string, names: string[]): FleetHostState {
    return {
      uri,
      status: 'ok',
      domains: names.map((name, index) => ({ info: { name, state: 'running', vcpuPins: new Map([[0, [index + 1]]]), emulatorPins: [0], iothreadPins: new Map(), plan: null }, rates: null, drift: index === 1 ? ['vCPU 0 on 0,1, planned 2'] : [] })),
      error: null,
      updatedAtMs: 0,
      retryAtMs: null,
      failures: 0,
    };
  }

  test('the chosen domain is marked ">" and moves with j; drift is a word', async () => {
    applyColorChoice(false);
    const hosts = [host('qemu+ssh://a/system', ['web', 'db'])];
    const fleet: FleetModel = {
      start: () => undefined,
      stop: () => undefined,
      retryNow: () => undefined,
      control: async () => '',
      hosts: () => hosts,
      subscribe: () => () => undefined,
      now: () => 0,
    };
    const app = render(<FleetScreen fleet={fleet} color={false} />);
    const frame = () => app.lastFrame() ?? '';
    await waitFor(() => /> web/.test(frame()), 'the first domain chosen');
    assertPlain(frame(), 'the fleet');
    assert.deepEqual(marked(frame(), '> ').map((line) => line.split(/\s+/)[1]), ['web']);
    assert.match(frame(), /^ {2}db .*DRIFT: vCPU 0 on 0,1, planned 2/m);
    await pressUntil(app.stdin, 'j', () => /^> db/m.test(frame()), 'db chosen', frame);
    assert.deepEqual(marked(frame(), '> ').map((line) => line.split(/\s+/)[1]), ['db']);
    assert.match(frame(), /^ {2}web /m);
    assertPlain(frame(), 'the fleet after j');
  });
});
