/**
 * Issue 4's "done when": every preset x every real topology (the hwloc captures) and the
 * synthetic 512-thread host, with the host's own /proc/cpuinfo and with Intel and AMD CPU facts,
 * alone and beside another VM, yields either a plan that satisfies the rules - checked by
 * rule-checker.ts, which shares no code with the planner - or typed errors that the checker
 * confirms. Outcomes that must be plans (or errors) are asserted too, so a planner that always
 * fails cannot pass.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { specRequestFromArgs, type ParsedArgs } from '../../src/cli-args.js';
import { readCpuInfo, type CpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology, type Topology } from '../../src/host/topology.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { listPresets } from '../../src/spec/presets.js';
import { resolveSpec } from '../../src/spec/resolve.js';
import type { Plan, VmSpec } from '../../src/spec/types.js';
import { fixtureRoot, scratchDir, syntheticHostRoot, topologyFixtureNames } from '../helpers/fixture-root.js';
import { x86CpuInfo } from './_topology-builder.js';
import { checkPlan } from './rule-checker.js';

interface Host {
  name: string;
  topology: Topology;
  cpuInfo: CpuInfo;
}

function loadHosts(): Host[] {
  const hosts = topologyFixtureNames().map((name) => {
    const hostFs = new HostFs(fixtureRoot(name));
    return { name, topology: readTopology(hostFs), cpuInfo: readCpuInfo(hostFs) };
  });
  const hostFs = new HostFs(syntheticHostRoot());
  hosts.push({ name: 'synthetic-512', topology: readTopology(hostFs), cpuInfo: readCpuInfo(hostFs) });
  return hosts;
}

const HOSTS = loadHosts();
const NO_USER_PRESETS = { userDir: path.join(scratchDir('no-user-presets'), 'none') };
const PRESETS = listPresets(NO_USER_PRESETS);

const CPU_VARIANTS: Array<{ label: string; cpuInfo: (host: Host) => CpuInfo }> = [
  { label: 'own cpuinfo', cpuInfo: (host) => host.cpuInfo },
  { label: 'intel', cpuInfo: () => x86CpuInfo('intel') },
  { label: 'amd without pdpe1gb', cpuInfo: () => x86CpuInfo('amd', ['lm', 'svm']) },
];

const SPEC_VARIANTS: Array<{ label: string; values: ParsedArgs['values'] }> = [
  { label: 'as is', values: {} },
  { label: 'two disks', values: { disk: ['/var/lib/vm/a b.qcow2', '/var/lib/vm/c.raw'] } },
  { label: 'spread', values: { strategy: 'spread' } },
  { label: 'unpinned', values: { strategy: 'none' } },
  { label: '3 vCPUs', values: { vcpus: '3' } },
  { label: '40 vCPUs', values: { vcpus: '40' } },
  { label: 'explicit 2x1x2x2', values: { vcpus: '8', topology: '2x1x2x2' } as ParsedArgs['values'] },
  { label: 'explicit 1x1x3x2', values: { vcpus: '6', topology: '1x1x3x2' } as ParsedArgs['values'] },
];

/**
 * The same host as an admin would prepare it for VMs: the upper half of the last node's CPUs
 * isolated (isolcpus) and that node's hugepage pools filled.
 */
function prepared(topology: Topology): Topology {
  const last = topology.nodes.filter((node) => node.cpus.length > 0).at(-1)!;
  const isolated = new Set(last.cpus.slice(Math.floor(last.cpus.length / 2)));
  return {
    ...topology,
    cpus: topology.cpus.map((cpu) => ({ ...cpu, isolated: isolated.has(cpu.cpu) })),
    isolated: [...isolated].sort((a, b) => a - b),
    nodes: topology.nodes.map((node) =>
      node.id === last.id
        ? { ...node, hugepages: { '2048': { total: 100_000, free: 100_000 }, '1048576': { total: 64, free: 64 } } }
        : node,
    ),
  };
}

function resolveFor(preset: string, values: ParsedArgs['values']): VmSpec {
  const { topology, ...flags } = values as ParsedArgs['values'] & { topology?: string };
  const spec = resolveSpec(specRequestFromArgs({ command: 'plan', positionals: [], values: { preset, ...flags } }), NO_USER_PRESETS);
  if (topology) {
    // An explicit guest topology, as a spec file would give it (no flag sets one).
    const [sockets, dies, cores, threads] = topology.split('x').map(Number) as [number, number, number, number];
    spec.vcpus = { count: sockets * dies * cores * threads, sockets, dies, cores, threads, autoTopology: false };
  }
  return spec;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const specs = new Map<string, VmSpec>();

/**
 * The spec of a preset with flags, resolved once for all hosts (resolving validates every
 * preset file again) and frozen: a planner that changed its input would throw here instead of
 * spoiling the next host's case.
 */
function specFor(preset: string, values: ParsedArgs['values']): VmSpec {
  const key = JSON.stringify([preset, values]);
  let spec = specs.get(key);
  if (!spec) specs.set(key, (spec = deepFreeze(resolveFor(preset, values))));
  return spec;
}

function plainly(plan: Plan): string {
  return JSON.stringify({ vcpus: plan.vcpus.map((vcpu) => vcpu.hostCpu), warnings: plan.warnings, errors: plan.errors });
}

describe('every preset on every topology satisfies the rules (independent checker)', () => {
  test('the table covers the 14 captures and the synthetic host', () => {
    assert.equal(HOSTS.length, 15);
    assert.equal(HOSTS.find((host) => host.name === 'synthetic-512')!.topology.online.length, 512);
    assert.deepEqual(PRESETS.map((preset) => preset.name).sort(), [
      'balanced', 'desktop-passthrough', 'high-performance', 'low-latency', 'migration-compatible', 'numa-guest', 'tiny-test',
    ]);
  });

  for (const host of HOSTS) {
    test(host.name, () => {
      let plans = 0;
      let failures = 0;
      const ready = prepared(host.topology);
      // Per CPU variant, the other VM of "beside a VM" below (one plan for all the cases).
      const variants = CPU_VARIANTS.map((cpu) => {
        const cpuInfo = cpu.cpuInfo(host);
        const held = new Map<number, string>();
        const first = planVm({ topology: host.topology, cpuInfo, spec: specFor('balanced', { vcpus: '5', accel: 'tcg' }) });
        for (const vcpu of first.vcpus) if (vcpu.hostCpu !== null) held.set(vcpu.hostCpu, 'other "vm"');
        return { cpu, cpuInfo, held };
      });
      for (const preset of PRESETS) {
        for (const variant of SPEC_VARIANTS) {
          const spec = specFor(preset.name, variant.values);
          for (const { cpu, cpuInfo, held } of variants) {
            const alone = planVm({ topology: host.topology, cpuInfo, spec });
            const where = `${host.name} / ${preset.name} / ${variant.label} / ${cpu.label}`;
            assert.deepEqual(checkPlan({ topology: host.topology, cpuInfo, spec, taken: new Map(), plan: alone }), [], `${where}: ${plainly(alone)}`);
            if (alone.errors.length > 0) failures++;
            else plans++;

            // Beside another VM holding the CPUs of a first plan (and the second thread of
            // every core of it, where it used only one): nothing of theirs may be handed out.
            const taken = new Map(held);
            const beside = planVm({ topology: host.topology, cpuInfo, spec, taken });
            assert.deepEqual(checkPlan({ topology: host.topology, cpuInfo, spec, taken, plan: beside }), [], `${where} beside a VM: ${plainly(beside)}`);

            const onReady = planVm({ topology: ready, cpuInfo, spec });
            assert.deepEqual(checkPlan({ topology: ready, cpuInfo, spec, taken: new Map(), plan: onReady }), [], `${where} on a prepared host: ${plainly(onReady)}`);
          }
        }
      }
      assert.ok(plans > 0 && failures > 0, `${host.name}: ${plans} plans, ${failures} refused`);
    });
  }
});

describe('outcomes that must hold on every topology', () => {
  for (const host of HOSTS) {
    test(`${host.name}: x86 facts plan balanced; 1G without pdpe1gb and oversized dedicated VMs fail`, () => {
      const intel = x86CpuInfo('intel');
      const balanced = planVm({ topology: host.topology, cpuInfo: intel, spec: specFor('balanced', {}) });
      assert.deepEqual(balanced.errors, []);
      assert.equal(balanced.vcpus.filter((vcpu) => vcpu.hostCpu !== null).length, 4);

      const noGig = planVm({ topology: host.topology, cpuInfo: x86CpuInfo('amd', ['lm']), spec: specFor('low-latency', {}) });
      assert.deepEqual(noGig.errors.map((error) => error.code), ['no-pdpe1gb']);

      const huge = planVm({ topology: host.topology, cpuInfo: intel, spec: specFor('balanced', { vcpus: String(host.topology.online.length + 1) }) });
      assert.deepEqual(huge.errors.map((error) => error.code), ['not-enough-cpus']);
      assert.deepEqual(huge.vcpus, []);

      // tiny-test runs anywhere: TCG, sharing allowed.
      const tiny = planVm({ topology: host.topology, cpuInfo: host.cpuInfo, spec: specFor('tiny-test', {}) });
      assert.deepEqual(tiny.errors, []);
    });
  }

  test('KVM presets on ARM and POWER captures are refused with kvm-arch-mismatch', () => {
    const foreign = HOSTS.filter((host) => host.cpuInfo.readable && host.cpuInfo.vendorId === null);
    assert.ok(foreign.length >= 3, foreign.map((host) => host.name).join(', '));
    for (const host of foreign) {
      const plan = planVm({ topology: host.topology, cpuInfo: host.cpuInfo, spec: specFor('balanced', {}) });
      assert.deepEqual(plan.errors.map((error) => error.code), ['kvm-arch-mismatch'], host.name);
    }
  });
});

describe('the 512-thread host', () => {
  const host = HOSTS.find((entry) => entry.name === 'synthetic-512')!;
  test('high-performance: one node, one wholly free L3 group, SMT pairs, not the housekeeping core', () => {
    const spec = specFor('high-performance', {});
    const plan = planVm({ topology: host.topology, cpuInfo: x86CpuInfo('amd'), spec });
    assert.deepEqual(plan.errors, []);
    const hostCpus = plan.vcpus.map((vcpu) => vcpu.hostCpu);
    // Core 0 (CPUs 0 and 256) is housekeeping, in L3 group 0 (cores 0-15); L3 group 1 (cores
    // 16-31) is wholly free and holds the four guest cores. The emulator stays on node 0's
    // housekeeping core.
    assert.deepEqual(hostCpus, [16, 272, 17, 273, 18, 274, 19, 275]);
    assert.deepEqual(plan.emulator, [0, 256]);
    assert.deepEqual([plan.spec.vcpus.sockets, plan.spec.vcpus.cores, plan.spec.vcpus.threads], [1, 4, 2]);
    assert.ok(plan.spec.cpu.features.includes('+topoext'));
    assert.deepEqual(plan.memory.hostNodes, [0]);
    assert.deepEqual(plan.host.housekeeping, [0, 128, 256, 384]);
  });
});
