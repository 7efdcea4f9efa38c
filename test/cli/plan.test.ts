/**
 * `kvm-tui plan` as a user runs it, on captured hosts: the JSON contract of ../shared/CLI.md, the
 * readable table, and the exit codes (0 plan, 1 plan with errors and nothing else printed,
 * 2 bad input with a one-line error naming the flag or field).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixtureRoot, scratchDir } from '../helpers/fixture-root.js';
import { runCli } from '../helpers/run-cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const AMD = fixtureRoot('hwloc-64amd64-4s2n4ca2co');
const ARM = fixtureRoot('hwloc-128arm-2pa2n8cluster4co');

const kvmTui = (args: string[]) => runCli(args, { XDG_CONFIG_HOME: path.join(scratchDir('plan-xdg'), 'none') });

describe('kvm-tui plan', () => {
  test('--json: the contract shape, exit 0', async () => {
    const { code, stdout, stderr } = await kvmTui(['plan', '--preset', 'balanced', '--root', AMD, '--accel', 'kvm', '--json', '--disk', '/vm/a.qcow2']);
    assert.equal(code, 0, stderr);
    const plan = JSON.parse(stdout);
    assert.deepEqual(Object.keys(plan).sort(), ['emulator', 'errors', 'host', 'iothreads', 'memory', 'spec', 'vcpus', 'warnings']);
    assert.equal(plan.spec.name, 'balanced');
    assert.deepEqual(plan.vcpus.map((vcpu: { hostCpu: number }) => vcpu.hostCpu), [2, 3, 4, 5]);
    assert.deepEqual(plan.vcpus[1], { vcpu: 1, hostCpu: 3, socket: 0, die: 0, core: 0, thread: 1, guestNode: null });
    assert.deepEqual(plan.spec.cpu.features, ['+topoext'], 'an AMD host with SMT guest threads');
    assert.deepEqual(plan.emulator, [0, 1]);
    assert.deepEqual(plan.iothreads, [{ id: 'io0', hostCpus: [0, 1], disks: [0] }]);
    assert.deepEqual(plan.memory, { hostNodes: [0], backing: 'ram', sizeMiB: 4096, guestNodes: [] });
    assert.deepEqual(plan.host, { vendor: 'amd', housekeeping: [0, 1, 16, 17, 32, 33, 48, 49] });
    // The capture has no dev/kvm: a KVM preset plans, with the warning launch would refuse on.
    assert.deepEqual(plan.warnings.map((warning: { code: string }) => warning.code), ['kvm-unavailable']);
    assert.deepEqual(plan.errors, []);
  });

  test('extraArgs are listed in the plan, as given', async () => {
    const file = path.join(scratchDir('plan-extra'), 'vm.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'ea', accel: 'tcg', cpu: { model: 'qemu64' }, vcpus: 1, memory: '64M', network: 'none', extraArgs: ['-rtc', 'base=utc'] }));
    const { code, stdout } = await kvmTui(['plan', '--spec', file, '--root', AMD]);
    assert.equal(code, 0);
    assert.match(stdout, /^ {2}extra QEMU args \(appended as given\): "-rtc" "base=utc"$/m);
  });

  test('--accel auto: TCG (and a TCG CPU model) where the host has no usable /dev/kvm, said on stderr', async () => {
    const { code, stdout, stderr } = await kvmTui(['plan', '--preset', 'balanced', '--root', AMD, '--accel', 'auto', '--json']);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /^kvm-tui: accel auto: this host has no \/dev\/kvm, so the VM runs under TCG/m);
    const plan = JSON.parse(stdout);
    assert.equal(plan.spec.accel, 'tcg');
    assert.equal(plan.spec.cpu.model, 'max');
    assert.ok(!plan.warnings.some((warning: { code: string }) => warning.code === 'kvm-unavailable'));
  });

  test('text: a table vCPU -> host CPU with the guest position, then emulator, iothreads, memory, warnings', async () => {
    const { code, stdout } = await kvmTui(['plan', '--preset', 'high-performance', '--root', AMD, '--accel', 'kvm', '--disk', '/vm/root.qcow2']);
    assert.equal(code, 0);
    assert.match(stdout, /^Plan for "high-perf-vm" from preset high-performance with overrides$/m);
    assert.match(stdout, /^ {2}guest topology: 1 socket x 1 die x 4 cores x 2 threads \(chosen from the placement\)$/m);
    assert.match(stdout, /^ {2}vCPU {2}host CPU {2}node {2}L3 {2}core siblings {2}guest socket\/die\/core\/thread {2}guest node$/m);
    assert.match(stdout, /^ {2}1 {5}9 {9}1 {5}1 {3}8,9 {12}0\/0\/0\/1 {23}0$/m);
    assert.match(stdout, /^ {2}emulator: {5}0,1 \(housekeeping\)$/m);
    assert.match(stdout, /^ {2}iothread io0: 0,1 \(housekeeping, \/vm\/root\.qcow2\)$/m);
    assert.match(stdout, /^ {2}memory: {7}16 GiB hugepages-2M on host node 1 \(prealloc, shared\)$/m);
    assert.match(stdout, /^Warnings:\n {2}- \[kvm-unavailable\] accel kvm, but this host has no \/dev\/kvm.*\n {2}- \[helper-remote\] emulator runs on CPUs 0,1 \(node 0\), away from node 1 .*\n {2}- \[helper-remote\] iothread io0 .*\n {2}- \[hugepages-missing\] node 1: 0 free 2M hugepages, 8192 needed for 16 GiB/m);
  });

  test('a plan that cannot be made: exit 1, the errors on stderr, nothing on stdout', async () => {
    const { code, stdout, stderr } = await kvmTui(['plan', '--preset', 'balanced', '--vcpus', '100', '--root', AMD, '--accel', 'kvm']);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(stderr, 'kvm-tui: plan: 100 vCPUs need 100 host CPUs of their own, but only 64 of 64 online CPUs are free; lower --vcpus or allow sharing (pinning.requireDedicated false) [not-enough-cpus]\n');
    const json = await kvmTui(['plan', '--preset', 'balanced', '--root', ARM, '--accel', 'kvm', '--json']);
    assert.equal(json.code, 1);
    const plan = JSON.parse(json.stdout);
    assert.deepEqual(plan.errors.map((error: { code: string }) => error.code), ['kvm-arch-mismatch']);
    assert.deepEqual(plan.vcpus, []);
    assert.equal((await kvmTui(['plan', '--preset', 'tiny-test', '--root', ARM])).code, 0, 'TCG runs on any architecture');
  });

  test('bad input: exit 2, one line naming the flag or field', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['plan', '--root', AMD], /^kvm-tui: plan: give exactly one of --preset NAME or --spec FILE\n$/],
      [['plan', '--preset', 'fast', '--root', AMD], /^kvm-tui: --preset: unknown preset "fast" \(valid: balanced, /],
      [['plan', '--preset', 'balanced', '--memory', 'lots', '--root', AMD], /^kvm-tui: --memory: expected a size like 4G or 4096M, got "lots"\n$/],
      [['plan', '--preset', 'balanced', '--format', 'xml', '--root', AMD], /^kvm-tui: plan: unknown option --format\n$/],
      [['plan', '--spec', '/nonexistent/vm.json', '--root', AMD], /^kvm-tui: --spec \/nonexistent\/vm\.json: no such file\n$/],
    ];
    const bad = path.join(REPO, 'test/fixtures/specs/bad/bad-aio.json');
    cases.push([['plan', '--spec', bad, '--root', AMD], new RegExp(`^kvm-tui: ${bad.replace(/[.]/g, '\\.')}: disks\\[0\\]\\.aio: must be one of native, io_uring, threads\\n$`)]);
    for (const [args, expected] of cases) {
      const { code, stdout, stderr } = await kvmTui(args);
      assert.equal(code, 2, args.join(' '));
      assert.equal(stdout, '');
      assert.match(stderr, expected);
      assert.equal(stderr.trimEnd().split('\n').length, 1, 'one line, no stack trace');
    }
  });

  test('--spec with overrides', async () => {
    const file = path.join(scratchDir('plan-spec'), 'vm.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'web 1', vcpus: 2, memory: '1G' }));
    const { code, stdout } = await kvmTui(['plan', '--spec', file, '--vcpus', '4', '--strategy', 'spread', '--root', AMD, '--json']);
    assert.equal(code, 0);
    const plan = JSON.parse(stdout);
    assert.equal(plan.spec.name, 'web 1');
    assert.equal(plan.vcpus.length, 4);
    assert.deepEqual(plan.memory.hostNodes, [0, 1, 2, 3], 'spread over the four nodes');
  });
});
