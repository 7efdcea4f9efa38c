/**
 * A named CPU model against QEMU's own answer (a recorded query-cpu-definitions of QEMU 7.2 under
 * TCG; test/real/cpu-models.test.ts checks against the live QEMU that the answer is what it does).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cpuModelFacts } from '../../src/commands/cpu-models.js';
import type { CommandContext } from '../../src/context.js';
import { HostFs } from '../../src/host/host-fs.js';
import { describe, it } from 'node:test';
import { parseCpuDefinitions, probeCpuModels } from '../../src/host/cpu-models.js';
import { checkCpuModel, usableRelatives } from '../../src/plan/check-cpu-model.js';
import { LAUNCH_BLOCKING_CODES } from '../../src/plan/codes.js';
import { createPlanMessages } from '../../src/plan/plan-messages.js';
import { failed, fakeRunner, ok } from '../helpers/fake-runner.js';
import { qemuSpec } from '../helpers/qemu-plans.js';

const RECORDED = fs.readFileSync(new URL('../fixtures/qmp/query-cpu-definitions-tcg.jsonl', import.meta.url), 'utf8');
const facts = parseCpuDefinitions(RECORDED, 'tcg')!;

function warnings(spec: ReturnType<typeof qemuSpec>, given: typeof facts | undefined = facts) {
  const messages = createPlanMessages();
  checkCpuModel(given, spec, messages);
  return messages.warnings;
}

describe('checkCpuModel', () => {
  it('reads QEMU\'s answer: unavailable features, aliases, the usable models', () => {
    assert.deepEqual(facts.models.get('qemu64'), { unavailable: [], aliasOf: 'qemu64-v1', deprecated: false });
    assert.ok(facts.models.get('Skylake-Server')!.unavailable.includes('avx512f'));
    assert.deepEqual(facts.models.get('host')!.unavailable, ['kvm']);
    assert.equal(parseCpuDefinitions('{"QMP": {}}\nnot json\n{"return": {}}\n', 'tcg'), null, 'no list, no facts');
  });

  it('a model the host can give: no warning; host/max and another accelerator\'s answer: not checked', () => {
    assert.deepEqual(warnings(qemuSpec({ accel: 'tcg', cpu: { model: 'qemu64' } })), []);
    assert.deepEqual(warnings(qemuSpec({ accel: 'tcg', cpu: { model: 'max' } })), []);
    assert.deepEqual(warnings(qemuSpec({ accel: 'kvm', cpu: { model: 'Skylake-Server' } })), [], 'a TCG answer says nothing about KVM');
    const messages = createPlanMessages();
    checkCpuModel(undefined, qemuSpec({ accel: 'tcg', cpu: { model: 'Skylake-Server' } }), messages);
    assert.deepEqual(messages.warnings, [], 'no answer, no check');
  });

  it('a model the host cannot give: a launch-blocking warning naming the features and what to use', () => {
    const [warning, ...rest] = warnings(qemuSpec({ accel: 'tcg', cpu: { model: 'Skylake-Server' } }));
    assert.equal(rest.length, 0);
    assert.equal(warning!.code, 'cpu-model-unavailable');
    assert.ok(LAUNCH_BLOCKING_CODES.has('cpu-model-unavailable'), 'launch refuses it: QEMU would not start');
    assert.match(warning!.message, /CPU model "Skylake-Server" needs pcid, x2apic, .* and \d+ more, which this host cannot give under tcg/);
    assert.match(warning!.message, /refuses to start it; use an older model/);
    assert.deepEqual(usableRelatives(facts, 'Nehalem-IBRS'), ['Nehalem'], 'a usable relative by name');
  });

  it('features the spec turns off are not needed from the host', () => {
    const missing = facts.models.get('Skylake-Server')!.unavailable;
    const off = missing.map((feature) => `-${feature}`);
    assert.deepEqual(warnings(qemuSpec({ accel: 'tcg', cpu: { model: 'Skylake-Server', features: off } })), []);
    const [warning] = warnings(qemuSpec({ accel: 'tcg', cpu: { model: 'Skylake-Server', features: off.slice(1) } }));
    assert.match(warning!.message, new RegExp(`needs ${missing[0]}, which`));
  });

  it('an unknown model name is said to be unknown', () => {
    assert.match(warnings(qemuSpec({ accel: 'tcg', cpu: { model: 'NoSuchLake' } }))[0]!.message, /not one this QEMU knows/);
  });

  it('the probe asks a machine-less, paused QEMU over QMP on stdin, and says why when it cannot', async () => {
    const run = fakeRunner([ok(RECORDED)]);
    const answer = await probeCpuModels(run.run, '/usr/bin/qemu-system-x86_64', 'tcg');
    assert.ok('facts' in answer && answer.facts.models.has('qemu64'));
    assert.deepEqual(run.calls[0]!.argv, ['/usr/bin/qemu-system-x86_64', '-machine', 'none', '-accel', 'tcg', '-nodefaults', '-no-user-config', '-display', 'none', '-S', '-qmp', 'stdio']);
    assert.match(run.calls[0]!.options?.input ?? '', /"execute":"query-cpu-definitions"/);
    const failing = fakeRunner([failed('qemu-system-x86_64: -accel kvm: Could not access KVM kernel module: No such file or directory\n')]);
    assert.deepEqual(await probeCpuModels(failing.run, 'qemu', 'kvm'), { error: 'qemu-system-x86_64: -accel kvm: Could not access KVM kernel module: No such file or directory' });
  });
});

describe('the CPU-model answer is cached per host state', () => {
  it('asks QEMU once, then reads the cache; a changed /proc/cpuinfo, kernel or QEMU binary asks again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvt-cpumodels-'));
    try {
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, 'qemu-system-x86_64'), '#!/bin/sh\n', { mode: 0o755 });
      const root = path.join(dir, 'root');
      fs.mkdirSync(path.join(root, 'proc/sys/kernel'), { recursive: true });
      fs.writeFileSync(path.join(root, 'proc/cpuinfo'), 'vendor_id\t: GenuineIntel\ncpu MHz\t\t: 2000.1\nflags\t\t: fpu vmx\n');
      fs.writeFileSync(path.join(root, 'proc/sys/kernel/osrelease'), '6.1.0\n');
      const runner = fakeRunner([ok(RECORDED), ok(RECORDED)]);
      const errors: string[] = [];
      const ctx = { capturedRoot: false, env: { PATH: bin, XDG_CACHE_HOME: path.join(dir, 'cache') }, run: runner.run, hostFs: new HostFs(root), stderr: (text: string) => errors.push(text) } as unknown as CommandContext;
      const spec = qemuSpec({ accel: 'tcg', cpu: { model: 'qemu64' } });
      assert.ok((await cpuModelFacts(ctx, spec))?.models.has('qemu64'));
      assert.equal(runner.calls.length, 1);
      // The MHz line changes all the time: not part of the key.
      fs.writeFileSync(path.join(root, 'proc/cpuinfo'), 'vendor_id\t: GenuineIntel\ncpu MHz\t\t: 3100.7\nflags\t\t: fpu vmx\n');
      assert.ok((await cpuModelFacts(ctx, spec))?.models.has('qemu64'));
      assert.equal(runner.calls.length, 1, 'answered from the cache');
      assert.equal((fs.statSync(path.join(dir, 'cache/kvm-tui/cpu-models.json')).mode & 0o777), 0o600);
      fs.writeFileSync(path.join(root, 'proc/cpuinfo'), 'vendor_id\t: GenuineIntel\ncpu MHz\t\t: 3100.7\nflags\t\t: fpu vmx avx512f\n');
      await cpuModelFacts(ctx, spec);
      assert.equal(runner.calls.length, 2, 'new CPU flags (microcode, a new host): QEMU asked again');
      assert.deepEqual(errors, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
