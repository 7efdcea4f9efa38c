/**
 * The live pane with ink-testing-library, from recorded snapshots and a fake control on a fake
 * clock: rows per vCPU with figures and sparklines, DRIFT as a word, the host CPU strip, events,
 * the keys reaching the control (pause/resume, ACPI, force only after y, re-pin), help, an exited
 * VM, and leaving (q: 0, Ctrl-C: 130) without touching the VM. Also the pure lines at 80 columns.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { MonitorScreen } from '../../../components/screens/MonitorScreen.js';
import { exitWithoutMessage } from '../../../components/hooks/use-monitor.js';
import { buildMonitorLines, sparkline } from '../../../components/present/monitor-lines.js';
import type { MonitorControl, MonitorServices } from '../../../src/app/monitor-services.js';
import { computeFigures } from '../../../src/monitor/rates.js';
import type { ThreadSample, VmSample } from '../../../src/monitor/sample.js';
import type { MonitorSnapshot } from '../../../src/monitor/sampler.js';
import { RingBuffer } from '../../../src/shared/ring-buffer.js';
import type { VmEventLine } from '../../../src/run/vm-control.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { plain, press, waitFor } from '../../helpers/ink.js';
import { pressOnce } from '../wizard-helpers.js';
import { fakeRecord } from '../../helpers/vm-records.js';
import { PaneWriter } from '../../../components/terminal/pane-writer.js';

afterEach(() => cleanup());

const record = fakeRecord('/run/kvm-tui/vms/web-1');

function thread(tid: number, role: ThreadSample['role'], index: number, runNs: number, waitNs: number, affinity: number[], planned: number[]): ThreadSample {
  return { role, index, tid, comm: role === 'vcpu' ? `CPU ${index}/TCG` : 'qemu', state: 'R', cpuTicks: 0, runNs, waitNs, nonvoluntaryCtxtSwitches: 0, migrations: 0, lastHostCpu: affinity[0]!, affinity, plannedAffinity: planned };
}

function sample(atMs: number, step: number, alive = true, drift = false): VmSample {
  return {
    atMs,
    name: 'web',
    pid: record.pid,
    alive,
    rssKiB: 204800,
    hugetlbKiB: 0,
    threads: alive
      ? [thread(4250, 'vcpu', 0, step * 0.99e9, step * 0.02e9, drift ? [1, 2] : [1], [1]), thread(4251, 'vcpu', 1, step * 0.5e9, 0, [2], [2]), thread(4242, 'emulator', 0, step * 0.01e9, 0, [0], [0])]
      : [],
    hostCpus: [0, 1, 2].map((cpu) => ({ cpu, busyTicks: step * (cpu === 0 ? 10 : 99), totalTicks: step * 100 })),
  };
}

/** Snapshots as the sampler makes them, from a recorded series of samples. */
function snapshots(samples: VmSample[]): MonitorSnapshot[] {
  const history = new Map<number, RingBuffer<number | null>>();
  return samples.map((current, index) => {
    const figures = computeFigures(index === 0 ? null : samples[index - 1]!, current);
    for (const entry of figures.threads) {
      if (!history.has(entry.tid)) history.set(entry.tid, new RingBuffer(120));
      history.get(entry.tid)!.push(entry.cpuPercent);
    }
    return { figures, cpuHistory: new Map([...history].map(([tid, ring]) => [tid, ring.toArray()])), skippedTicks: 0 };
  });
}

class FakeControl implements MonitorControl {
  state: string | null = 'running';
  events = new RingBuffer<VmEventLine>(50);
  calls: string[] = [];
  private listeners = new Set<() => void>();
  constructor(private readonly clock: FakeClock) {}
  async connect() {
    this.calls.push('connect');
    return null;
  }
  onChange(listener: () => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  private act(name: string, state?: string) {
    this.calls.push(name);
    if (state) this.state = state;
    this.events.push({ atMs: this.clock.now(), text: `did ${name}` });
    for (const listener of this.listeners) listener();
  }
  async pause() {
    this.act('pause', 'paused');
  }
  async resume() {
    this.act('resume', 'running');
  }
  async powerdown() {
    this.act('powerdown');
  }
  async forceQuit() {
    this.act('forceQuit');
  }
  async repin() {
    this.act('repin');
    return 're-pin: 1 thread back on plan';
  }
  close() {
    this.calls.push('close');
  }
  /** What query-blockstats answers: one disk, no disk at all, or nothing (QMP not answering). */
  disks: 'one' | 'none' | 'no-answer' = 'one';
  reads = 0;
  async blockstats() {
    this.reads += 1;
    if (this.disks === 'none') return [];
    if (this.disks === 'no-answer') return null;
    return [{ device: 'virtio-disk0', rdBytes: this.reads * 1024 * 1024, wrBytes: 0, rdOps: this.reads * 16, wrOps: 0 }];
  }
}

function harness(series: MonitorSnapshot[], writer?: PaneWriter, size?: { columns: number; rows: number }, onCommit?: () => void) {
  const clock = new FakeClock(record.startedAtMs);
  const control = new FakeControl(clock);
  let push: ((snapshot: MonitorSnapshot) => void) | null = null;
  let stopped = false;
  const cleaned: string[] = [];
  const services: MonitorServices = {
    clock,
    control,
    cleanUpExited: (vm) => {
      cleaned.push(vm.runDir);
      return 'qemu: qemu-system-x86_64: terminating on signal 15 from pid 99';
    },
    startSampler: (_vm, onSnapshot) => {
      push = onSnapshot;
      return () => {
        stopped = true;
      };
    },
  };
  const exits: number[] = [];
  const screen = <MonitorScreen record={record} services={services} color={false} onExit={(code) => exits.push(code)} {...(writer ? { writer } : {})} {...(size ? { size } : {})} />;
  const app = render(onCommit ? <React.Profiler id="monitor" onRender={onCommit}>{screen}</React.Profiler> : screen);
  const feed = async (index: number) => {
    await waitFor(() => push !== null, 'the sampler to start');
    push!(series[index]!);
    await new Promise((resolve) => setTimeout(resolve, 20));
  };
  return { app, clock, control, exits, feed, cleaned, stopped: () => stopped };
}

describe('MonitorScreen', () => {
  const series = snapshots([sample(record.startedAtMs + 60_000, 1), sample(record.startedAtMs + 61_000, 2), sample(record.startedAtMs + 62_000, 3)]);

  test('draws the header, a row per vCPU with its figures, the emulator, the host CPU strip and the keys', async () => {
    const { app, feed } = harness(series);
    await feed(0);
    await feed(1);
    const frame = plain(app.lastFrame());
    assert.match(frame, /web {2}\[RUNNING\] {2}tcg {2}up 0:01:01 {2}pid 4242 {2}2 vCPU {2}256 MiB {2}rss 200 MiB/);
    assert.match(frame, /^vCPU 0 +4250 +99\.0 +\S* +1 +20\.0 +0\.0 {2}1$/m);
    assert.match(frame, /^vCPU 1 +4251 +50\.0 .* 2$/m);
    assert.match(frame, /^emulator +4242 +1\.0 /m, 'one emulator thread is its own row');
    assert.match(frame, /host CPUs 0 +10% 1\* +99% 2\* +99%/);
    assert.match(frame, /p pause\/resume {2}s shutdown {2}F force quit {2}r re-pin {2}q detach {2}\? help/);
    // ink-testing-library's terminal is 100 columns wide.
    for (const line of frame.split('\n')) assert.ok(line.length <= 100, `wider than the terminal: ${line}`);
  });

  test('with a pane writer (kvm-tui monitor) the rows go to the writer, only those that changed, and Ink draws nothing', async () => {
    const writes: string[] = [];
    const { app, feed, control } = harness(series, new PaneWriter((text) => writes.push(text)));
    await feed(0);
    await feed(1);
    assert.equal(plain(app.lastFrame()).trim(), '', 'Ink draws nothing of its own');
    const all = writes.join('');
    assert.match(all, /web {2}\[RUNNING\]/);
    assert.match(all, /vCPU 0 +4250 +99\.0/);
    assert.match(all, /p pause\/resume/);
    // ink-testing-library's terminal is 100x24: every row addressed is on it.
    for (const [, row] of all.matchAll(/\u001B\[(\d+);1H/g)) assert.ok(Number(row) <= 24, `row ${row}`);
    const before = writes.length;
    await pressOnce(app.stdin, 'p');
    await waitFor(() => control.calls.includes('pause'), 'the pause to reach the control');
    await waitFor(() => writes.slice(before).join('').includes('pausing...') || writes.slice(before).join('').includes('did pause'), 'the answer row');
    const after = writes.slice(before).join('');
    assert.doesNotMatch(after, /\u001B\[2J/, 'a key redraws rows, not the screen');
    assert.doesNotMatch(after, /vCPU 1 +4251/, 'an unchanged row is not written again');
    // Ctrl-L: the whole pane again (after another program wrote on the terminal).
    const beforeRedraw = writes.length;
    await pressOnce(app.stdin, '\u000C');
    await waitFor(() => writes.slice(beforeRedraw).join('').includes('\u001B[2J'), 'a whole redraw');
    assert.match(writes.slice(beforeRedraw).join(''), /vCPU 1 +4251/);
  });

  test('with a pane writer a sample is drawn by the writer alone: no render of the tree, whose state stays the same', async () => {
    const writes: string[] = [];
    let commits = 0;
    const { app, feed } = harness(series, new PaneWriter((text) => writes.push(text)), undefined, () => (commits += 1));
    await feed(0);
    await waitFor(() => writes.join('').includes('vCPU 0 '), 'the first sample drawn');
    assert.ok(commits > 0, 'the profiler counts commits');
    const before = { commits, writes: writes.length };
    await feed(1);
    await feed(2);
    await waitFor(() => writes.slice(before.writes).join('').includes('up 0:01:02'), 'the third sample drawn');
    assert.equal(commits, before.commits, 'no commit for a sample');
    assert.equal(writes.length - before.writes, 2, 'one write per sample');
    // A key renders the tree, which draws the latest sample, not an older one: Ctrl-L draws it whole.
    const beforeRedraw = writes.length;
    await pressOnce(app.stdin, '\u000C');
    await waitFor(() => writes.slice(beforeRedraw).join('').includes('\u001B[2J'), 'a whole redraw');
    assert.ok(commits > before.commits, 'a commit for the key');
    assert.match(writes.slice(beforeRedraw).join(''), /up 0:01:02/);
  });

  test('a sample whose draw by the writer throws is rendered through React instead', async () => {
    const writes: string[] = [];
    let commits = 0;
    let fail = false;
    const writer = new PaneWriter((text) => {
      if (fail) {
        fail = false;
        throw new Error('draw failed');
      }
      writes.push(text);
    });
    const { feed } = harness(series, writer, undefined, () => (commits += 1));
    await feed(0);
    await waitFor(() => writes.join('').includes('vCPU 0 '), 'the first sample drawn');
    const before = { commits, writes: writes.length };
    fail = true;
    await feed(1);
    await waitFor(() => commits > before.commits, 'a render for the sample the writer failed on');
    assert.equal(fail, false, 'the writer was asked first');
    // The render draws that sample, whole: the failed write left the screen unknown.
    await waitFor(() => writes.slice(before.writes).join('').includes('up 0:01:01'), 'the sample drawn by the render');
    assert.match(writes.slice(before.writes).join(''), /\u001B\[2J/);
  });

  test('one frame per sample (with its disk rates), and none while nothing changes', async () => {
    const { app, clock, feed } = harness(series);
    await feed(0);
    // The first sample's frame is in (on a busy machine it can land after feed's wait).
    await waitFor(() => /^vCPU 0 /m.test(plain(app.lastFrame())), 'the first sample drawn');
    const before = app.frames.length;
    await feed(1);
    await feed(2);
    await waitFor(() => /up 0:01:02/.test(plain(app.lastFrame())), 'the third sample drawn');
    assert.ok(app.frames.length - before <= 2, `${app.frames.length - before} frames for 2 samples`);
    const idle = app.frames.length;
    await clock.advance(5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(app.frames.length, idle, 'no sample, no event: no redraw');
  });

  test('disk I/O rates from QMP blockstats, one reading per sample', async () => {
    const { app, feed } = harness(series);
    await feed(0);
    await feed(1);
    await waitFor(() => /disk I\/O/.test(plain(app.lastFrame())), 'the disk line');
    assert.match(plain(app.lastFrame()), /^disk I\/O {2}virtio-disk0 {2}read 1\.0 MiB\/s \(16 op\/s\) {2}write 0 B\/s \(0 op\/s\)$/m);
  });

  test('a VM without disks is asked for them every 10th sample, one whose QMP does not answer yet every sample', async () => {
    const long = snapshots(Array.from({ length: 21 }, (_, index) => sample(record.startedAtMs + 60_000 + index * 1000, index + 1)));
    for (const [answer, expected] of [['none', 3], ['no-answer', 21], ['one', 21]] as const) {
      const { app, control, feed } = harness(long);
      control.disks = answer;
      for (let index = 0; index < long.length; index += 1) await feed(index);
      await waitFor(() => /up 0:01:20/.test(plain(app.lastFrame())), 'the last sample drawn');
      assert.equal(control.reads, expected, `${answer}: ${control.reads} blockstats queries for ${long.length} samples`);
      if (answer === 'one') assert.match(plain(app.lastFrame()), /^disk I\/O {2}virtio-disk0/m, 'the disk line');
      else assert.doesNotMatch(plain(app.lastFrame()), /disk I\/O/, 'no disk line without disks');
      cleanup();
    }
  });

  test('a QMP that stops answering is asked every sample, also after "no disks"; two missed answers in a row take the disk line away', async () => {
    {
      // Sample 0: no disks; 1-9 are not asked; 10 is, and gets no answer; 11-13 are asked again.
      const long = snapshots(Array.from({ length: 14 }, (_, index) => sample(record.startedAtMs + 60_000 + index * 1000, index + 1)));
      const { control, feed } = harness(long);
      control.disks = 'none';
      for (let index = 0; index < 10; index += 1) await feed(index);
      control.disks = 'no-answer';
      for (let index = 10; index < long.length; index += 1) await feed(index);
      assert.equal(control.reads, 5, `${control.reads} blockstats queries`);
      cleanup();
    }
    const long = snapshots(Array.from({ length: 4 }, (_, index) => sample(record.startedAtMs + 60_000 + index * 1000, index + 1)));
    {
      const { app, control, feed } = harness(long);
      control.disks = 'one';
      await feed(0);
      await feed(1);
      await waitFor(() => /disk I\/O/.test(plain(app.lastFrame())), 'the disk line');
      control.disks = 'no-answer';
      await feed(2);
      await waitFor(() => /up 0:01:02/.test(plain(app.lastFrame())), 'sample 2 drawn');
      assert.match(plain(app.lastFrame()), /disk I\/O/, 'one missed answer keeps the last rates');
      await feed(3);
      await waitFor(() => /up 0:01:03/.test(plain(app.lastFrame())), 'sample 3 drawn');
      assert.doesNotMatch(plain(app.lastFrame()), /disk I\/O/, 'a second missed answer takes them away');
      cleanup();
    }
  });

  test('after the ACPI button, a guest still running 30 s later gets the offer to force it', async () => {
    const { app, clock, feed } = harness(series);
    await feed(0);
    await press(app.stdin, 's');
    await waitFor(() => /ACPI power button sent/.test(plain(app.lastFrame())), 'the ACPI answer');
    await clock.advance(29_000);
    assert.doesNotMatch(plain(app.lastFrame()), /has not powered off/);
    await clock.advance(1_000);
    await waitFor(() => /has not powered off 30 s after the ACPI button: F forces it off/.test(plain(app.lastFrame())), 'the force offer');
  });

  test('a guest that powers off within the 30 s gets no offer to force it', async () => {
    const exiting = snapshots([sample(record.startedAtMs, 1), sample(record.startedAtMs + 1000, 2, false)]);
    const { app, clock, feed } = harness(exiting);
    await feed(0);
    await press(app.stdin, 's');
    await waitFor(() => /ACPI power button sent/.test(plain(app.lastFrame())), 'the ACPI answer');
    await feed(1);
    await waitFor(() => /The VM has exited/.test(plain(app.lastFrame())), 'the exit');
    await clock.advance(30_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.doesNotMatch(plain(app.lastFrame()), /has not powered off/);
  });

  test('shows drift as a word, with the plan beside the pins', async () => {
    const drifted = snapshots([sample(record.startedAtMs, 1), sample(record.startedAtMs + 1000, 2, true, true)]);
    const { app, feed } = harness(drifted);
    await feed(0);
    await feed(1);
    assert.match(plain(app.lastFrame()), /^vCPU 0 DRIFT .* 1,2 \(plan 1\)$/m);
  });

  test('keys reach the control: p pauses then resumes, s sends ACPI, F needs y, r re-pins', async () => {
    const { app, control, feed } = harness(series);
    await feed(0);
    // One key at a time, each once the pane has settled: a key sent while Ink re-subscribes its
    // input handler (after every render) reaches the previous one, or none, on a busy machine.
    const called = (name: string) => control.calls.includes(name);
    await pressOnce(app.stdin, 'p');
    await waitFor(() => plain(app.lastFrame()).includes('[PAUSED]'), 'the paused state');
    await pressOnce(app.stdin, 'p');
    await waitFor(() => called('resume'), 'the resume');
    await pressOnce(app.stdin, 's');
    await waitFor(() => called('powerdown'), 'the ACPI power-down');
    await pressOnce(app.stdin, 'F');
    await waitFor(() => /Force quit: QEMU ends at once.*y to confirm/.test(plain(app.lastFrame())), 'the force-quit question');
    await pressOnce(app.stdin, 'n');
    await waitFor(() => /force quit cancelled/.test(plain(app.lastFrame())), 'the cancel answer');
    await pressOnce(app.stdin, 'F');
    await waitFor(() => /Force quit: QEMU ends at once.*y to confirm/.test(plain(app.lastFrame())), 'the force-quit question again');
    await pressOnce(app.stdin, 'y');
    await waitFor(() => called('forceQuit'), 'the force quit');
    await pressOnce(app.stdin, 'r');
    await waitFor(() => plain(app.lastFrame()).includes('re-pin: 1 thread back on plan'), 'the re-pin answer');
    assert.deepEqual(control.calls.filter((call) => call !== 'connect'), ['pause', 'resume', 'powerdown', 'forceQuit', 'repin']);
    assert.match(plain(app.lastFrame()), /did repin/, 'the event log shows what happened');
  });

  test('at 60x20 the keys line and the help are whole: a shorter keys line, the help wrapped and in pages that space turns', async () => {
    const { app, feed } = harness(series, undefined, { columns: 60, rows: 20 });
    await feed(0);
    const frame = plain(app.lastFrame());
    assert.match(frame, /^p pause {2}s shutdown {2}F force {2}r re-pin {2}q detach {2}\? help *$/m);
    await pressOnce(app.stdin, '?');
    const first = plain(app.lastFrame());
    assert.match(first, /help 1\/2: space for the next page, any other key closes/);
    assert.match(first, /^ {2}r {6}re-pin: put every thread back on its planned CPUs,$/m, 'an entry wraps at a word');
    assert.match(first, /^ {9}checked in \/proc$/m, 'its rest is under its description');
    await pressOnce(app.stdin, ' ');
    const second = plain(app.lastFrame());
    assert.match(second, /help 2\/2: space for the first page/);
    assert.match(second, /^ {2}pinned {5}the CPUs it may run on now; DRIFT when that$/m);
    assert.match(second, /^ {13}differs from the plan$/m);
    const all = first + '\n' + second;
    for (const word of ['steal time', 'force quit', 're-attaches', 'migr/s', 'exit status 130']) assert.ok(all.includes(word), `the help says ${word}`);
    for (const line of all.split('\n')) assert.ok(line.length <= 60, `wider than 60 columns: ${line}`);
    assert.ok(first.split('\n').length <= 20 && second.split('\n').length <= 20);
    await pressOnce(app.stdin, 'x');
    assert.doesNotMatch(plain(app.lastFrame()), /help \d\/2/, 'any other key closes it');
  });

  test('? opens the help, any key closes it', async () => {
    const { app, feed } = harness(series);
    await feed(0);
    await press(app.stdin, '?');
    await waitFor(() => /wait ms\/s {2}time runnable but waiting for a host CPU: the guest sees it as steal time/.test(plain(app.lastFrame())), 'the help');
    await press(app.stdin, 'x');
    await waitFor(() => !/steal time/.test(plain(app.lastFrame())), 'the help to close');
  });

  test('an exited VM is a state: EXITED, no controls, q still leaves', async () => {
    const exited = snapshots([sample(record.startedAtMs, 1), sample(record.startedAtMs + 1000, 2, false)]);
    const { app, control, exits, feed, cleaned } = harness(exited);
    await feed(0);
    await feed(1);
    const frame = plain(app.lastFrame());
    assert.match(frame, /\[EXITED\]/);
    assert.deepEqual(cleaned, [record.runDir], 'the run dir of an exited VM is removed');
    assert.match(frame, /The VM has exited/);
    assert.match(frame, /qemu: qemu-system-x86_64: terminating on signal 15 from pid 99/, 'what QEMU last said');
    assert.match(frame, /^q leave {2}\? help\s*$/m, 'the keys line offers only what still works');
    assert.doesNotMatch(frame, /pause\/resume|re-pin/);
    await press(app.stdin, 'p');
    await waitFor(() => /the VM has exited: q leaves/.test(plain(app.lastFrame())), 'the refusal');
    assert.ok(!control.calls.includes('pause'));
    await press(app.stdin, 'q');
    await waitFor(() => exits.length > 0, 'the exit');
    assert.deepEqual(exits, [0]);
  });

  test('an exit QEMU wrote nothing about is told by its SHUTDOWN event, or else as a kill or crash', () => {
    assert.equal(
      exitWithoutMessage([{ text: 'paused (QMP stop)' }, { text: 'event SHUTDOWN (host-qmp-quit)' }, { text: 'QEMU told to quit' }]),
      'QEMU quit after SHUTDOWN (host-qmp-quit); its runtime dir is removed',
    );
    assert.equal(exitWithoutMessage([{ text: 'event STOP' }]), 'QEMU left no message (killed with SIGKILL, or it crashed); its runtime dir is removed');
    assert.equal(exitWithoutMessage([]), 'QEMU left no message (killed with SIGKILL, or it crashed); its runtime dir is removed');
  });

  test('q detaches (0) and Ctrl-C too (130); the sampler stops and QMP closes, the VM is not touched', async () => {
    const first = harness(series);
    await first.feed(0);
    await press(first.app.stdin, 'q');
    await waitFor(() => first.exits.length > 0, 'the exit');
    assert.deepEqual(first.exits, [0]);
    await waitFor(() => first.stopped(), 'the sampler to stop');
    assert.deepEqual(first.control.calls, ['connect', 'close']);
    cleanup();
    const second = harness(series);
    await second.feed(0);
    await press(second.app.stdin, '\u0003');
    await waitFor(() => second.exits.length > 0, 'the exit');
    assert.deepEqual(second.exits, [130]);
  });
});

describe('monitor lines', () => {
  test('sparklines scale 0-100 and keep unknowns blank; ASCII for TERM=dumb', () => {
    assert.equal(sparkline([0, 50, 100, null], 4), '▁▅█ ');
    assert.equal(sparkline([0, 100], 4, true), '  _@');
  });

  test('the event log fills the rows left at 80x24 and nothing passes 24 rows', () => {
    const events = Array.from({ length: 40 }, (_, index) => ({ atMs: record.startedAtMs + index * 1000, text: `event ${index}` }));
    const lines = buildMonitorLines({ record, snapshot: series()[1]!, state: 'running', events, message: null, confirmForce: false, help: false, width: 80, height: 24, nowMs: record.startedAtMs + 5000, ascii: false });
    assert.ok(lines.length <= 24, `${lines.length} lines`);
    for (const line of lines) assert.ok(line.text.length <= 80, `wider than 80: ${line.text}`);
    assert.match(lines[0]!.text, /^web {2}\[RUNNING\]/, 'at 80 columns the header drops the program name to keep the facts');
    assert.match(lines.at(-2)!.text, /event 39/, 'the newest event is last');
    assert.match(lines.at(-1)!.text, /^p pause/);
  });
});

function series(): MonitorSnapshot[] {
  return snapshots([sample(record.startedAtMs, 1), sample(record.startedAtMs + 1000, 2)]);
}

test('an iothread is its own row, labelled io ID, with its figures and pins', () => {
  const withIo = (atMs: number, step: number): VmSample => {
    const base = sample(atMs, step);
    return { ...base, threads: [...base.threads, { ...thread(4260, 'iothread', 0, step * 0.25e9, step * 0.005e9, [0], [0]), id: 'io0' }] };
  };
  const [, second] = snapshots([withIo(record.startedAtMs + 1000, 1), withIo(record.startedAtMs + 2000, 2)]);
  const lines = buildMonitorLines({ record, snapshot: second!, state: 'running', events: [], disks: [], exitNote: null, message: null, confirmForce: false, help: false, width: 100, height: 30, nowMs: record.startedAtMs + 2000, ascii: true }).map((line) => line.text);
  const row = lines.find((line) => line.startsWith('io io0 '));
  assert.ok(row, lines.join('\n'));
  assert.match(row!, /^io io0 +4260 +25\.0 /);
  assert.match(row!.trimEnd(), / 0$/);
});
