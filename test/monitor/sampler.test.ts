/**
 * The sampler and the sample reader over a fake /proc, on a fake clock: one reading per interval,
 * a tick skipped while the last still runs, a vanished thread or process as a state, history
 * bounded, and the sampler stopping itself once the VM has exited.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { parseProcStatCpus, readVmSample, type VmSample } from '../../src/monitor/sample.js';
import { HISTORY_POINTS, Sampler, type MonitorSnapshot } from '../../src/monitor/sampler.js';
import { processStartTicks } from '../../src/registry/registry.js';
import { FakeClock, flushMicrotasks } from '../helpers/fake-clock.js';
import { writeFakeKernelThread, writeFakeProcess, writeFakeProcStat, writeFakeThread } from '../helpers/fake-proc.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { fakeRecord } from '../helpers/vm-records.js';

const roots: string[] = [];
after(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

function fakeHost(): { root: string; procFs: HostFs } {
  const root = scratchDir('fake-proc');
  roots.push(root);
  fs.mkdirSync(path.join(root, 'sys/devices/system/cpu'), { recursive: true });
  writeFakeProcStat(root, [{ busy: 0, idle: 0 }, { busy: 0, idle: 0 }, { busy: 0, idle: 0 }]);
  return { root, procFs: new HostFs(root, { record: false }) };
}

const threads = (runNs: number) => [
  { tid: 4242, comm: 'qemu-system-x86', cpus: '0', runNs: 1e6 },
  { tid: 4250, comm: 'CPU 0/TCG', cpus: '1', runNs, lastCpu: 1 },
  { tid: 4251, comm: 'CPU 1/TCG', cpus: '2', runNs: runNs / 2, lastCpu: 2 },
  { tid: 4260, comm: 'worker', cpus: '0' },
];

describe('readVmSample', () => {
  it('reads every thread with its role from the record, unknown ones as emulator threads', () => {
    const { root, procFs } = fakeHost();
    const record = fakeRecord(path.join(root, 'run'));
    writeFakeProcess(root, record.pid, record.startTicks, threads(0));
    const sample = readVmSample(procFs, record, 5);
    assert.equal(sample.alive, true);
    assert.equal(sample.rssKiB, 51200);
    assert.deepEqual(sample.threads.map((t) => [t.role, t.index, t.tid, t.comm]), [
      ['vcpu', 0, 4250, 'CPU 0/TCG'],
      ['vcpu', 1, 4251, 'CPU 1/TCG'],
      ['emulator', 0, 4242, 'qemu-system-x86'],
      ['emulator', 1, 4260, 'worker'],
    ]);
    assert.deepEqual(sample.threads[3]!.plannedAffinity, [0], 'a thread QMP did not name belongs on the emulator CPUs');
    assert.equal(sample.hostCpus.length, 3);
  });

  it('reads a recorded vhost kernel thread (its own process, Linux < 6.4) beside QEMU\'s threads', () => {
    const { root, procFs } = fakeHost();
    const base = fakeRecord(path.join(root, 'run'));
    const record = { ...base, threads: [...base.threads, { role: 'vhost' as const, index: 0, tid: 4300, tgid: 4300, plannedAffinity: [0] }] };
    writeFakeProcess(root, record.pid, record.startTicks, threads(0));
    writeFakeKernelThread(root, 4300, 'vhost-4242', { cpus: '0-2', utime: 7 });
    const sample = readVmSample(procFs, record, 5);
    const vhost = sample.threads.filter((t) => t.role === 'vhost');
    assert.deepEqual(vhost.map((t) => [t.tid, t.comm, t.cpuTicks, t.affinity]), [[4300, 'vhost-4242', 7, [0, 1, 2]]]);
    assert.deepEqual(vhost[0]!.plannedAffinity, [0]);
    assert.deepEqual(sample.threads.map((t) => t.role), ['vcpu', 'vcpu', 'vhost', 'emulator', 'emulator'], 'vhost rows sort after the iothreads, before the emulator');
  });

  it('a recorded vhost kernel thread whose tid is now another process (or another QEMU\'s worker) is not shown as this VM\'s', () => {
    const { root, procFs } = fakeHost();
    const base = fakeRecord(path.join(root, 'run'));
    const record = { ...base, threads: [...base.threads, { role: 'vhost' as const, index: 0, tid: 4300, tgid: 4300, plannedAffinity: [0] }, { role: 'vhost' as const, index: 1, tid: 4301, tgid: 4301, plannedAffinity: [0] }] };
    writeFakeProcess(root, record.pid, record.startTicks, threads(0));
    // The worker exited and the kernel gave its number to a user's shell; 4301 serves another QEMU.
    writeFakeKernelThread(root, 4300, 'bash', { ppid: 1 });
    writeFakeKernelThread(root, 4301, 'vhost-999');
    // 4302: a user process that only names itself like this VM's worker (its parent is not kthreadd).
    writeFakeKernelThread(root, 4302, 'vhost-4242', { ppid: 1 });
    record.threads.push({ role: 'vhost' as const, index: 2, tid: 4302, tgid: 4302, plannedAffinity: [0] });
    const sample = readVmSample(procFs, record, 5);
    assert.deepEqual(sample.threads.filter((t) => t.role === 'vhost'), []);
    assert.deepEqual(sample.threads.map((t) => t.tid).sort(), [4242, 4250, 4251, 4260]);
  });

  it('is not alive when the pid is gone or belongs to another process (start time differs)', () => {
    const { root, procFs } = fakeHost();
    const record = fakeRecord(path.join(root, 'run'));
    assert.equal(readVmSample(procFs, record, 0).alive, false);
    writeFakeProcess(root, record.pid, record.startTicks + 1, threads(0));
    const reused = readVmSample(procFs, record, 0);
    assert.equal(reused.alive, false);
    assert.deepEqual(reused.threads, []);
  });

  it('parses /proc/stat per CPU (guest time not counted twice)', () => {
    assert.deepEqual(parseProcStatCpus('cpu  1 2 3 4\ncpu0 10 0 5 80 5 0 0 0 7 0\ncpu1 0 0 0 100\nintr 1\n'), [
      { cpu: 0, busyTicks: 15, totalTicks: 100 },
      { cpu: 1, busyTicks: 0, totalTicks: 100 },
    ]);
  });
});

describe('Sampler', () => {
  it('samples once at start and then every interval, with rates and a bounded history', async () => {
    const { root, procFs } = fakeHost();
    const record = fakeRecord(path.join(root, 'run'));
    writeFakeProcess(root, record.pid, record.startTicks, threads(0));
    const clock = new FakeClock();
    const snapshots: MonitorSnapshot[] = [];
    let run = 0;
    const sampler = new Sampler({
      procFs,
      record,
      clock,
      intervalMs: 1000,
      onSnapshot: (snapshot) => snapshots.push(snapshot),
      read: (fsys, vm, atMs) => {
        run += 1;
        for (const thread of threads(run * 0.5e9)) writeFakeThread(root, vm.pid, vm.startTicks, thread);
        return readVmSample(fsys, vm, atMs);
      },
    });
    sampler.start();
    await flushMicrotasks();
    assert.equal(snapshots.length, 1);
    await clock.advance(1000);
    assert.equal(snapshots.length, 2);
    const vcpu0 = snapshots[1]!.figures.threads.find((t) => t.tid === 4250)!;
    assert.equal(vcpu0.cpuPercent, 50, '0.5 s more on CPU in 1 s');
    await clock.advance(1000 * (HISTORY_POINTS + 10));
    const last = snapshots.at(-1)!;
    assert.equal(last.cpuHistory.get(4250)!.length, HISTORY_POINTS);
    sampler.stop();
    const count = snapshots.length;
    await clock.advance(5000);
    assert.equal(snapshots.length, count, 'nothing after stop');
    assert.equal(clock.pending, 0);
  });

  it('skips a tick while the previous one still runs', async () => {
    const { root, procFs } = fakeHost();
    const record = fakeRecord(path.join(root, 'run'));
    writeFakeProcess(root, record.pid, record.startTicks, threads(0));
    const clock = new FakeClock();
    const snapshots: MonitorSnapshot[] = [];
    let release: (() => void) | null = null;
    const sampler = new Sampler({
      procFs,
      record,
      clock,
      onSnapshot: (snapshot) => snapshots.push(snapshot),
      read: (fsys, vm, atMs) =>
        new Promise<VmSample>((resolve) => {
          release = () => resolve(readVmSample(fsys, vm, atMs));
        }),
    });
    sampler.start();
    await clock.advance(3000);
    assert.equal(snapshots.length, 0, 'the first read has not finished');
    release!();
    await flushMicrotasks();
    assert.equal(snapshots.length, 1);
    assert.equal(snapshots[0]!.skippedTicks, 3);
    sampler.stop();
  });

  it('reports the exit once and stops by itself', async () => {
    const { root, procFs } = fakeHost();
    const record = fakeRecord(path.join(root, 'run'));
    writeFakeProcess(root, record.pid, record.startTicks, threads(0));
    const clock = new FakeClock();
    const snapshots: MonitorSnapshot[] = [];
    const sampler = new Sampler({ procFs, record, clock, onSnapshot: (snapshot) => snapshots.push(snapshot) });
    sampler.start();
    await flushMicrotasks();
    fs.rmSync(path.join(root, 'proc', String(record.pid)), { recursive: true });
    await clock.advance(1000);
    assert.equal(snapshots.at(-1)!.figures.alive, false);
    assert.ok(sampler.isStopped);
    await clock.advance(3000);
    assert.equal(snapshots.length, 2);
  });

  describe('on the live root', () => {
    // This test process stands in for QEMU: its threads are "emulator" threads of the record.
    const liveRecord = () => fakeRecord('/nonexistent-run-dir', { pid: process.pid, startTicks: processStartTicks(process.pid, new HostFs('/'))!, threads: [] });
    /** This process's descriptors: number -> what it is open on. */
    const descriptors = () => new Map(fs.readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        return [[fd, fs.readlinkSync(`/proc/self/fd/${fd}`)] as const];
      } catch {
        return []; // the readdir's own descriptor, closed by now
      }
    }));
    /** What a pass keeps open: /proc/PID/stat and status, /proc/stat, and each thread's counter files there are. */
    const expectedKept = (tids: number[]) => 3 + tids.flatMap((tid) => ['stat', 'status', 'schedstat', 'sched'].filter((name) => fs.existsSync(`/proc/${process.pid}/task/${tid}/${name}`))).length;

    it('keeps the counter files open between ticks, reads them through the same descriptors, and closes them all when stopped', async () => {
      const before = descriptors();
      const clock = new FakeClock();
      const snapshots: MonitorSnapshot[] = [];
      const sampler = new Sampler({ procFs: new HostFs('/', { record: false }), record: liveRecord(), clock, onSnapshot: (snapshot) => snapshots.push(snapshot) });
      try {
        sampler.start();
        await flushMicrotasks();
        const tids = snapshots[0]!.figures.threads.map((thread) => thread.tid);
        assert.ok(tids.length >= 1);
        const first = descriptors();
        assert.equal(first.size - before.size, expectedKept(tids), `descriptors kept for ${tids.length} threads`);
        await clock.advance(1000);
        assert.equal(snapshots.length, 2);
        assert.ok(snapshots[1]!.figures.alive);
        assert.deepEqual(descriptors(), first, 'the second tick reads through the same descriptors: none closed, none opened');
      } finally {
        sampler.stop();
      }
      assert.deepEqual(descriptors(), before, 'stop closes every kept file');
    });

    it('closes them when stopped in the middle of a pass, and when the reader fails', async () => {
      const before = descriptors().size;
      const clock = new FakeClock();
      let release: () => void = () => undefined;
      const sampler = new Sampler({
        procFs: new HostFs('/', { record: false }),
        record: liveRecord(),
        clock,
        onSnapshot: () => undefined,
        read: async (procFs, record, atMs) => {
          const sample = readVmSample(procFs, record, atMs);
          await new Promise<void>((resolve) => (release = resolve));
          return sample;
        },
      });
      sampler.start();
      await flushMicrotasks();
      assert.ok(descriptors().size > before, 'a pass under way keeps its files');
      sampler.stop();
      release();
      await flushMicrotasks();
      assert.equal(descriptors().size, before, 'the pass that was under way closed them when it ended');

      const failing = new Sampler({
        procFs: new HostFs('/', { record: false }),
        record: liveRecord(),
        clock,
        onSnapshot: () => undefined,
        onError: () => undefined,
        read: (procFs, record, atMs) => {
          readVmSample(procFs, record, atMs);
          throw new Error('reader failed');
        },
      });
      failing.start();
      await flushMicrotasks();
      await clock.advance(1000);
      failing.stop();
      assert.equal(descriptors().size, before, 'a failing reader leaves none open once stopped');
    });
  });
});
