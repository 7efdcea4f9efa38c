/**
 * launchVm's failure paths with a stand-in for QEMU (a real `sleep` process that never opens
 * QMP): the record is written as soon as the process exists, an interrupted launch and a QMP
 * that never answers both leave nothing running and no run dir, and a second launch of the
 * same VM while one holds the lock is refused. The success path runs against the real QEMU in
 * test/real/launch.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { isRecordAlive, readRecord } from '../../src/registry/registry.js';
import { LaunchError, launchVm, type LaunchServices } from '../../src/run/launch.js';
import { signalReal } from '../../src/run/real-services.js';
import { runCommand } from '../../src/run/run-command.js';
import { runDirPaths } from '../../src/shared/vm-paths.js';
import { SteppingClock } from '../helpers/fake-clock.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { qemuPlan, qemuSpec } from '../helpers/qemu-plans.js';

const started: number[] = [];
after(() => {
  for (const pid of started) signalReal(pid, 'SIGKILL');
});

const procFs = new HostFs('/', { record: false });
const alive = (pid: number) => {
  const text = procFs.read(`/proc/${pid}/stat`);
  return text !== null && !/\) [ZX] /.test(text);
};

function services(overrides: Partial<LaunchServices> = {}): LaunchServices & { interrupt: () => Promise<void> } {
  let trapped: (() => Promise<void>) | null = null;
  return {
    run: runCommand,
    // QEMU's stand-in: alive, in its own session, never answering on QMP.
    spawnDetached: async () => {
      const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
      child.unref();
      await new Promise((resolve) => child.once('spawn', resolve));
      started.push(child.pid!);
      return child.pid!;
    },
    signal: signalReal,
    // Its deadlines (QMP for 20 s, 3 s for QEMU to end) pass in steps, not on the wall clock.
    clock: new SteppingClock(Date.now()),
    procFs,
    uid: process.getuid?.() ?? 0,
    env: process.env,
    launcherPid: process.pid,
    trapInterrupts: (cleanup) => {
      trapped = cleanup;
      return () => {
        trapped = null;
      };
    },
    interrupt: async () => {
      assert.ok(trapped, 'launch trapped interrupts');
      await trapped();
    },
    ...overrides,
  };
}

function request(name: string, qmpTimeoutMs: number) {
  const runDir = path.join(scratchDir('launch-unit'), 'vms', name);
  const plan = qemuPlan(qemuSpec({ name, accel: 'tcg', cpu: { model: 'qemu64' }, network: { mode: 'none' } }), { emulator: [0] });
  return { plan, argv: ['qemu-system-x86_64', '-name', name], runDir, qmpTimeoutMs };
}

describe('launchVm when QEMU does not get going', () => {
  it('records the VM as starting at once; an interrupt stops it and leaves no run dir', async () => {
    const svc = services();
    const req = request('interrupted', 20_000);
    const launching = launchVm(req, svc);
    // The launch fails as soon as the interrupt stopped its QEMU: observe that from the start.
    const outcome = launching.then(
      () => null,
      (error: unknown) => error,
    );
    let pid = 0;
    const deadline = Date.now() + 5000;
    for (;;) {
      const record = readRecord(req.runDir, svc.uid);
      if (record) {
        assert.equal(record.phase, 'starting');
        assert.ok(isRecordAlive(record, procFs, svc.uid));
        pid = record.pid;
        break;
      }
      assert.ok(Date.now() < deadline, 'the record appears right after the spawn');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(fs.existsSync(runDirPaths(req.runDir).launchLock), 'the launch holds its lock');
    await svc.interrupt();
    assert.ok(!alive(pid), 'the half-started VM was stopped');
    assert.ok(!fs.existsSync(req.runDir), 'and its run dir removed');
    assert.ok((await outcome) instanceof LaunchError);
  });

  it('gives up on a QMP that never answers: step qmp named, process ended (SIGTERM), nothing left', async () => {
    const svc = services();
    const req = request('silent', 1500);
    let pid = 0;
    const spawnDetached = svc.spawnDetached;
    svc.spawnDetached = async (argv, options) => (pid = await spawnDetached(argv, options));
    await assert.rejects(launchVm(req, svc), (error: unknown) => {
      assert.ok(error instanceof LaunchError);
      assert.equal(error.step, 'qmp');
      assert.match(error.message, /^launch: qmp: no QMP answer on .*qmp\.sock within 2 s/);
      return true;
    });
    assert.ok(pid > 0 && !alive(pid), 'the stand-in was stopped');
    assert.ok(!fs.existsSync(req.runDir));
  });

  it('refuses a second launch of the same VM while another holds its lock', async () => {
    const svc = services();
    const req = request('locked', 1500);
    fs.mkdirSync(req.runDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(runDirPaths(req.runDir).launchLock, `${process.pid}\n`);
    let spawned = false;
    svc.spawnDetached = async () => {
      spawned = true;
      return 0;
    };
    await assert.rejects(launchVm(req, svc), (error: unknown) => error instanceof LaunchError && /another launch of this VM is in progress \(pid \d+\)/.test(error.message));
    assert.equal(spawned, false, 'nothing was started');
    assert.ok(fs.existsSync(runDirPaths(req.runDir).launchLock), 'the other launch keeps its lock');
  });
});
