/**
 * QEMU's list of what this host can give each named CPU model (src/host/cpu-models.ts, read by
 * the planner's cpu-model-unavailable warning) is what QEMU then does: for models it calls
 * usable, `-cpu MODEL,enforce` starts; for models with unavailable features, it refuses. Under
 * TCG always; under KVM where /dev/kvm opens (the one allowed skip, with the reason printed).
 * And the vendor table the planner decides SMT/topoext by (src/spec/cpu-vendor.ts) is QEMU's:
 * every model QEMU lists is in it with the vendor QEMU gives that model.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { probeCpuModels, type CpuModelFacts } from '../../src/host/cpu-models.js';
import { guestCpuVendor, namedModelVendor } from '../../src/spec/cpu-vendor.js';
import { runCommand } from '../../src/run/run-command.js';
import type { Accel } from '../../src/spec/types.js';
import { QEMU_BINARY, requireTool } from '../helpers/qemu-process.js';

/** Starts a paused, machine-bearing QEMU with `-cpu MODEL,enforce` and quits it over QMP. */
function starts(model: string, accel: Accel): { started: boolean; stderr: string } {
  const result = spawnSync(QEMU_BINARY, ['-machine', 'pc', '-accel', accel, '-cpu', `${model},enforce`, '-m', '64', '-nodefaults', '-no-user-config', '-display', 'none', '-S', '-qmp', 'stdio'], {
    input: '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n',
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { started: result.status === 0 && /"return"/.test(result.stdout), stderr: result.stderr };
}

function sample(facts: CpuModelFacts, usable: boolean): string[] {
  return [...facts.models]
    .filter(([name, info]) => info.aliasOf !== null && !info.deprecated && (info.unavailable.length === 0) === usable && name !== 'host')
    .map(([name]) => name)
    .sort()
    .filter((_, index, all) => index % Math.max(1, Math.floor(all.length / 4)) === 0)
    .slice(0, 4);
}

const kvmOpens = (() => {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();

describe('QEMU does what its CPU model list says (enforce)', () => {
  for (const accel of ['tcg', 'kvm'] as const) {
    const skip = accel === 'kvm' && !kvmOpens ? '/dev/kvm does not open read-write here' : false;
    it(`under ${accel}`, { skip }, async (t) => {
      requireTool(QEMU_BINARY, 'qemu-system-x86');
      const answer = await probeCpuModels(runCommand, QEMU_BINARY, accel);
      assert.ok('facts' in answer, `QEMU lists its models under ${accel}: ${'error' in answer ? answer.error : ''}`);
      const usable = sample(answer.facts, true);
      const unusable = sample(answer.facts, false);
      t.diagnostic(`usable: ${usable.join(', ')}; not usable: ${unusable.join(', ')}`);
      assert.ok(usable.length > 0, 'some model is usable');
      for (const model of usable) assert.ok(starts(model, accel).started, `${model} is listed usable under ${accel} but does not start with enforce: ${starts(model, accel).stderr}`);
      for (const model of unusable) {
        const result = starts(model, accel);
        assert.ok(!result.started, `${model} is listed with unavailable features under ${accel} but starts with enforce`);
        for (const feature of answer.facts.models.get(model)!.unavailable.slice(0, 1)) assert.match(result.stderr, new RegExp(`\\.${feature.replace(/[.]/g, '\\.')} \\[bit|${feature}`), `QEMU names ${feature}`);
      }
    });
  }
});

const VENDOR_IDS: Record<string, string> = { GenuineIntel: 'intel', AuthenticAMD: 'amd', HygonGenuine: 'hygon' };

describe('the CPU vendor table is QEMU\'s (query-cpu-model-expansion)', () => {
  it('every named model QEMU lists has the vendor QEMU gives it; max under TCG is AMD', async () => {
    requireTool(QEMU_BINARY, 'qemu-system-x86');
    const answer = await probeCpuModels(runCommand, QEMU_BINARY, 'tcg');
    assert.ok('facts' in answer);
    const models = [...answer.facts.models.keys()].filter((name) => name !== 'host' && name !== 'base');
    const commands = ['{"execute":"qmp_capabilities"}', ...models.map((name) => JSON.stringify({ execute: 'query-cpu-model-expansion', arguments: { type: 'full', model: { name } } })), '{"execute":"quit"}'];
    const result = spawnSync(QEMU_BINARY, ['-machine', 'none', '-accel', 'tcg', '-nodefaults', '-no-user-config', '-display', 'none', '-S', '-qmp', 'stdio'], { input: commands.join('\n') + '\n', encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    const expansions = result.stdout.split('\n').flatMap((line) => {
      try {
        const model = (JSON.parse(line) as { return?: { model?: { name: string; props: Record<string, unknown> } } }).return?.model;
        return model ? [model] : [];
      } catch {
        return [];
      }
    });
    assert.equal(expansions.length, models.length, 'one expansion per model');
    const wrong: string[] = [];
    for (const { name, props } of expansions) {
      const qemu = VENDOR_IDS[String(props.vendor)] ?? 'other';
      const ours = name === 'max' ? guestCpuVendor('max', 'tcg', null) : namedModelVendor(name);
      if ((ours ?? 'other') !== qemu) wrong.push(`${name}: QEMU ${String(props.vendor)}, table ${ours}`);
    }
    assert.deepEqual(wrong, []);
  });
});
