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

const SIX = ['audit', 'topology', 'plan', 'preview', 'launch', 'monitor'];
const step = (state: AppState, input: string, flags = {}, options: { modal?: boolean; enterGoesOn?: boolean; locked?: boolean } = {}) =>
  appReducer(state, { type: 'nav/key', key: keyOf(input, flags), screenIds: SIX, lockedWhenTyped: options.locked ?? false, modalWhenTyped: options.modal ?? false, enterGoesOn: options.enterGoesOn ?? true });

test('c and Enter go on one step, Esc back one, never past the ends', () => {
  const at = (screen: string) => ({ ...start(), screen });
  assert.equal(step(at('audit'), 'c').screen, 'topology');
  assert.equal(step(at('topology'), '\r').screen, 'plan');
  assert.equal(step(at('preview'), 'c').screen, 'launch');
  assert.equal(step(at('launch'), 'c').screen, 'monitor');
  const last = at('monitor');
  assert.equal(step(last, 'c'), last, 'the last step stays, same state');
  assert.equal(step(at('plan'), '\u001B').screen, 'topology');
  assert.equal(step(at('topology'), '\u001B').screen, 'audit');
  const first = at('audit');
  assert.equal(step(first, '\u001B'), first, 'the first step stays');
});

test('Enter goes on only where it has no job of its own; c always', () => {
  const audit = start();
  assert.equal(step(audit, '\r', {}, { enterGoesOn: false }), audit, 'Enter opens a row on the audit');
  assert.equal(step(audit, 'c', {}, { enterGoesOn: false }).screen, 'topology');
});

test('going back keeps the edits: sizing and the map survive Esc and return', () => {
  let state: AppState = { ...start(), screen: 'plan' };
  state = appReducer(state, { type: 'plan/override', overrides: { vcpus: '3', name: 'web', disks: ['/tmp/a.qcow2'] } });
  state = step(step(state, '\u001B'), 'c');
  assert.equal(state.screen, 'plan');
  assert.deepEqual(state.overrides, { vcpus: '3', name: 'web', disks: ['/tmp/a.qcow2'] });
});

test('something open inside the screen takes Esc, Enter and c; digits still jump; typed text locks everything', () => {
  const plan: AppState = { ...start(), screen: 'plan', mapEditing: true };
  assert.equal(step(plan, '\u001B', {}, { modal: true }), plan, 'Esc closes the editor only');
  assert.equal(step(plan, '\r', {}, { modal: true }), plan, 'Enter assigns in the editor');
  assert.equal(step(plan, 'c', {}, { modal: true }), plan);
  assert.equal(step(plan, '4', {}, { modal: true }).screen, 'preview');
  assert.equal(step(plan, '4', {}, { locked: true }), plan, 'a digit typed into a filter is a letter');
});

test('the map editor and the preset filter are app state; a closing picker stops typing', () => {
  let state = appReducer(start(), { type: 'plan/edit-map', open: true });
  assert.equal(state.mapEditing, true);
  state = appReducer(state, { type: 'plan/edit-map', open: false });
  assert.equal(state.mapEditing, false);
  assert.equal(appReducer(state, { type: 'plan/preset-filter', text: 'x', typing: true }), state, 'no filter while the picker is closed');
  state = appReducer(state, { type: 'plan/open-picker' });
  state = appReducer(state, { type: 'plan/preset-filter', text: 'lat', typing: true });
  assert.deepEqual(state.presetFilter, { text: 'lat', typing: true });
  state = appReducer(state, { type: 'plan/close-picker' });
  assert.deepEqual(state.presetFilter, { text: 'lat', typing: false }, 'the text is kept for the next time, the typing ends');
});
