import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backingOfPageOption, pageOptionOf } from '../../src/shared/page-sizes.js';
import { wrapText } from '../../src/shared/text.js';

describe('wrapText', () => {
  it('packs words greedily, continuation lines indented, white space collapsed', () => {
    assert.deepEqual(wrapText('one  two\tthree four', 10, '  '), ['one two', '  three', '  four']);
    assert.deepEqual(wrapText('', 10), ['']);
  });

  it('cuts a word longer than the line, or keeps it whole on its own line', () => {
    assert.deepEqual(wrapText('ab abcdefghij cd', 6, ' ', 'cut'), ['ab', ' abcde', ' fghij', ' cd']);
    assert.deepEqual(wrapText('ab /a/long/path cd', 6, ' ', 'overflow'), ['ab', ' /a/long/path', ' cd']);
  });

  it('keepSpacing keeps the indent and column gaps; breakAfterComma breaks a CPU list after a comma, never inside a number', () => {
    assert.deepEqual(wrapText('    L3 #0  cpus 0-3,8-11,16-19', 22, '      ', 'overflow', { keepSpacing: true, breakAfterComma: true }), [
      '    L3 #0  cpus 0-3,',
      '      8-11,16-19',
    ]);
    // The line's own indent is not a place to break, even before a word longer than the line.
    assert.deepEqual(wrapText('      c0[0,1] c1[2,3]', 12, '      ', 'overflow', { keepSpacing: true }), ['      c0[0,1]', '      c1[2,3]']);
  });
});

describe('pageOptionOf', () => {
  it('is the inverse of backingOfPageOption', () => {
    for (const option of ['none', '2M', '1G'] as const) assert.equal(pageOptionOf(backingOfPageOption(option)!), option);
  });
});
