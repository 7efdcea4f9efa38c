/**
 * The audit view's reducer as data: keys decided against the latest state (two quick moves move
 * two rows; a move right after the filter moves among the filtered rows), the modal steps, and
 * the effect requests a key leaves for the hook.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckResult, CheckStatus } from '../../src/audit/types.js';
import { auditViewReducer, initialAuditView, selectedRow, type AuditKeyContext, type AuditRow, type AuditViewState } from '../../src/state/audit-view.js';
import { keyOf, splitKeyChunk } from '../../src/state/keys.js';

function row(id: string, status: CheckStatus | null, applicable = false): AuditRow {
  const result: CheckResult | null =
    status === null
      ? null
      : {
          id, title: id, category: 'cpu', needsRoot: false, why: '', status, evidence: `${id} evidence`, durationMs: 0,
          fix: status === 'pass' ? null : { runtime: ['true'], persistent: [], needsRoot: false, reboot: false, applicable, apply: applicable ? [{ argv: ['true'] }] : [] },
        };
  return { id, title: id, category: 'cpu', why: `why ${id}`, result };
}

const ROWS = [row('a', 'pass'), row('b', 'warn', true), row('c', 'info'), row('d', 'fail')];
const context = (overrides: Partial<AuditKeyContext> = {}): AuditKeyContext => ({
  rows: ROWS, pageSize: 2, scriptPath: './fixes.sh', canApply: true, applyDisabledReason: null, canContinue: true, canExit: false, ...overrides,
});
const press = (state: AuditViewState, input: string, ctx = context(), flags = {}) => auditViewReducer(state, { type: 'audit/key', key: keyOf(input, flags), context: ctx });
const pressAll = (state: AuditViewState, keys: string[], ctx = context()) => keys.reduce((next, key) => press(next, key, ctx), state);

test('two moves dispatched before any frame move two rows; the ends hold', () => {
  assert.equal(selectedRow(ROWS, pressAll(initialAuditView, ['j', 'j']))!.id, 'c');
  assert.equal(selectedRow(ROWS, pressAll(initialAuditView, ['j', 'j', 'j', 'j', 'j']))!.id, 'd');
  assert.equal(selectedRow(ROWS, pressAll(initialAuditView, ['k']))!.id, 'a');
  assert.equal(selectedRow(ROWS, press(initialAuditView, '', context(), { pageDown: true }))!.id, 'c');
  assert.equal(selectedRow(ROWS, pressAll(initialAuditView, ['G', 'g']))!.id, 'a');
});

test('a move right after the filter moves among the problems only', () => {
  const state = pressAll(initialAuditView, ['p', 'j']);
  assert.equal(state.onlyProblems, true);
  assert.equal(selectedRow(ROWS, state)!.id, 'd', 'b is the first problem, d the next');
});

test('Enter folds and unfolds the selected row', () => {
  const opened = pressAll(initialAuditView, ['j', '\r']);
  assert.deepEqual([...opened.expanded], ['b']);
  assert.deepEqual([...press(opened, '\r').expanded], []);
});

test('a asks first; y requests the apply once and blocks keys until it is done; n cancels', () => {
  const asking = pressAll(initialAuditView, ['j', 'a']);
  assert.deepEqual(asking.mode, { kind: 'confirm-apply', id: 'b' });
  assert.equal(asking.request, null, 'nothing runs before the answer');
  const declined = press(asking, 'n');
  assert.deepEqual([declined.mode.kind, declined.message?.text, declined.request], ['list', 'not applied', null]);
  const applying = press(asking, 'y');
  assert.deepEqual(applying.mode, { kind: 'applying', id: 'b' });
  assert.deepEqual(applying.request, { seq: 1, kind: 'apply', id: 'b' });
  assert.equal(pressAll(applying, ['j', 'y', 'p']), applying, 'keys are ignored while applying');
  const taken = auditViewReducer(applying, { type: 'audit/request-taken', seq: 1 });
  assert.equal(taken.request, null);
  const done = auditViewReducer(auditViewReducer(taken, { type: 'audit/applied', id: 'b' }), { type: 'audit/rechecked', id: 'b', before: 'warn', after: 'pass' });
  assert.deepEqual([done.mode.kind, done.message?.text], ['list', 'b: applied; warn → pass']);
});

test('a on a row without a runtime fix, or where nothing may be applied, says why', () => {
  assert.match(pressAll(initialAuditView, ['G', 'a']).message!.text, /^d: nothing kvm-tui can apply \(w: fix script\)$/);
  const refused = pressAll(initialAuditView, ['j', 'a'], context({ canApply: false, applyDisabledReason: 'captured host' }));
  assert.deepEqual([refused.mode.kind, refused.message?.text], ['list', 'captured host']);
});

test('a message about a row goes when the cursor leaves that row; one about the whole audit stays', () => {
  const said = pressAll(initialAuditView, ['G', 'a']);
  assert.match(said.message!.text, /^d: nothing kvm-tui can apply/);
  assert.equal(press(said, 'G').message, said.message, 'still on d');
  assert.equal(press(said, 'k').message, null, 'left d');
  const written = auditViewReducer(initialAuditView, { type: 'audit/script-written', file: './fixes.sh', fixes: 2 });
  assert.equal(press(written, 'j').message, written.message);
});

test('w requests a write; an existing file asks, o overwrites, n takes the free name, Esc cancels', () => {
  const first = press(initialAuditView, 'w');
  assert.deepEqual(first.request, { seq: 1, kind: 'write-script', file: './fixes.sh', overwrite: false });
  const exists = auditViewReducer(first, { type: 'audit/script-exists', file: './fixes.sh', alternative: './fixes-2.sh' });
  assert.deepEqual(press(exists, 'o').request, { seq: 2, kind: 'write-script', file: './fixes.sh', overwrite: true });
  assert.deepEqual(press(exists, 'n').request, { seq: 2, kind: 'write-script', file: './fixes-2.sh', overwrite: false });
  const cancelled = press(exists, '\u001B');
  assert.deepEqual([cancelled.mode.kind, cancelled.message?.text], ['list', 'script not written']);
});

test('c asks to continue only where continuing means something', () => {
  assert.equal(press(initialAuditView, 'c').request?.kind, 'continue');
  assert.equal(press(initialAuditView, 'c', context({ canContinue: false })).request, null);
});

test('a chunk of typed keys is one key per character; an arrow stays one key', () => {
  assert.deepEqual(splitKeyChunk(keyOf('jjk')).map((key) => key.input), ['j', 'j', 'k']);
  assert.equal(splitKeyChunk({ input: '', downArrow: true }).length, 1);
  assert.equal(splitKeyChunk({ input: 'ab', ctrl: true }).length, 1);
});

test('/ filters the rows: typed keys are the filter (q, p, j too), the cursor moves among the matches, Esc drops it', () => {
  let state = press(initialAuditView, '/');
  assert.equal(state.mode.kind, 'filter');
  state = pressAll(state, ['F', 'a', 'i', ' ', 'e', 'v']);
  assert.equal(state.filter, 'Fai ev', 'a (apply) and the others are letters here');
  assert.equal(state.mode.kind, 'filter');
  // "fai"(l) is row d's status only; "ev"(idence) is in every row's evidence.
  assert.equal(selectedRow(ROWS, state)!.id, 'd');
  state = press(state, '', context(), { backspace: true });
  assert.equal(state.filter, 'Fai e');
  state = press(state, '\r');
  assert.deepEqual([state.mode.kind, state.filter], ['list', 'Fai e'], 'Enter keeps the filter');
  assert.equal(press(state, 'j').cursorId, 'd', 'one row shown: j stays on it');
  const typedQ = pressAll(press(initialAuditView, '/'), ['q']);
  assert.equal(typedQ.filter, 'q');
  assert.equal(typedQ.request, null, 'nothing but the filter happened');
  state = press(state, '\u001B');
  assert.deepEqual([state.mode.kind, state.filter], ['list', ''], 'Esc in the list drops a kept filter');
  assert.equal(selectedRow(ROWS, state)!.id, 'a');
  const cleared = pressAll(initialAuditView, ['/', 'x', '\u001B']);
  assert.deepEqual([cleared.mode.kind, cleared.filter], ['list', ''], 'Esc while typing drops it too');
});
