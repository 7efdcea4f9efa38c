import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer } from '../../src/shared/ring-buffer.js';

describe('RingBuffer', () => {
  it('keeps the newest items, oldest first, and numbers every push', () => {
    const ring = new RingBuffer<number>(3);
    assert.deepEqual(ring.toArray(), []);
    assert.equal(ring.latest(), undefined);
    for (let i = 0; i < 5; i++) ring.push(i);
    assert.deepEqual(ring.toArray(), [2, 3, 4]);
    assert.equal(ring.size, 3);
    assert.equal(ring.total, 5);
    assert.equal(ring.latest(), 4);
  });

  it('answers "since item N", past dropped items', () => {
    const ring = new RingBuffer<string>(2);
    ['a', 'b', 'c', 'd'].forEach((item) => ring.push(item));
    assert.deepEqual(ring.since(0), ['c', 'd'], 'dropped ones are gone');
    assert.deepEqual(ring.since(3), ['d']);
    assert.deepEqual(ring.since(4), []);
  });

  it('refuses a capacity that is not a whole number >= 1', () => {
    assert.throws(() => new RingBuffer(0), RangeError);
    assert.throws(() => new RingBuffer(1.5), RangeError);
  });
});
