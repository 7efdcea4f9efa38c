/** The monitor's figures from two samples: arithmetic over counters, checked on numbers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeFigures } from '../../src/monitor/rates.js';
import type { ThreadSample, VmSample } from '../../src/monitor/sample.js';

function thread(overrides: Partial<ThreadSample>): ThreadSample {
  return { role: 'vcpu', index: 0, tid: 10, comm: 'CPU 0/TCG', state: 'R', cpuTicks: 0, runNs: 0, waitNs: 0, nonvoluntaryCtxtSwitches: 0, migrations: 0, lastHostCpu: 1, affinity: [1], plannedAffinity: [1], ...overrides };
}

function sample(atMs: number, threads: ThreadSample[], hostCpus = [{ cpu: 0, busyTicks: 0, totalTicks: 0 }]): VmSample {
  return { atMs, name: 'web', pid: 1, alive: true, rssKiB: 1000, hugetlbKiB: null, threads, hostCpus };
}

describe('computeFigures', () => {
  it('has no rates on the first sample', () => {
    const figures = computeFigures(null, sample(0, [thread({})]));
    assert.equal(figures.intervalMs, null);
    assert.equal(figures.threads[0]!.cpuPercent, null);
    assert.equal(figures.threads[0]!.waitMsPerSec, null);
    assert.equal(figures.threads[0]!.drift, false);
  });

  it('turns schedstat run and wait ns into CPU% and wait ms per second', () => {
    const before = sample(1000, [thread({ runNs: 1e9, waitNs: 0, migrations: 3, nonvoluntaryCtxtSwitches: 10 })]);
    const after = sample(3000, [thread({ runNs: 2.8e9, waitNs: 0.3e9, migrations: 7, nonvoluntaryCtxtSwitches: 30 })]);
    const [figures] = computeFigures(before, after).threads;
    assert.equal(figures!.cpuPercent, 90, '1.8 s on CPU in 2 s');
    assert.equal(figures!.waitMsPerSec, 150, '300 ms waiting in 2 s');
    assert.equal(figures!.migrationsPerSec, 2);
    assert.equal(figures!.involuntaryPerSec, 10);
  });

  it('falls back to clock ticks without schedstats', () => {
    const before = sample(0, [thread({ runNs: null, waitNs: null, cpuTicks: 100 })]);
    const after = sample(1000, [thread({ runNs: null, waitNs: null, cpuTicks: 150 })]);
    const [figures] = computeFigures(before, after).threads;
    assert.equal(figures!.cpuPercent, 50);
    assert.equal(figures!.waitMsPerSec, null);
  });

  it('marks drift when the affinity differs from the plan, in any order of CPUs', () => {
    const figures = computeFigures(null, sample(0, [thread({ affinity: [1, 2], plannedAffinity: [1] }), thread({ tid: 11, affinity: [3, 2], plannedAffinity: [2, 3] })]));
    assert.deepEqual(figures.threads.map((entry) => entry.drift), [true, false]);
  });

  it('gives a new thread no rate, and host CPUs their busy share', () => {
    const before = sample(0, [thread({})], [{ cpu: 0, busyTicks: 100, totalTicks: 1000 }, { cpu: 1, busyTicks: 0, totalTicks: 0 }]);
    const after = sample(1000, [thread({ runNs: 5e8 }), thread({ tid: 99 })], [{ cpu: 0, busyTicks: 175, totalTicks: 1100 }, { cpu: 1, busyTicks: 0, totalTicks: 0 }]);
    const figures = computeFigures(before, after);
    assert.deepEqual(figures.threads.map((entry) => entry.cpuPercent), [50, null]);
    assert.deepEqual(figures.hostCpus, [{ cpu: 0, busyPercent: 75 }, { cpu: 1, busyPercent: null }]);
  });

  it('never reports a negative rate when a counter goes backwards (a reused tid)', () => {
    const before = sample(0, [thread({ runNs: 5e9, waitNs: 5e9, migrations: 9 })]);
    const after = sample(1000, [thread({ runNs: 1e9, waitNs: 1e9, migrations: 1 })]);
    const [figures] = computeFigures(before, after).threads;
    assert.equal(figures!.cpuPercent, null);
    assert.equal(figures!.waitMsPerSec, null);
    assert.equal(figures!.migrationsPerSec, null);
  });
});
