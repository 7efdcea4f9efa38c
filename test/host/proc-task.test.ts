/** The /proc task parsers, on text captured from real tasks (test/fixtures/proc-task) and on edge cases. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseTaskSched, parseTaskSchedstat, parseTaskStat, parseTaskStatus } from '../../src/host/proc-task.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/proc-task');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

describe('parseTaskStat', () => {
  it('reads a real thread (node worker captured here)', () => {
    const stat = parseTaskStat(fixture('node-thread.stat'))!;
    assert.equal(stat.tid, 5441);
    assert.equal(stat.comm, 'node');
    assert.equal(stat.state, 'S');
    assert.equal(stat.numThreads, 7);
    assert.equal(stat.lastHostCpu, 0, 'field 39 (field 38, exit_signal, is -1 for a thread)');
    assert.equal(stat.policy, 0);
    assert.equal(stat.utimeTicks, 0);
  });

  it('takes the comm up to the last ")" (names hold spaces, slashes and parentheses)', () => {
    const line = fixture('node-thread.stat').replace('(node)', '(CPU 0/KVM) x (y))');
    const stat = parseTaskStat(line)!;
    assert.equal(stat.comm, 'CPU 0/KVM) x (y)');
    assert.equal(stat.state, 'S');
    assert.equal(stat.lastHostCpu, 0, 'fields after the comm are not shifted');
  });

  it('counts the fields as proc(5) numbers them', () => {
    // Fields 3..52 given as their own number, so field N reads N.
    const line = `77 (t) R ${Array.from({ length: 49 }, (_, i) => i + 4).join(' ')}`;
    const stat = parseTaskStat(line)!;
    assert.deepEqual([stat.utimeTicks, stat.stimeTicks, stat.numThreads, stat.lastHostCpu, stat.rtPriority, stat.policy, stat.guestTimeTicks], [14, 15, 20, 39, 40, 41, 43]);
  });

  it('returns null for the empty or cut text of a task that just exited', () => {
    assert.equal(parseTaskStat(''), null);
    assert.equal(parseTaskStat('5441 (node) S 1 2 3'), null);
    assert.equal(parseTaskStat('garbage'), null);
  });
});

describe('parseTaskSchedstat', () => {
  it('reads run, wait and timeslices', () => {
    assert.deepEqual(parseTaskSchedstat(fixture('node-thread.schedstat')), { runNs: 76603, waitNs: 0, timeslices: 1 });
    assert.deepEqual(parseTaskSchedstat('328035 30816 2\n'), { runNs: 328035, waitNs: 30816, timeslices: 2 });
  });

  it('returns null where the kernel has no schedstats or the text is bad', () => {
    assert.equal(parseTaskSchedstat(''), null);
    assert.equal(parseTaskSchedstat('1 2'), null);
    assert.equal(parseTaskSchedstat('a b c'), null);
  });
});

describe('parseTaskStatus', () => {
  it('reads the allowed CPUs and memory nodes and the context switches of a real thread', () => {
    const status = parseTaskStatus(fixture('node-thread.status'))!;
    assert.equal(status.name, 'node');
    assert.equal(status.pid, 5441);
    assert.equal(status.tgid, 5435);
    assert.deepEqual(status.cpusAllowed, [0, 1]);
    assert.deepEqual(status.memsAllowed, [0]);
    assert.ok(Number.isInteger(status.voluntaryCtxtSwitches));
  });

  it('expands a pinned list and refuses a broken one', () => {
    const text = fixture('node-thread.status').replace(/^Cpus_allowed_list:.*$/m, 'Cpus_allowed_list:\t2,4-5');
    assert.deepEqual(parseTaskStatus(text)!.cpusAllowed, [2, 4, 5]);
    assert.equal(parseTaskStatus(text.replace('2,4-5', '2,x')), null);
    assert.equal(parseTaskStatus(''), null);
  });

  it('reads each field from its own line, whatever the name holds, and both switch counts apart', () => {
    const live = fs.readFileSync('/proc/self/status', 'utf8');
    const parsed = parseTaskStatus(live)!;
    assert.equal(parsed.pid, process.pid);
    assert.equal(parsed.ppid, process.ppid);
    const real = (key: string) => Number(new RegExp(`^${key}:\\s*(\\d+)$`, 'm').exec(live)![1]);
    assert.equal(parsed.voluntaryCtxtSwitches, real('voluntary_ctxt_switches'));
    assert.equal(parsed.nonvoluntaryCtxtSwitches, real('nonvoluntary_ctxt_switches'));
    // A name with a colon and a look-alike (the kernel escapes a newline in it as "\\n").
    const text = fixture('node-thread.status').replace(/^Name:.*$/m, 'Name:\tPid: 1\\nTgid: 1').replace(/^voluntary_ctxt_switches:.*$/m, 'voluntary_ctxt_switches:\t7').replace(/^nonvoluntary_ctxt_switches:.*$/m, 'nonvoluntary_ctxt_switches:\t9');
    const odd = parseTaskStatus(text)!;
    assert.equal(odd.name, 'Pid: 1\\nTgid: 1');
    assert.equal(odd.pid, 5441);
    assert.equal(odd.tgid, 5435);
    assert.equal(odd.voluntaryCtxtSwitches, 7);
    assert.equal(odd.nonvoluntaryCtxtSwitches, 9);
    // No PPid line: unknown, not 0.
    assert.equal(parseTaskStatus(text.replace(/^PPid:.*\n/m, ''))!.ppid, null);
  });
});

describe('parseTaskSched', () => {
  it('reads the migration count', () => {
    assert.deepEqual(parseTaskSched(fixture('node-thread.sched')), { migrations: Number(/se\.nr_migrations\s*:\s*(\d+)/.exec(fixture('node-thread.sched'))![1]), nrSwitches: Number(/^nr_switches\s*:\s*(\d+)/m.exec(fixture('node-thread.sched'))![1]) });
    assert.deepEqual(parseTaskSched('se.nr_migrations    :   12\nnr_switches : 40\n'), { migrations: 12, nrSwitches: 40 });
    assert.equal(parseTaskSched('policy : 0\n'), null);
  });
});
