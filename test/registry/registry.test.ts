/**
 * The registry over a temp runtime base and a fake /proc: a record counts while its process is the
 * one launched (pid and start time), stale dirs are removed (only ours), a reused pid is not our
 * VM, and running VMs' CPUs are taken for the planner.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { findVm, listVms, takenCpus } from '../../src/registry/registry.js';
import { heldCpus, parseVmRecord } from '../../src/registry/vm-record.js';
import { runDirPaths, vmRunDir } from '../../src/shared/vm-paths.js';
import { writeFakeProcess } from '../helpers/fake-proc.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { fakeRecord } from '../helpers/vm-records.js';

function setup() {
  const work = scratchDir('registry');
  const procRoot = path.join(work, 'host');
  fs.mkdirSync(path.join(procRoot, 'proc'), { recursive: true });
  const env = { XDG_RUNTIME_DIR: path.join(work, 'xdg') };
  const options = { env, uid: 1000, procFs: new HostFs(procRoot, { record: false }) };
  const place = (name: string, pid: number, startTicks: number, running: boolean) => {
    const dir = vmRunDir(name, options);
    fs.mkdirSync(dir, { recursive: true });
    const record = fakeRecord(dir, { name, pid, startTicks });
    fs.writeFileSync(runDirPaths(dir).vmRecord, JSON.stringify(record));
    fs.writeFileSync(runDirPaths(dir).qemuLog, '');
    if (running) writeFakeProcess(procRoot, pid, startTicks, [{ tid: pid, comm: 'qemu' }]);
    return { dir, record };
  };
  return { work, procRoot, options, place };
}

describe('registry', () => {
  it('lists running VMs by name and removes the run dirs of VMs that are gone', () => {
    const { options, place } = setup();
    const b = place('b-vm', 200, 5, true);
    const a = place('a-vm', 100, 5, true);
    const gone = place('gone', 300, 5, false);
    const vms = listVms(options);
    assert.deepEqual(vms.map((vm) => vm.record.name), ['a-vm', 'b-vm']);
    assert.ok(fs.existsSync(a.dir) && fs.existsSync(b.dir));
    assert.ok(!fs.existsSync(gone.dir), 'stale dir removed');
  });

  it('does not take another user\'s process for our VM', () => {
    const { procRoot, options, place } = setup();
    place('theirs', 500, 5, false);
    writeFakeProcess(procRoot, 500, 5, [{ tid: 500, comm: 'qemu' }], 51200, 1001);
    assert.equal(findVm('theirs', options), null, 'same pid and start time, but uid 1001');
  });

  it('trusts a record only from its own directory', () => {
    const { options, place } = setup();
    const { dir, record } = place('moved', 600, 5, true);
    fs.writeFileSync(runDirPaths(dir).vmRecord, JSON.stringify({ ...record, runDir: '/somewhere/else' }));
    assert.equal(findVm('moved', options), null);
  });

  it('does not take a reused pid for our VM, and leaves a dir with foreign files alone', () => {
    const { procRoot, options, place } = setup();
    const reused = place('reused', 400, 5, false);
    writeFakeProcess(procRoot, 400, 99, [{ tid: 400, comm: 'bash' }]);
    fs.writeFileSync(path.join(reused.dir, 'notes.txt'), 'mine');
    assert.equal(findVm('reused', options), null);
    assert.deepEqual(listVms(options), []);
    assert.ok(fs.existsSync(path.join(reused.dir, 'notes.txt')), 'a dir holding something kvm-tui did not write is kept');
  });

  it('reads without cleaning when asked (plan and generate change nothing)', () => {
    const { options, place } = setup();
    const gone = place('gone', 300, 5, false);
    assert.deepEqual(listVms({ ...options, clean: false }), []);
    assert.ok(fs.existsSync(gone.dir));
  });

  it('gives the planner the CPUs running VMs hold, except the one being replanned', () => {
    const { options, place } = setup();
    place('web', 100, 5, true);
    const vms = listVms(options);
    assert.deepEqual([...takenCpus(vms)], [[1, 'web'], [2, 'web']], 'vCPU CPUs; the shared emulator CPU is not held');
    assert.deepEqual([...takenCpus(vms, 'web')], []);
  });

  it('holds dedicated helper CPUs too', () => {
    const record = fakeRecord('/r');
    record.plan.spec.emulator.placement = 'dedicated';
    record.plan.emulator = [3];
    assert.deepEqual([...heldCpus(record)].sort(), [[1, 'web'], [2, 'web'], [3, 'web']]);
  });

  it('refuses records it did not write', () => {
    assert.equal(parseVmRecord('not json'), null);
    assert.equal(parseVmRecord('{"format":2}'), null);
    assert.equal(parseVmRecord(JSON.stringify({ ...fakeRecord('/r'), pid: 'x' })), null);
    assert.ok(parseVmRecord(JSON.stringify(fakeRecord('/r'))));
  });
});
