/** The app reducer as data: navigation, the preset picker's lock, audit results kept across screens. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appReducer, initialAppState, type AppState } from '../../src/state/app-state.js';
import { keyOf } from '../../src/state/keys.js';

const SCREENS = ['audit', 'topology', 'plan', 'preview'];
const start = () => initialAppState({ screen: 'audit', presetName: 'balanced' });
const nav = (state: AppState, input: string, flags = {}, lockedWhenTyped = false) =>
  appReducer(state, { type: 'nav/key', key: keyOf(input, flags), screenIds: SCREENS, lockedWhenTyped });

test('digits pick a screen, Tab and Shift-Tab cycle, other keys leave it', () => {
  assert.equal(nav(start(), '3').screen, 'plan');
  assert.equal(nav(start(), '9').screen, 'audit');
  assert.equal(nav(start(), '', { tab: true }).screen, 'topology');
  assert.equal(nav(start(), '', { tab: true, shift: true }).screen, 'preview');
  const before = start();
  assert.equal(nav(before, 'j'), before, 'the same state, so nothing re-renders');
});

test('the open picker locks navigation; a choice counts only while it is open', () => {
  const picking = appReducer(nav(start(), '3'), { type: 'plan/open-picker' });
  assert.equal(nav(picking, '1').screen, 'plan');
  const chosen = appReducer(picking, { type: 'plan/choose', presetName: 'low-latency' });
  assert.deepEqual([chosen.presetName, chosen.picking], ['low-latency', false]);
  // The digit that chose the preset reaches the frame too, typed while the picker was open.
  assert.equal(nav(chosen, '2', {}, true).screen, 'plan');
  const late = appReducer(chosen, { type: 'plan/choose', presetName: 'balanced' });
  assert.equal(late.presetName, 'low-latency', 'a closed picker chooses nothing');
});

test('audit results and the audit cursor survive screen switches', () => {
  const result = { id: 'cpu.governor', title: 'g', category: 'cpu' as const, needsRoot: false, why: '', status: 'warn' as const, evidence: '', fix: null, durationMs: 0 };
  let state = appReducer(start(), { type: 'audit/result', result });
  state = appReducer(state, { type: 'audit/key', key: keyOf('p'), context: { rows: [], pageSize: 1, scriptPath: 'x', canApply: false, applyDisabledReason: null, canContinue: false, canExit: false } });
  state = nav(nav(state, '2'), '1');
  assert.equal(state.audit.results.get('cpu.governor')?.status, 'warn');
  assert.equal(state.audit.view.onlyProblems, true);
  const rerun = appReducer(state, { type: 'audit/rerun-started', id: 'cpu.governor' });
  assert.equal(rerun.audit.results.has('cpu.governor'), false);
});
