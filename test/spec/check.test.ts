/**
 * The spec validator's rules (src/spec/check.ts), each of which decides which message a user sees
 * for a bad spec: field order, unknown fields, aborting and non-aborting issues, unions, integers.
 * The messages through parseVmSpec are in vm-spec.test.ts; these pin the rules themselves.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as v from '../../src/spec/check.js';
import { parseVmSpec } from '../../src/spec/vm-spec.js';

const first = <T>(schema: v.Schema<T>, value: unknown) => {
  const issue = v.firstIssue(schema, value);
  return issue && `${v.issueField(issue)}: ${issue.message}`;
};

describe('objects', () => {
  const schema = v.object({
    a: v.optional(v.integer(1, 9)),
    b: v.object({ c: v.string('must be a string') }, 'b must be an object'),
  }, 'must be an object');

  test('fields are checked in declaration order, whatever the input order', () => {
    assert.equal(first(schema, { b: { c: 1 }, a: 0 }), 'a: must be at least 1');
  });
  test('an unknown field is reported after every declared field, naming the first unknown one', () => {
    assert.equal(first(schema, { zz: 1, b: { c: 'x', y: 2 }, yy: 1 }), 'b.y: unknown field');
    assert.equal(first(schema, { zz: 1, b: { c: 'x' }, yy: 1 }), 'zz: unknown field');
    assert.equal(first(schema, JSON.parse('{"b": {"c": "x"}, "__proto__": 1}')), '__proto__: unknown field');
  });
  test('a missing required field, an array and null are type errors with the object\'s message', () => {
    assert.equal(first(schema, {}), 'b: b must be an object');
    assert.equal(first(schema, []), ': must be an object');
    assert.equal(first(schema, null), ': must be an object');
  });
  test('a field inherited from the prototype is not a value', () => {
    const input = Object.create({ a: 0 }) as Record<string, unknown>;
    input.b = { c: 'x' };
    assert.equal(first(schema, input), null);
  });
});

describe('integers', () => {
  const int = v.integer(1, 64);
  test('a fraction stops at "whole"; a number past 2^53 is not whole and is range-checked too', () => {
    const all = (value: unknown) => {
      const issues: v.Issue[] = [];
      int.check(value, [], issues);
      return issues.map((issue) => `${issue.message}${issue.soft ? '' : ' (aborts)'}`);
    };
    assert.deepEqual(all(0.5), ['must be a whole number (aborts)']);
    assert.deepEqual(all(1e20), ['must be a whole number', 'must be at most 64']);
    assert.deepEqual(all(0), ['must be at least 1']);
    assert.deepEqual(all(Number.NaN), ['must be a number (aborts)']);
    assert.deepEqual(all(Number.POSITIVE_INFINITY), ['must be a number (aborts)']);
    assert.deepEqual(all('3'), ['must be a number (aborts)']);
    assert.deepEqual(all(64), []);
  });
});

describe('unions', () => {
  const queues = v.union([v.integer(1, 64), v.literal('auto', '')], 'must be a number of queues (1-64) or "auto"');
  test('a value of one option\'s shape gets that option\'s message', () => {
    assert.equal(first(queues, 0), ': must be at least 1');
    assert.equal(first(queues, 1e20), ': must be a whole number');
  });
  test('a value of no option\'s shape gets the union\'s message', () => {
    assert.equal(first(queues, 'many'), ': must be a number of queues (1-64) or "auto"');
    assert.equal(first(queues, 2.5), ': must be a number of queues (1-64) or "auto"');
  });
  test('the first option that accepts wins', () => {
    assert.equal(first(queues, 'auto'), null);
    assert.equal(first(queues, 8), null);
  });
  test('through a spec: a bad entry is named; a value of the wrong kind deep inside a union is the outer union\'s', () => {
    const numa = (vcpus: unknown) => () => parseVmSpec({ vcpus: 2, numa: [{ vcpus, memory: '2G' }] }, 's');
    assert.throws(numa([-1]), { message: 's: numa[0].vcpus[0]: must be at least 0' });
    // ['a'] fits neither of vcpus' options, so numa's list option aborted too: numa's own message.
    assert.throws(numa(['a']), { message: 's: numa: must be {"nodes": N} or a list of guest nodes' });
    assert.throws(() => parseVmSpec({ numa: { nodes: 2, extra: 1 } }, 's'), { message: 's: numa.extra: unknown field' });
    assert.throws(() => parseVmSpec({ numa: {} }, 's'), { message: 's: numa: must be {"nodes": N} or a list of guest nodes' });
  });
});

test('a parsed spec shares no list with its input', () => {
  const input = { extraArgs: ['-no-hpet'], cpu: { features: ['+pdpe1gb'] } };
  const spec = parseVmSpec(input, 's');
  spec.extraArgs.push('-x');
  spec.cpu.features.push('-y');
  assert.deepEqual(input, { extraArgs: ['-no-hpet'], cpu: { features: ['+pdpe1gb'] } });
});
