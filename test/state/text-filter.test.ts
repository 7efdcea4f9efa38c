import assert from 'node:assert/strict';
import { test } from 'node:test';
import { editFilter, matchesFilter } from '../../src/state/text-filter.js';
import { keyOf } from '../../src/state/keys.js';

test('every word must appear in some field, in any case and order', () => {
  assert.equal(matchesFilter('', ['anything']), true);
  assert.equal(matchesFilter('HUGE 1g', ['Huge pages reserved', 'memory.hugepages-1G']), true);
  assert.equal(matchesFilter('huge 2m', ['Huge pages reserved', 'memory.hugepages-1G']), false);
  assert.equal(matchesFilter('warn', ['title', null, undefined, 'warn']), true);
});

test('typing edits the filter; Enter keeps it, Esc drops it; control characters never enter', () => {
  assert.deepEqual(editFilter('ab', keyOf('c')), { text: 'abc' });
  assert.deepEqual(editFilter('ab', { input: '', delete: true }), { text: 'a' });
  assert.deepEqual(editFilter('ab', { input: '', backspace: true }), { text: 'a' });
  assert.deepEqual(editFilter('ab', { input: 'u', ctrl: true }), { text: '' });
  assert.deepEqual(editFilter('ab', keyOf('\r')), { text: 'ab', done: 'keep' });
  assert.deepEqual(editFilter('ab', keyOf('\u001B')), { text: '', done: 'clear' });
  assert.equal(editFilter('ab', { input: '', upArrow: true }), null);
  assert.deepEqual(editFilter('', keyOf('a\u0007b')), { text: 'ab' });
});
