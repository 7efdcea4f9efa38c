import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { buildPinScript } from '../../src/generate/pin-script.js';
import { HOSTILE_STRINGS, qemuPlan, qemuSpec } from '../helpers/qemu-plans.js';

/** Runs bash with the script's variable block only (everything before the first function). */
function scriptVariables(script: string, names: string[]): Record<string, string> {
  const head = script.slice(0, script.indexOf('die() {'));
  const dump = names.map((name) => `declare -p ${name}`).join('; ');
  const result = spawnSync('bash', ['-c', `${head}\n${dump}`, 'pin', ...[]], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const out: Record<string, string> = {};
  for (const line of result.stdout.trimEnd().split('\n')) {
    const match = /^declare -\S+ (\w+)=(.*)$/s.exec(line);
    if (match) out[match[1]!] = match[2]!;
  }
  return out;
}

describe('buildPinScript', () => {
  const spec = qemuSpec({ iothreads: { count: 2 } });
  const plan = qemuPlan(spec, { hostCpus: [4, 5, 6, null], emulator: [0, 1, 2, 8], iothreadCpus: [[3], [9, 10, 11]] });
  const script = buildPinScript(plan, { runDir: '/run/kvm-tui/vms/vm1-00000000' });

  it('is a bash script that parses', () => {
    assert.ok(script.startsWith('#!/bin/bash\n'));
    const syntax = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    assert.equal(syntax.status, 0, syntax.stderr);
  });

  it('carries the plan: one entry per vCPU (empty = unpinned), iothreads, emulator CPUs, default socket', () => {
    const vars = scriptVariables(script, ['vcpu_cpus', 'iothread_ids', 'iothread_cpus', 'emulator_cpus', 'qmp_socket']);
    assert.equal(vars.vcpu_cpus, '([0]="4" [1]="5" [2]="6" [3]="")');
    assert.equal(vars.iothread_ids, '([0]="io0" [1]="io1")');
    assert.equal(vars.iothread_cpus, '([0]="3" [1]="9-11")');
    assert.equal(vars.emulator_cpus, '"0-2,8"');
    assert.equal(vars.qmp_socket, '"/run/kvm-tui/vms/vm1-00000000/qmp.sock"');
  });

  it('lets $1 override the QMP socket', () => {
    const head = script.slice(0, script.indexOf('die() {'));
    const result = spawnSync('bash', ['-c', `${head}\necho "$qmp_socket"`, 'pin', '/tmp/other socket'], { encoding: 'utf8' });
    assert.equal(result.stdout, '/tmp/other socket\n');
  });

  it('documents why perl speaks QMP and what it needs', () => {
    assert.match(script, /perl-base is Essential/);
    assert.match(script, /taskset and chrt \(util-linux\)/);
    assert.match(script, /query-cpus-fast/);
  });

  for (const name of HOSTILE_STRINGS) {
    it(`quotes the hostile name ${JSON.stringify(name)} and run dir: bash sees them exactly`, () => {
      const hostile = buildPinScript(qemuPlan(qemuSpec({ name })), { runDir: `/tmp/${name}` });
      const syntax = spawnSync('bash', ['-n'], { input: hostile, encoding: 'utf8' });
      assert.equal(syntax.status, 0, syntax.stderr);
      const head = hostile.slice(0, hostile.indexOf('die() {'));
      const result = spawnSync('bash', ['-c', `${head}\nprintf '%s\\0%s' "$qmp_socket" "$expected_name_hex"`], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      const [socket, nameHex] = result.stdout.split('\0');
      assert.equal(socket, `/tmp/${name}/qmp.sock`);
      assert.equal(Buffer.from(nameHex!, 'hex').toString('utf8'), name);
    });
  }
});
