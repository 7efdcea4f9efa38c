/**
 * A QEMU kvm-tui did not start (run by hand here, as libvirt or another tool would) with its
 * threads bound to CPU 1: the direct backend sees it in /proc, `topology` names it as holding
 * CPU 1 and `plan` leaves CPU 1 alone. Real QEMU, real /proc.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { BUNDLE, ensureBundle } from '../helpers/bundle.js';

const cli = (args: string[]) => spawnSync(process.execPath, [BUNDLE, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });

describe('QEMU processes kvm-tui did not start', () => {
  let qemu: ChildProcess | null = null;
  after(() => {
    qemu?.kill('SIGKILL');
  });

  it('one pinned to CPU 1 holds it: topology names it, plan avoids it', async () => {
    ensureBundle();
    const name = `foreign-${process.pid}`;
    // No machine, stopped before it runs: a live QEMU process with every thread on CPU 1.
    qemu = spawn('taskset', ['-c', '1', 'qemu-system-x86_64', '-name', `guest=${name},debug-threads=on`, '-machine', 'none', '-nodefaults', '-no-user-config', '-display', 'none', '-S', '-monitor', 'none'], { stdio: 'ignore' });
    const pid = qemu.pid!;
    let text = '';
    for (let i = 0; i < 100 && !text.includes(`(QEMU pid ${pid})`); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = cli(['topology']).stdout;
    }
    assert.ok(text.includes(`  "${name} (QEMU pid ${pid})"  CPU 1`), text);

    const plan = cli(['plan', '--preset', 'tiny-test', '--accel', 'tcg', '--vcpus', '1', '--json']);
    const parsed = JSON.parse(plan.stdout) as { vcpus: Array<{ hostCpu: number | null }>; errors: unknown[] };
    assert.deepEqual(parsed.errors, [], plan.stdout);
    assert.ok(parsed.vcpus.every((vcpu) => vcpu.hostCpu !== 1), plan.stdout);
    const textPlan = cli(['plan', '--preset', 'tiny-test', '--accel', 'tcg', '--vcpus', '1']);
    assert.match(textPlan.stdout, new RegExp(`held by running VMs \\(left alone\\):\\n  "${name} \\(QEMU pid ${pid}\\)"  CPU 1`));
  });
});
