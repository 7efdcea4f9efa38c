/**
 * The core-map editor on the Plan step (ink-testing-library, a captured 2-socket Xeon at 80
 * columns): the cursor moves on the grid both ways, housekeeping CPUs carry a mark in text, u
 * clears one vCPU, E and I place the emulator and the iothreads by hand, a and s rebuild the map
 * with a strategy, and the help overlay lists these keys.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { Wizard, WIZARD_HELP } from '../../components/Wizard.js';
import { fixtureRoot } from '../helpers/fixture-root.js';
import { plain, waitFor } from '../helpers/ink.js';
import { capturedHostServices } from '../helpers/wizard-services.js';
import { assertFits, pressOnce, pressUntil } from './wizard-helpers.js';

afterEach(() => cleanup());

const XEON = 'hwloc-32intel64-2p8co2t+8ve';
const SIZE = { columns: 80, rows: 40 };

async function openEditor() {
  const services = capturedHostServices(fixtureRoot(XEON));
  const app = render(<Wizard services={services} host={services.readHost()} size={SIZE} />);
  const frame = () => plain(app.lastFrame());
  await waitFor(() => /Host audit/.test(frame()), 'the audit screen');
  await pressUntil(app.stdin, '3', () => /preset balanced/.test(frame()), 'the plan screen', frame);
  await pressUntil(app.stdin, 'e', () => /edit vCPU 0/.test(frame()), 'the editor', frame);
  /** The CPU under the cursor, as the key line names it. */
  const cursor = () => Number(/edit vCPU \d+ \(,\/\.\) → CPU (\d+)/.exec(frame())?.[1]);
  /** The vCPUs' CPUs, the emulator's, the iothreads', as the summary line says them. */
  const placed = () => /^\d+ vCPUs \S+ · on (\S+)/m.exec(frame())?.[1] ?? '';
  const emulator = () => / · emulator (\S+)/.exec(frame())?.[1] ?? '';
  const cursorRow = () => frame().split('\n').findIndex((line) => /\[[^\]]*>/.test(line));
  return { app, frame, cursor, placed, emulator, cursorRow };
}

describe('core-map editor', () => {
  test('housekeeping CPUs are marked "h" with a legend entry; ? lists the editor\'s keys', async () => {
    const { app, frame } = await openEditor();
    assert.match(frame(), /Nh housekeeping/);
    assert.match(frame(), /\[\s*0h(:E)?\|/, 'CPU 0 is housekeeping: marked in text');
    assertFits(frame(), SIZE.columns, SIZE.rows, 'the editor at 80 columns');
    await pressUntil(app.stdin, '?', () => /arrows, h j k l/.test(frame()), 'the help', frame);
    for (const line of [/u, Backspace\s+clear the vCPU/, /E \/ I\s+emulator \/ iothreads/, /a \/ s\s+auto-assign: the compact \/ spread/]) assert.match(frame(), line);
    assert.ok(WIZARD_HELP.plan!.some((line) => /Nh housekeeping/.test(line)), 'the marks are in the help too');
  });

  test('down and up (arrows and j/k) move the cursor between rows of cells, left/right (h/l) along them', async () => {
    const { app, frame, cursor, cursorRow } = await openEditor();
    const start = cursor();
    const row = cursorRow();
    await pressUntil(app.stdin, 'j', () => cursorRow() > row, 'the cursor a row down', frame);
    await pressUntil(app.stdin, '\u001B[A', () => cursorRow() === row, 'the cursor back up', frame);
    assert.equal(cursor(), start);
    await pressUntil(app.stdin, '\u001B[B', () => cursorRow() > row, 'down with the arrow', frame);
    await pressUntil(app.stdin, 'k', () => cursorRow() === row, 'up with k', frame);
    await pressUntil(app.stdin, 'l', () => cursor() !== start, 'right with l', frame);
    await pressUntil(app.stdin, 'h', () => cursor() === start, 'left with h', frame);
  });

  test('u clears one vCPU: moved by hand, it goes back where the strategy puts it', async () => {
    const { app, frame, cursor, placed } = await openEditor();
    const before = placed();
    await pressUntil(app.stdin, 'j', () => !before.split(/[,-]/).includes(String(cursor())), 'a CPU no vCPU is on', frame);
    const target = cursor();
    await pressUntil(app.stdin, '\r', () => new RegExp(`>\\s*${target}h?:v0`).test(frame()), `vCPU 0 on CPU ${target}`, frame);
    assert.notEqual(placed(), before);
    await pressUntil(app.stdin, 'u', () => placed() === before, 'vCPU 0 back on its CPU', frame);
    assert.doesNotMatch(frame(), new RegExp(`>\\s*${target}h?:v0`));
  });

  test('E puts the emulator on the cursor\'s CPU and takes it off again; I needs an iothread, then places them', async () => {
    const { app, frame, cursor, emulator } = await openEditor();
    const automatic = emulator();
    await pressUntil(app.stdin, 'l', () => String(cursor()) !== automatic, 'a CPU off the emulator', frame);
    const target = String(cursor());
    await pressUntil(app.stdin, 'E', () => emulator() === target, `the emulator on CPU ${target}`, frame);
    assert.match(frame(), new RegExp(`>\\s*${target}:v\\d+\\+E`), 'drawn on the map');
    await pressUntil(app.stdin, 'E', () => emulator() === automatic, 'the emulator back on housekeeping', frame);
    await pressUntil(app.stdin, 'I', () => /refused: the VM has no iothreads: a disk \(d\) gets one/.test(frame()), 'the refusal', frame);
    // A disk (balanced gives each disk an iothread), then I places io0 on the cursor's CPU.
    await pressUntil(app.stdin, '\u001B', () => /size: \+\/- vCPUs/.test(frame()), 'the editor closed', frame);
    await pressUntil(app.stdin, 'd', () => /Disk image/.test(frame()), 'the disk prompt', frame);
    await pressOnce(app.stdin, '\r');
    await waitFor(() => / · io \S+/.test(frame()), 'an iothread');
    await pressUntil(app.stdin, 'e', () => /edit vCPU 0/.test(frame()), 'the editor again', frame);
    const io = String(cursor());
    await pressUntil(app.stdin, 'I', () => new RegExp(` · io ${io} `).test(frame()), `io0 on CPU ${io}`, frame);
    assert.match(frame(), new RegExp(`>\\s*${io}:v\\d+\\+I0`));
  });

  test('s rebuilds the map with the spread strategy, a with compact; x returns to the spec\'s own', async () => {
    const { app, frame, placed } = await openEditor();
    const compact = placed();
    await pressUntil(app.stdin, 's', () => placed() !== compact, 'the spread map', frame);
    const spread = placed();
    await pressUntil(app.stdin, 'a', () => placed() === compact, 'the compact map again', frame);
    await pressUntil(app.stdin, 's', () => placed() === spread, 'spread again', frame);
    await pressUntil(app.stdin, 'x', () => placed() === spread, 'x keeps the strategy chosen last', frame);
  });
});
