/**
 * VmControl, the live pane's controls, against a fake QMP server at the VM's monitor socket
 * and a fake /proc: the state follows query-status and QMP events (STOP, RESUME, SHUTDOWN with
 * its reason), each control sends its QMP command and logs it, blockstats maps QEMU's counters,
 * and re-pin puts drifted threads back with taskset and checks /proc (a thread QEMU started since
 * launch goes to the emulator CPUs), reporting what it could not fix.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { realClock } from '../../src/run/real-services.js';
import type { RunCommand } from '../../src/run/run-command.js';
import { VmControl } from '../../src/run/vm-control.js';
import { runDirPaths } from '../../src/shared/vm-paths.js';
import { SteppingClock } from '../helpers/fake-clock.js';
import { closeFakeQmp, fakeQmp } from '../helpers/fake-qmp.js';
import { failed, ok } from '../helpers/fake-runner.js';
import { writeFakeKernelThread } from '../helpers/fake-proc.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { fakeRecord } from '../helpers/vm-records.js';

after(() => closeFakeQmp());

const until = async (test: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !test(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(test(), what);
};

/** A /proc with the record's QEMU and its threads, each allowed on `affinity[tid]`. */
function fakeProc(pid: number, affinity: Record<number, string>): { procFs: HostFs; set: (tid: number, cpus: string) => void } {
  const root = scratchDir('vm-control-proc');
  const set = (tid: number, cpus: string) => {
    const dir = path.join(root, 'proc', String(pid), 'task', String(tid));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'status'), `Name:\tqemu\nTgid:\t${pid}\nPid:\t${tid}\nCpus_allowed_list:\t${cpus}\nMems_allowed_list:\t0\n`);
  };
  for (const [tid, cpus] of Object.entries(affinity)) set(Number(tid), cpus);
  return { procFs: new HostFs(root, { record: false }), set };
}

describe('VmControl', () => {
  it('state from query-status and events; each control sends its QMP command and logs it; blockstats maps the counters', async () => {
    const commands: string[] = [];
    const socket = await fakeQmp((command, send) => {
      commands.push(command.execute);
      if (command.execute === 'query-status') send({ return: { status: 'running', running: true }, id: command.id });
      else if (command.execute === 'query-blockstats') send({ return: [{ qdev: 'virtio-disk0', stats: { rd_bytes: 4096, wr_bytes: 512, rd_operations: 2, wr_operations: 1 } }], id: command.id });
      else if (command.execute === 'stop') {
        send({ return: {}, id: command.id });
        send({ event: 'STOP', data: {}, timestamp: { seconds: 1, microseconds: 0 } });
      } else if (command.execute === 'system_powerdown') {
        send({ return: {}, id: command.id });
        send({ event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' }, timestamp: { seconds: 2, microseconds: 0 } });
      } else send({ return: {}, id: command.id });
    });
    const runDir = scratchDir('vm-control-run');
    fs.symlinkSync(socket, runDirPaths(runDir).monitorSocket);
    const control = new VmControl(fakeRecord(runDir), { clock: realClock, run: async () => ok(), procFs: fakeProc(4242, {}).procFs });
    let changes = 0;
    control.onChange(() => changes++);
    assert.equal(await control.connect(), null);
    assert.equal(control.state, 'running');
    await control.pause();
    await until(() => control.state === 'paused', 'STOP makes it paused');
    await control.resume();
    await control.powerdown();
    await until(() => control.state === 'shutdown', 'SHUTDOWN makes it shut down');
    await control.forceQuit();
    assert.deepEqual(commands, ['query-status', 'stop', 'cont', 'system_powerdown', 'quit']);
    const texts = control.events.toArray().map((event) => event.text);
    for (const text of ['paused (QMP stop)', 'event STOP', 'resumed (QMP cont)', 'ACPI power button pressed (system_powerdown)', 'event SHUTDOWN (guest-shutdown)', 'QEMU told to quit']) assert.ok(texts.includes(text), `${text} in ${JSON.stringify(texts)}`);
    assert.ok(changes >= 6, 'the pane was told of every change');
    assert.deepEqual(await control.blockstats(), [{ device: 'virtio-disk0', rdBytes: 4096, wrBytes: 512, rdOps: 2, wrOps: 1 }]);
    control.close();
    assert.equal(await control.blockstats(), null, 'closed: no reading, no error');
  });

  it('without a monitor socket: connect says why and the controls log "not connected" instead of throwing', async () => {
    // Its 3 s of retries for the missing socket pass on a clock that steps, not on the wall clock.
    const control = new VmControl(fakeRecord(scratchDir('vm-control-none')), { clock: new SteppingClock(), run: async () => ok(), procFs: fakeProc(4242, {}).procFs });
    assert.notEqual(await control.connect(), null);
    await control.pause();
    assert.ok(control.events.toArray().some((event) => event.text === 'QMP stop: not connected'));
    control.close();
  });

  it('re-pin: drifted threads back with taskset and read back from /proc; a new thread to the emulator CPUs; what fails is named', async () => {
    // vCPU 0 (tid 4250) drifted to 0-3, vCPU 1 is on plan, the emulator drifted, 4260 is new.
    const proc = fakeProc(4242, { 4242: '0-3', 4250: '0-3', 4251: '2', 4260: '0-3' });
    const calls: string[][] = [];
    const run: RunCommand = async (argv) => {
      calls.push([...argv]);
      const tid = Number(argv.at(-1));
      if (tid === 4260) return failed('taskset: failed to set pid 4260\'s affinity: Operation not permitted');
      proc.set(tid, argv[argv.indexOf('--cpu-list') + 1]!);
      return ok();
    };
    const control = new VmControl(fakeRecord(scratchDir('vm-control-repin')), { clock: realClock, run, procFs: proc.procFs });
    const text = await control.repin();
    assert.deepEqual(calls.map((argv) => argv.join(' ')).sort(), ['taskset --pid --cpu-list 0 4242', 'taskset --pid --cpu-list 0 4260', 'taskset --pid --cpu-list 1 4250'].sort());
    assert.match(text, /^re-pin: .*4260.*Operation not permitted/);
    // Once the new thread can be moved too, a second re-pin finds everything on plan but it.
    proc.set(4260, '0');
    assert.equal(await control.repin(), 're-pin: every thread already on plan');
  });

  it('re-pin moves a recorded vhost kernel thread only while it is still this VM\'s worker: a reused tid is never touched', async () => {
    const proc = fakeProc(4242, { 4242: '0', 4250: '1', 4251: '2' });
    const base = fakeRecord(scratchDir('vm-control-vhost'));
    const record = { ...base, threads: [...base.threads, { role: 'vhost' as const, index: 0, tid: 4300, tgid: 4300, plannedAffinity: [0] }, { role: 'vhost' as const, index: 1, tid: 4301, tgid: 4301, plannedAffinity: [0] }] };
    const root = proc.procFs.root;
    writeFakeKernelThread(root, 4300, 'vhost-4242', { cpus: '0-3' });
    // 4301's worker is gone; the number now belongs to someone's shell, off the VM's CPUs.
    writeFakeKernelThread(root, 4301, 'bash', { ppid: 1, cpus: '0-3' });
    const calls: string[] = [];
    const run: RunCommand = async (argv) => {
      calls.push(argv.join(' '));
      writeFakeKernelThread(root, Number(argv.at(-1)), 'vhost-4242', { cpus: argv[argv.indexOf('--cpu-list') + 1]! });
      return ok();
    };
    const control = new VmControl(record, { clock: realClock, run, procFs: proc.procFs });
    assert.equal(await control.repin(), 're-pin: 1 thread back on plan');
    assert.deepEqual(calls, ['taskset --pid --cpu-list 0 4300']);
  });
});
