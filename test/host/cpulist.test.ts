import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CpuListError, formatCpuList, parseCpuList, parseCpuMask } from '../../src/host/cpulist.js';

const range = (first: number, last: number, step = 1): number[] => {
  const out: number[] = [];
  for (let cpu = first; cpu <= last; cpu += step) out.push(cpu);
  return out;
};

describe('parseCpuList', () => {
  test('single CPUs, ranges and a trailing newline as sysfs prints them', () => {
    assert.deepEqual(parseCpuList('0-3,8-11\n'), [0, 1, 2, 3, 8, 9, 10, 11]);
    assert.deepEqual(parseCpuList('5'), [5]);
    assert.deepEqual(parseCpuList('1,3,5,7'), [1, 3, 5, 7]);
  });

  test('output is sorted and unique even when the input overlaps or is out of order', () => {
    assert.deepEqual(parseCpuList('8-9,0-2,1'), [0, 1, 2, 8, 9]);
  });

  test('stride "0-62:2" takes every second CPU (the even ones)', () => {
    assert.deepEqual(parseCpuList('0-62:2'), range(0, 62, 2));
    assert.equal(parseCpuList('0-62:2').length, 32);
    assert.deepEqual(parseCpuList('0-3,8-11:2'), [0, 1, 2, 3, 8, 10]);
    assert.deepEqual(parseCpuList('1-9:4'), [1, 5, 9]);
    assert.deepEqual(parseCpuList('0-3:1'), [0, 1, 2, 3]);
  });

  test('group form "0-63:2/4" takes 2 CPUs out of every group of 4 (kernel isolcpus syntax)', () => {
    const cpus = parseCpuList('0-63:2/4');
    assert.equal(cpus.length, 32);
    assert.deepEqual(cpus.slice(0, 6), [0, 1, 4, 5, 8, 9]);
    assert.ok(cpus.every((cpu) => cpu % 4 < 2));
    assert.equal(cpus.at(-1), 61);
  });

  test('a group that would run past the range end is cut at the end', () => {
    assert.deepEqual(parseCpuList('0-5:2/4'), [0, 1, 4, 5]);
    assert.deepEqual(parseCpuList('0-4:2/4'), [0, 1, 4]);
  });

  test('empty file, whitespace only and "(null)" mean no CPUs', () => {
    assert.deepEqual(parseCpuList(''), []);
    assert.deepEqual(parseCpuList('  \n'), []);
    assert.deepEqual(parseCpuList('(null)'), []);
  });

  test('garbage throws CpuListError naming the bad part', () => {
    const cases: [string, RegExp][] = [
      ['0-3,x,8', /"x"/],
      ['abc', /"abc"/],
      ['0-', /"0-"/],
      ['1,,2', /""/],
      ['0-3;4', /"0-3;4"/],
      ['-1', /"-1"/],
    ];
    for (const [input, names] of cases) {
      assert.throws(() => parseCpuList(input), (error: unknown) => {
        assert.ok(error instanceof CpuListError, `${input}: ${String(error)}`);
        assert.match(error.message, names, `message for ${JSON.stringify(input)}`);
        return true;
      });
    }
  });

  test('a range ending before it starts throws, naming the range', () => {
    assert.throws(() => parseCpuList('7-3'), (error: unknown) => error instanceof CpuListError && /"7-3".*end before start/.test(error.message));
  });

  test('absurd CPU numbers throw instead of building a huge array', () => {
    assert.throws(() => parseCpuList('0-4294967295'), (error: unknown) => error instanceof CpuListError && /too large/.test(error.message));
  });

  test('bad strides throw: zero, or more used than the group size', () => {
    assert.throws(() => parseCpuList('0-7:0'), CpuListError);
    assert.throws(() => parseCpuList('0-7:4/2'), CpuListError);
  });
});

describe('parseCpuMask', () => {
  test('one word', () => {
    assert.deepEqual(parseCpuMask('0000000f'), [0, 1, 2, 3]);
    assert.deepEqual(parseCpuMask('00000f0f\n'), [0, 1, 2, 3, 8, 9, 10, 11]);
  });

  test('several 32-bit words, most significant first', () => {
    assert.deepEqual(parseCpuMask('00000001,00000000'), [32]);
    assert.deepEqual(parseCpuMask('80000000,00000000,00000001'), [0, 95]);
    // Bit 31 of a word: parseInt gives a value above 2^31, which must not turn negative.
    assert.deepEqual(parseCpuMask('80000000'), [31]);
    assert.deepEqual(parseCpuMask('ffffffff,ffffffff'), range(0, 63));
  });

  test('the masks-only 4-socket Xeon: offline CPUs 2,5,13,14 missing from an all-CPU mask', () => {
    assert.deepEqual(parseCpuMask('00009fdb'), [0, 1, 3, 4, 6, 7, 8, 9, 10, 11, 12, 15]);
  });

  test('empty mask and all-zero mask mean no CPUs', () => {
    assert.deepEqual(parseCpuMask(''), []);
    assert.deepEqual(parseCpuMask('00000000,00000000'), []);
  });

  test('garbage throws CpuListError naming the bad word', () => {
    assert.throws(() => parseCpuMask('0000000f,zz'), (error: unknown) => error instanceof CpuListError && /"zz"/.test(error.message));
    assert.throws(() => parseCpuMask('123456789'), (error: unknown) => error instanceof CpuListError && /"123456789"/.test(error.message));
    assert.throws(() => parseCpuMask('ff,,ff'), CpuListError);
  });
});

describe('formatCpuList', () => {
  test('collapses runs of 3 or more, keeps pairs and singles apart as the kernel does', () => {
    assert.equal(formatCpuList([0, 1, 2, 3, 8, 10]), '0-3,8,10');
    assert.equal(formatCpuList([4, 5]), '4,5');
    assert.equal(formatCpuList([7]), '7');
    assert.equal(formatCpuList([]), '');
  });

  test('sorts and removes duplicates', () => {
    assert.equal(formatCpuList([3, 1, 2, 2, 9]), '1-3,9');
  });

  test('round-trips with parseCpuList', () => {
    for (const text of ['0-15,88-103', '0,2,4-7,64-127', '1', '0-511']) {
      assert.equal(formatCpuList(parseCpuList(text)), text);
    }
    const strided = parseCpuList('0-62:2');
    assert.deepEqual(parseCpuList(formatCpuList(strided)), strided);
  });
});
