/**
 * Named CPU models against a captured host's /proc/cpuinfo flags (src/host/cpu-model-features.ts),
 * from a recorded static expansion of five models by QEMU 7.2 (TCG);
 * real captures: the Xeon Silver 4108 (Skylake-SP), the Raptor Lake i7-1370P (no AVX-512, no TSX)
 * and the Opteron 6276. test/real/cpu-models.test.ts checks the expansion against the live QEMU.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { captureModelFacts, CHECKED_FEATURES, cpuinfoFlagOf, parseModelExpansions } from '../../src/host/cpu-model-features.js';
import type { CpuModelFacts } from '../../src/host/cpu-models.js';
import { readCpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { checkCpuModel } from '../../src/plan/check-cpu-model.js';
import { createPlanMessages } from '../../src/plan/plan-messages.js';
import { fixtureRoot } from '../helpers/fixture-root.js';
import { qemuSpec } from '../helpers/qemu-plans.js';

const EXPANSIONS = parseModelExpansions(fs.readFileSync(new URL('../fixtures/qmp/cpu-model-expansion-static-tcg.jsonl', import.meta.url), 'utf8'));
// The model list's part used here (alias, deprecation): the five expanded models, each QEMU's
// alias of its -v1 definition, as query-cpu-definitions names them.
const DEFINITIONS: CpuModelFacts = { accel: 'tcg', models: new Map([...EXPANSIONS.keys()].map((name) => [name, { unavailable: [], aliasOf: `${name}-v1`, deprecated: false }])) };
const flagsOf = (capture: string) => readCpuInfo(new HostFs(fixtureRoot(capture))).flags;
const XEON_SILVER = 'hwloc-32intel64-2p8co2t+8ve';
const RAPTOR_LAKE = 'hwloc-20em64t-hybrid-1p6c2t+2ca4co1t';
const OPTERON = 'hwloc-64amd64-4s2n4ca2co';

function warn(capture: string, model: string, vendor: 'intel' | 'amd'): string[] {
  const messages = createPlanMessages();
  const facts = captureModelFacts(DEFINITIONS, EXPANSIONS, flagsOf(capture), 'kvm');
  checkCpuModel(facts, qemuSpec({ accel: 'kvm', cpu: { model } }), messages, vendor);
  return messages.warnings.map((warning) => warning.message);
}

describe('the models\' feature lists', () => {
  it('keeps only the compared ISA features of each expansion', () => {
    assert.deepEqual([...EXPANSIONS.keys()].sort(), ['EPYC-Rome', 'Opteron_G4', 'Skylake-Client-noTSX-IBRS', 'Skylake-Server', 'qemu64']);
    const skylake = EXPANSIONS.get('Skylake-Server')!;
    for (const feature of ['avx512f', 'avx512vl', 'hle', 'rtm', 'pku', 'sse4.2', 'pni', 'lahf-lm']) assert.ok(skylake.includes(feature), feature);
    // Emulated by KVM whatever the host has, or not in /proc/cpuinfo under this name: never compared.
    for (const feature of ['x2apic', 'tsc-deadline', 'hypervisor', 'arat', 'sep']) assert.ok(!skylake.includes(feature), feature);
    assert.ok(skylake.every((feature) => CHECKED_FEATURES.has(feature)));
  });

  it('leaves out topoext and la57: QEMU gives topoext under KVM, and KVM reads la57 from the hardware when Linux hides it', () => {
    const raw = fs.readFileSync(new URL('../fixtures/qmp/cpu-model-expansion-static-tcg.jsonl', import.meta.url), 'utf8');
    assert.match(raw, /"topoext": true[^\n]*"m:EPYC-Rome"|"m:EPYC-Rome"[^\n]*"topoext": true/, 'the recorded EPYC-Rome expansion has topoext');
    assert.ok(!EXPANSIONS.get('EPYC-Rome')!.includes('topoext'));
    assert.ok(!CHECKED_FEATURES.has('la57') && !CHECKED_FEATURES.has('topoext'));
    // The Raptor Lake capture (Intel) has no topoext flag: EPYC-Rome's warning does not name it.
    assert.ok(!flagsOf(RAPTOR_LAKE).has('topoext'));
    assert.doesNotMatch(warn(RAPTOR_LAKE, 'EPYC-Rome', 'intel').join('\n'), /topoext/);
  });

  it('spells each feature as /proc/cpuinfo does', () => {
    assert.equal(cpuinfoFlagOf('sse4.2'), 'sse4_2');
    assert.equal(cpuinfoFlagOf('lahf-lm'), 'lahf_lm');
    assert.equal(cpuinfoFlagOf('avx512vnni'), 'avx512_vnni');
    assert.equal(cpuinfoFlagOf('avx512-vpopcntdq'), 'avx512_vpopcntdq');
    assert.equal(cpuinfoFlagOf('cr8legacy'), 'cr8_legacy');
    assert.equal(cpuinfoFlagOf('pni'), 'pni');
  });
});

describe('a named model on a captured host under KVM', () => {
  it('Skylake-Server fits the Skylake-SP Xeon it was made for: no warning', () => {
    assert.deepEqual(warn(XEON_SILVER, 'Skylake-Server', 'intel'), []);
  });

  it('Skylake-Server on Raptor Lake: AVX-512 and TSX are named missing, and the fitting sibling proposed', () => {
    const [message, ...rest] = warn(RAPTOR_LAKE, 'Skylake-Server', 'intel');
    assert.deepEqual(rest, []);
    assert.match(message!, /^CPU model "Skylake-Server" needs avx512bw, avx512cd, avx512dq, avx512f, avx512vl, hle, rtm, which the captured host's \/proc\/cpuinfo flags lack/);
    assert.match(message!, /use a model the host can give \(Skylake-Client-noTSX-IBRS\)/);
  });

  it('Skylake-Server on the Opteron: no Skylake fits, so the most capable AMD model it can give is proposed', () => {
    const [message] = warn(OPTERON, 'Skylake-Server', 'amd');
    assert.match(message!, /needs adx, avx2, avx512bw/);
    assert.match(message!, /use a model the host can give \(Opteron_G4, qemu64\)/);
    assert.deepEqual(warn(OPTERON, 'Opteron_G4', 'amd'), [], 'Opteron_G4 (Bulldozer) fits the Opteron 6276');
    assert.match(warn(OPTERON, 'EPYC-Rome', 'amd')[0]!, /needs adx, avx2, /);
  });

  it('says nothing for a model QEMU could not expand, and nothing under TCG (QEMU gives those features itself)', () => {
    const facts = captureModelFacts(DEFINITIONS, EXPANSIONS, flagsOf(RAPTOR_LAKE), 'kvm');
    assert.equal(facts.models.has('Cascadelake-Server'), false);
    const messages = createPlanMessages();
    checkCpuModel(facts, qemuSpec({ accel: 'tcg', cpu: { model: 'Skylake-Server' } }), messages, 'intel');
    assert.deepEqual(messages.warnings, []);
  });
});
