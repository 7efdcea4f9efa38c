import assert from 'node:assert/strict';
import { test } from 'node:test';
import { osc52Copy } from '../../src/shared/osc52.js';

test('osc52Copy: ESC ] 52 ; c ; base64 of the UTF-8 text, ended by BEL', () => {
  assert.equal(osc52Copy('hi'), '\u001B]52;c;aGk=\u0007');
  const text = 'qemu-system-x86_64 \\\n  -name guest=vm-é,debug-threads=on\n';
  const sequence = osc52Copy(text);
  assert.match(sequence, /^\u001B\]52;c;[A-Za-z0-9+/=]+\u0007$/);
  assert.equal(Buffer.from(sequence.slice(7, -1), 'base64').toString('utf8'), text);
});
