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
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { probeCpuModels, type CpuModelFacts } from '../../src/host/cpu-models.js';
import { captureModelFacts, CHECKED_FEATURES, probeModelFeatures } from '../../src/host/cpu-model-features.js';
import { readCpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { guestCpuVendor, namedModelVendor } from '../../src/spec/cpu-vendor.js';
import { runCommand } from '../../src/run/run-command.js';
import type { Accel } from '../../src/spec/types.js';
import { QEMU_BINARY, requireTool } from '../helpers/qemu-process.js';
import { fixtureRoot } from '../helpers/fixture-root.js';
import { runCli } from '../helpers/run-cli.js';

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

describe('named models against a host\'s flags (the --root check, src/host/cpu-model-features.ts)', () => {
  it('QEMU expands every model it lists into its compared features', async () => {
    requireTool(QEMU_BINARY, 'qemu-system-x86');
    const answer = await probeCpuModels(runCommand, QEMU_BINARY, 'tcg');
    assert.ok('facts' in answer);
    const models = [...answer.facts.models.keys()].filter((name) => name !== 'host' && name !== 'max' && name !== 'base');
    const expanded = await probeModelFeatures(runCommand, QEMU_BINARY, models);
    assert.ok('features' in expanded, 'error' in expanded ? expanded.error : '');
    assert.deepEqual(models.filter((name) => !expanded.features.has(name)), [], 'every listed model is expanded');
    assert.ok(expanded.features.get('Skylake-Server')!.includes('avx512f'));
    assert.ok(!expanded.features.get('Westmere')!.includes('avx'), 'Westmere predates AVX');
    assert.deepEqual(expanded.features.get('Skylake-Server')!.filter((feature) => !CHECKED_FEATURES.has(feature)), []);
  });

  // Under KVM this host is a capture of itself: what its flags say a model lacks, KVM must lack too.
  const skip = kvmOpens ? false : '/dev/kvm does not open read-write here';
  it('on this host under KVM, every feature its flags lack is one QEMU\'s own answer calls unavailable', { skip }, async () => {
    requireTool(QEMU_BINARY, 'qemu-system-x86');
    const live = await probeCpuModels(runCommand, QEMU_BINARY, 'kvm');
    assert.ok('facts' in live);
    const expanded = await probeModelFeatures(runCommand, QEMU_BINARY, [...live.facts.models.keys()].filter((name) => name !== 'host' && name !== 'max' && name !== 'base'));
    assert.ok('features' in expanded);
    const capture = captureModelFacts(live.facts, expanded.features, readCpuInfo(new HostFs('/')).flags, 'kvm');
    const wrong: string[] = [];
    for (const [name, info] of capture.models) {
      const liveMissing = new Set(live.facts.models.get(name)!.unavailable.map((feature) => feature.replace(/[-.]/g, '_')));
      for (const feature of info.unavailable) if (!liveMissing.has(feature.replace(/[-.]/g, '_'))) wrong.push(`${name}: ${feature}`);
    }
    assert.deepEqual(wrong, [], 'features the flags lack but KVM gives');
  });
});

describe('plan --root on a captured host under KVM (real QEMU for the models\' features)', () => {
  it('Skylake-Server on the Raptor Lake capture: the missing AVX-512 and TSX named, the fitting model proposed; the expansions cached', async () => {
    requireTool(QEMU_BINARY, 'qemu-system-x86');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-models-'));
    try {
      const env = { HOME: home, XDG_CACHE_HOME: path.join(home, 'cache'), XDG_CONFIG_HOME: path.join(home, 'config') };
      const args = ['plan', '--root', fixtureRoot('hwloc-20em64t-hybrid-1p6c2t+2ca4co1t'), '--preset', 'migration-compatible', '--accel', 'kvm', '--json'];
      const first = await runCli(args, env);
      assert.equal(first.code, 0, first.stderr);
      const warning = (JSON.parse(first.stdout) as { warnings: Array<{ code: string; message: string }> }).warnings.find((entry) => entry.code === 'cpu-model-unavailable');
      assert.ok(warning, first.stdout);
      assert.match(warning.message, /needs avx512bw, avx512cd, avx512dq, avx512f, avx512vl, hle, rtm, which the captured host's \/proc\/cpuinfo flags lack/);
      assert.match(warning.message, /\(Skylake-Client-noTSX-IBRS\)/);
      const cache = fs.readFileSync(path.join(home, 'cache', 'kvm-tui', 'cpu-models.json'), 'utf8');
      assert.match(cache, /m:Skylake-Server/, 'the expansions are cached');
      const again = await runCli(args, env);
      assert.equal(again.stdout, first.stdout, 'the cached answer gives the same plan');
      // The Xeon the model was made for: nothing to say.
      const fits = await runCli(['plan', '--root', fixtureRoot('hwloc-32intel64-2p8co2t+8ve'), '--preset', 'migration-compatible', '--accel', 'kvm', '--json'], env);
      assert.ok(!(JSON.parse(fits.stdout) as { warnings: Array<{ code: string }> }).warnings.some((entry) => entry.code === 'cpu-model-unavailable'), fits.stdout);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
