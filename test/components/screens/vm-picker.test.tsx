/** The VM picker `kvm-tui monitor` shows when several VMs run: one row each, Enter picks, q/Esc leave, Ctrl-C interrupts. */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { VmPicker } from '../../../components/screens/VmPicker.js';
import type { VmRecord } from '../../../src/registry/vm-record.js';
import { KEY, plain, waitFor } from '../../helpers/ink.js';
import { pressOnce, pressUntil } from '../wizard-helpers.js';
import { fakeRecord } from '../../helpers/vm-records.js';

afterEach(() => cleanup());

const records: VmRecord[] = [fakeRecord('/run/kvm-tui/vms/web-1'), { ...fakeRecord('/run/kvm-tui/vms/db-1'), name: 'db', pid: 5151 }];

test('a row per VM; down and Enter pick the second', async () => {
  let picked: string | null = null;
  const app = render(<VmPicker records={records} onPick={(record) => (picked = record.name)} onLeave={() => assert.fail('left')} />);
  const frame = () => plain(app.lastFrame());
  await waitFor(() => /2 VMs started by kvm-tui run here/.test(frame()), 'the list');
  assert.match(frame(), /web {2}pid 4242 {2}2 vCPU {2}256 MiB {2}tcg/);
  assert.match(frame(), /db {2}pid 5151/);
  // A key right after the first frame can reach Ink before the list subscribed (see pressUntil).
  await pressUntil(app.stdin, KEY.down, () => /❯ db/.test(frame()), 'the second row chosen', frame);
  await pressOnce(app.stdin, KEY.enter);
  await waitFor(() => picked !== null, 'a pick');
  assert.equal(picked, 'db');
});

test('q and Esc leave; Ctrl-C interrupts', async () => {
  for (const key of ['q', KEY.escape]) {
    let left = false;
    const app = render(<VmPicker records={records} onPick={() => assert.fail('picked')} onLeave={() => (left = true)} />);
    await pressUntil(app.stdin, key, () => left, `leaving with ${JSON.stringify(key)}`);
    cleanup();
  }
  let interrupted = false;
  const app = render(<VmPicker records={records} onPick={() => assert.fail('picked')} onLeave={() => undefined} onInterrupt={() => (interrupted = true)} />);
  await pressUntil(app.stdin, '\u0003', () => interrupted, 'Ctrl-C');
});
