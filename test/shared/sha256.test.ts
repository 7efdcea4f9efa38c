/** The plain-JS SHA-256 gives node:crypto's digests: empty, block edges, multi-byte UTF-8, long texts. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { sha256, sha256Hex } from '../../src/shared/sha256.js';

const nodeHex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('sha256', () => {
  it('matches the FIPS 180-4 examples', () => {
    assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('matches node:crypto at every length around the block edges and for long texts', () => {
    for (let length = 0; length <= 200; length++) assert.equal(sha256Hex('x'.repeat(length)), nodeHex('x'.repeat(length)), `length ${length}`);
    const long = Array.from({ length: 5000 }, (_, index) => `processor\t: ${index}\nflags\t\t: fpu vme de pse\n`).join('');
    assert.equal(sha256Hex(long), nodeHex(long));
  });

  it('hashes the UTF-8 bytes (names with accents, emoji, NUL separators)', () => {
    for (const text of ['web 1', 'tiny-test', 'é', 'Ünïcödé VM', '😀 vm', 'kvm-tui uuid\u0000tiny-test', '\u0000\u0001\u007f', '\ud800 lone surrogate']) {
      assert.equal(sha256Hex(text), nodeHex(text), JSON.stringify(text));
      assert.deepEqual(Buffer.from(sha256(text)), createHash('sha256').update(text).digest());
    }
  });
});
