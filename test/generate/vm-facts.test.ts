/**
 * The facts both outputs share (src/generate/vm-facts.ts): versions read from QEMU's own words,
 * identities stable per name, and the version-dependent options on the argv.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import { parseQemuVersion, qemuAtLeast, vmMac, vmUuid } from '../../src/generate/vm-facts.js';
import { qemuPlan, qemuSpec } from '../helpers/qemu-plans.js';
import { buildDomainXml } from '../../src/generate/libvirt-xml.js';
import { buildPinScript } from '../../src/generate/pin-script.js';
import { checkRealtime } from '../../src/plan/check-realtime.js';
import { LAUNCH_BLOCKING_CODES } from '../../src/plan/codes.js';
import { createPlanMessages } from '../../src/plan/plan-messages.js';
import type { Plan } from '../../src/spec/types.js';

const RUN = '/run/kvm-tui/vms/vm1-0000';
const valuesOf = (argv: string[], option: string) => argv.flatMap((arg, index) => (arg === option ? [argv[index + 1]!] : []));

describe('vm-facts', () => {
  it('reads the version from qemu --version and from a flag, and nothing else', () => {
    assert.deepEqual(parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)\nCopyright (c) 2003-2022'), { major: 7, minor: 2 });
    assert.deepEqual(parseQemuVersion('8.2'), { major: 8, minor: 2 });
    assert.deepEqual(parseQemuVersion('10.0.3'), { major: 10, minor: 0 });
    assert.equal(parseQemuVersion('qemu-system-x86_64: not found'), null);
    assert.equal(qemuAtLeast({ qemu: { major: 7, minor: 2 } }, 7, 2), true);
    assert.equal(qemuAtLeast({ qemu: { major: 7, minor: 1 } }, 7, 2), false);
    assert.equal(qemuAtLeast({ qemu: { major: 8, minor: 0 } }, 7, 2), true);
    assert.equal(qemuAtLeast({ qemu: null }, 1, 0), false, 'unknown is never new enough');
  });

  it('a UUID and a MAC per name: stable, distinct, well-formed; the spec MAC wins', () => {
    const one = qemuSpec({ name: 'web' });
    assert.equal(vmUuid(one), vmUuid(qemuSpec({ name: 'web' })));
    assert.notEqual(vmUuid(one), vmUuid(qemuSpec({ name: 'db' })));
    assert.match(vmUuid(one), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(vmMac(one), /^52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
    assert.notEqual(vmMac(one), '52:54:00:12:34:56', 'not QEMU\'s default, which every VM would share');
    assert.equal(vmMac(qemuSpec({ name: 'web', network: { mode: 'user', mac: '52:54:00:AB:CD:EF' } })), '52:54:00:ab:cd:ef');
  });

  it('preallocation gets a thread context on the memory\'s node from QEMU 7.2 only', () => {
    const spec = qemuSpec({ memory: { sizeMiB: 2048, backing: 'hugepages-2M', prealloc: true } });
    const plan = qemuPlan(spec, { hostNodes: [1] });
    const newer = buildQemuArgs(plan, { runDir: RUN, target: { qemu: { major: 7, minor: 2 } } });
    assert.deepEqual(valuesOf(newer, '-object').slice(0, 2), [
      'thread-context,id=tc-mem0,node-affinity=1',
      'memory-backend-memfd,id=mem0,size=2048M,hugetlb=on,hugetlbsize=2M,share=off,prealloc=on,prealloc-context=tc-mem0,host-nodes=1,policy=bind',
    ]);
    for (const target of [{ qemu: { major: 7, minor: 1 } }, { qemu: null }]) {
      const argv = buildQemuArgs(plan, { runDir: RUN, target });
      assert.ok(!valuesOf(argv, '-object').some((value) => value.startsWith('thread-context')), JSON.stringify(target));
    }
    const unbound = buildQemuArgs(qemuPlan(spec, { hostNodes: [] }), { runDir: RUN, target: { qemu: { major: 8, minor: 0 } } });
    assert.ok(!valuesOf(unbound, '-object').some((value) => value.startsWith('thread-context')), 'no node, no context');
  });

  it('HPET off as the machine property, or as -no-hpet for a QEMU older than 7.0', () => {
    const plan = qemuPlan(qemuSpec());
    const old = buildQemuArgs(plan, { runDir: RUN, target: { qemu: { major: 6, minor: 2 } } });
    assert.ok(old.includes('-no-hpet'));
    assert.doesNotMatch(valuesOf(old, '-machine')[0]!, /hpet/);
    for (const target of [{ qemu: { major: 7, minor: 0 } }, { qemu: null }]) {
      const argv = buildQemuArgs(plan, { runDir: RUN, target });
      assert.ok(!argv.includes('-no-hpet'));
      assert.match(valuesOf(argv, '-machine')[0]!, /,hpet=off$/);
    }
  });
});

describe('low-latency facts in both outputs', () => {
  it('PMU off, the dedicated hint and the TSC-deadline timer only with idle siblings under KVM, and FIFO vCPUs in the XML and the pin script', () => {
    const spec = qemuSpec({ cpu: { model: 'host', pmu: false } });
    spec.vcpuScheduler = { policy: 'fifo', priority: 1 };
    spec.pinning = { ...spec.pinning, siblings: 'idle', requireDedicated: true };
    const idle: Plan = { ...qemuPlan(spec), idleSiblings: [10, 11, 12, 13] };
    const cpuOf = (plan: Plan) => valuesOf(buildQemuArgs(plan, { runDir: RUN }), '-cpu')[0]!;
    assert.equal(cpuOf(idle), 'host,migratable=off,pmu=off,kvm-hint-dedicated=on,tsc-deadline=on');
    assert.equal(cpuOf({ ...idle, idleSiblings: undefined }), 'host,migratable=off,pmu=off', 'no idle siblings, no dedicated hint');
    const asked: Plan = { ...idle, spec: { ...idle.spec, cpu: { ...idle.spec.cpu, features: ['-tsc-deadline'] } } };
    assert.equal(cpuOf(asked), 'host,tsc-deadline=off,migratable=off,pmu=off,kvm-hint-dedicated=on', 'the spec\'s own word on tsc-deadline wins');
    const tcg: Plan = { ...idle, spec: { ...idle.spec, accel: 'tcg', cpu: { ...idle.spec.cpu, model: 'max' } } };
    assert.equal(cpuOf(tcg), 'max,migratable=off,pmu=off', 'the hint is KVM\'s');
    const xml = buildDomainXml(idle);
    assert.match(xml, /<vcpusched vcpus="0-3" scheduler="fifo" priority="1"\/>/);
    assert.match(xml, /<kvm>\s*<hint-dedicated state="on"\/>\s*<\/kvm>\s*<pmu state="off"\/>/);
    assert.match(xml, /<feature policy="require" name="tsc-deadline"\/>/);
    // cpu-pm: HLT/MWAIT without exits on dedicated cores, but never for SCHED_FIFO vCPUs (an idle
    // vCPU that never exits is a 100% RT task, which RT throttling stops 50 ms a second).
    const overcommitOf = (plan: Plan) => valuesOf(buildQemuArgs(plan, { runDir: RUN }), '-overcommit');
    assert.deepEqual(overcommitOf(idle), [], 'FIFO vCPUs: no cpu-pm');
    assert.doesNotMatch(xml, /cpu-pm/);
    const normal: Plan = { ...idle, spec: { ...idle.spec, vcpuScheduler: null, memory: { ...idle.spec.memory, lock: true } } };
    assert.deepEqual(overcommitOf(normal), ['mem-lock=on,cpu-pm=on']);
    // libvirt writes its own -overcommit mem-lock=on first; before QEMU 9.1 a second -overcommit
    // resets what it does not name, so the pass-through says mem-lock again.
    assert.match(buildDomainXml(normal), /<qemu:commandline>\s*<qemu:arg value="-overcommit"\/>\s*<qemu:arg value="mem-lock=on,cpu-pm=on"\/>\s*<\/qemu:commandline>/);
    assert.deepEqual(overcommitOf({ ...normal, spec: { ...normal.spec, accel: 'tcg', cpu: { ...normal.spec.cpu, model: 'max' } } }), ['mem-lock=on'], 'KVM only');
    assert.deepEqual(overcommitOf({ ...normal, idleSiblings: undefined }), ['mem-lock=on'], 'only on dedicated cores');
    const own: Plan = { ...normal, spec: { ...normal.spec, extraArgs: ['-overcommit', 'cpu-pm=off'] } };
    assert.deepEqual(overcommitOf(own), ['mem-lock=on', 'cpu-pm=off'], "the spec's own cpu-pm wins");
    assert.equal((buildDomainXml(own).match(/cpu-pm/g) ?? []).length, 1);
    const script = buildPinScript(idle, { runDir: RUN });
    assert.match(script, /^vcpu_policy=fifo$/m);
    assert.match(script, /^vcpu_priority=1$/m);
    assert.match(buildPinScript(qemuPlan(qemuSpec()), { runDir: RUN }), /^vcpu_policy=''$/m);
  });

  it('real-time vCPUs sharing a CPU with anything else are warned, and launch refuses them', () => {
    const messages = createPlanMessages();
    const spec = qemuSpec();
    spec.vcpuScheduler = { policy: 'fifo', priority: 1 };
    checkRealtime(spec, [2, 3], [0], [], messages);
    assert.deepEqual(messages.warnings, []);
    checkRealtime(spec, [2, 2], [0], [], messages);
    checkRealtime(spec, [2, 3], [3], [], messages);
    assert.deepEqual(messages.warnings.map((warning: { message: string }) => warning.message.match(/host CPUs (\S+)/)?.[1]), ['2', '3']);
    assert.ok(LAUNCH_BLOCKING_CODES.has('realtime-shared'));
  });
});
