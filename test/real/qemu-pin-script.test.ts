/**
 * The generated pin script run for real against a paused QEMU (TCG, so it needs no /dev/kvm):
 * it must pin every vCPU, iothread and emulator thread as planned, prove it from /proc, and fail
 * loudly when it talks to another VM, to a VM of another shape, or when pinning did not stick.
 */
import assert from 'node:assert/strict';
import { specRequestFromArgs } from '../../src/cli-args.js';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPinScript } from '../../src/generate/pin-script.js';
import { generateAll } from '../../src/generate/index.js';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import { readCpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology } from '../../src/host/topology.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { runDirPaths } from '../../src/shared/vm-paths.js';
import { realClock } from '../../src/run/real-services.js';
import { resolveSpec } from '../../src/spec/resolve.js';
import type { Plan } from '../../src/spec/types.js';
import { qemuPlan, qemuSpec } from '../helpers/qemu-plans.js';
import { killAllQemu, QEMU_BINARY, requireTool, startQemu, stopQemu, threadAffinity, threadNames, type RunningQemu } from '../helpers/qemu-process.js';

const online = readTopology(new HostFs('/')).online;
const first = online[0]!;
const last = online[online.length - 1]!;
// A name that exercises the script's QMP string decoding: quotes, $(), a comma, unicode
// (QEMU escapes it as \uXXXX, the rocket as a surrogate pair) and a newline.
const NAME = `pin "quote' $(x) é ☃ 🚀\nline,comma`;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-pin-'));
const runDir = path.join(scratch, 'run');
fs.mkdirSync(runDir, { mode: 0o700 });
const scriptPath = path.join(scratch, 'pin.sh');
after(async () => {
  await killAllQemu();
  fs.rmSync(scratch, { recursive: true, force: true });
});

function planFor(name: string, vcpus = 2): Plan {
  const spec = qemuSpec({
    name,
    accel: 'tcg',
    machine: 'pc',
    cpu: { model: 'qemu64' },
    vcpus: { count: vcpus, sockets: 1, dies: 1, cores: vcpus, threads: 1 },
    memory: { sizeMiB: 64 },
    network: { mode: 'none' },
    iothreads: { count: 1 },
  });
  // Crossed on purpose (vCPU 0 on the last CPU): a default affinity can never pass for it.
  return qemuPlan(spec, { hostCpus: [last, first, last].slice(0, vcpus), emulator: [first], iothreadCpus: [[last]] });
}

function runScript(plan: Plan, args: string[] = [], env: NodeJS.ProcessEnv = process.env) {
  fs.writeFileSync(scriptPath, buildPinScript(plan, { runDir }), { mode: 0o755 });
  return spawnSync(scriptPath, args, { encoding: 'utf8', env, timeout: 30_000 });
}

/** Every thread of the VM by role, with its affinity read from /proc (independent of the script). */
function affinities(vm: RunningQemu): { vcpu: Map<number, number[]>; iothread: Map<string, number[]>; emulator: number[][] } {
  const out = { vcpu: new Map<number, number[]>(), iothread: new Map<string, number[]>(), emulator: [] as number[][] };
  for (const [tid, comm] of threadNames(vm.pid)) {
    const affinity = threadAffinity(vm.pid, tid);
    const vcpu = /^CPU (\d+)\/(TCG|KVM)$/.exec(comm);
    const io = /^IO (.+)$/.exec(comm);
    if (vcpu) out.vcpu.set(Number(vcpu[1]), affinity);
    else if (io) out.iothread.set(io[1]!, affinity);
    else out.emulator.push(affinity);
  }
  return out;
}

function resetAffinity(vm: RunningQemu): void {
  const result = spawnSync('taskset', ['-a', '-pc', online.join(','), String(vm.pid)], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
}

describe('pin script against a real paused QEMU', () => {
  let vm: RunningQemu;
  const plan = planFor(NAME);

  before(async () => {
    requireTool(QEMU_BINARY, 'qemu-system-x86');
    requireTool('taskset', 'util-linux');
    requireTool('perl', 'perl-base');
    const argv = buildQemuArgs(plan, { runDir });
    vm = await startQemu(argv, runDirPaths(runDir).qmpSocket);
    // The QMP monitor serves one client at a time: the script needs it.
    vm.qmp.close();
  });

  after(async () => {
    if (vm) await stopQemuFresh(vm, runDirPaths(runDir).qmpSocket);
  });

  it('pins vCPUs, iothreads and emulator threads as planned and verifies them (exit 0)', () => {
    resetAffinity(vm);
    if (online.length > 1) {
      assert.deepEqual(affinities(vm).vcpu.get(0), online, 'before: vCPU 0 may run anywhere');
    }
    const result = runScript(plan);
    assert.equal(result.status, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    const seen = affinities(vm);
    assert.deepEqual([...seen.vcpu.keys()].sort(), [0, 1]);
    assert.deepEqual(seen.vcpu.get(0), [last]);
    assert.deepEqual(seen.vcpu.get(1), [first]);
    assert.deepEqual(seen.iothread.get('io0'), [last]);
    assert.ok(seen.emulator.length >= 1, 'the main thread at least');
    for (const affinity of seen.emulator) assert.deepEqual(affinity, [first]);
    assert.match(result.stdout, /vcpu 0 \(thread \d+\) on /);
    assert.match(result.stdout, /iothread io0 \(thread \d+\) on /);
    assert.match(result.stdout, /emulator \(thread \d+\) on /);
  });

  it('sets SCHED_FIFO on every vCPU thread (and only there) and proves it from /proc (vcpuScheduler)', (t) => {
    resetAffinity(vm);
    const realtime = planFor(NAME);
    realtime.spec.vcpuScheduler = { policy: 'fifo', priority: 1 };
    const result = runScript(realtime, ['--paused']);
    if (spawnSync('chrt', ['--fifo', '1', 'true']).status !== 0) {
      // This machine refuses real-time scheduling (a cgroup without RT runtime): the script must say so and fail.
      t.diagnostic('chrt --fifo 1 true fails here: checking that the script stops with the reason');
      assert.equal(result.status, 1);
      assert.match(result.stderr, /chrt --fifo --pid 1 \d+ \(vcpu 0\) failed/);
      return;
    }
    assert.equal(result.status, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    const policyOf = (tid: number) => {
      const stat = fs.readFileSync(`/proc/${vm.pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { priority: Number(fields[37]), policy: Number(fields[38]) };
    };
    for (const [tid, comm] of threadNames(vm.pid)) {
      const expected = /^CPU \d+\/(TCG|KVM)$/.test(comm) ? { priority: 1, policy: 1 } : { priority: 0, policy: 0 };
      assert.deepEqual(policyOf(tid), expected, `${comm} (${tid})`);
    }
    assert.match(result.stdout, /vcpu 0 \(thread \d+\) runs fifo at priority 1/);
    // Back to the normal scheduler for the other cases.
    for (const [tid, comm] of threadNames(vm.pid)) if (/^CPU /.test(comm)) assert.equal(spawnSync('chrt', ['--other', '--pid', '0', String(tid)]).status, 0);
  });

  it('vhost-net NIC: the script looks for vhost kernel threads in all of /proc and pins none that is not one (a user process of that name)', async () => {
    resetAffinity(vm);
    const withVhost = planFor(NAME);
    withVhost.spec.network = { mode: 'tap', ifname: 'tap0', vhost: true, queues: 1, mac: null };
    // No /dev/vhost-net here, so no real worker: a decoy names itself vhost-PID (only a thread
    // itself may set its name), as a kernel worker of this QEMU is named before Linux 6.4. It is
    // no child of kthreadd, so the script must leave it where it is.
    const decoy = spawn('perl', ['-e', 'open(my $f, ">", "/proc/self/comm") or die; print $f $ARGV[0]; close $f; print "named\\n"; $| = 1; sleep 60', `vhost-${vm.pid}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => decoy.stdout!.once('data', resolve));
      assert.equal(fs.readFileSync(`/proc/${decoy.pid}/comm`, 'utf8').trim(), `vhost-${vm.pid}`);
      assert.equal(spawnSync('taskset', ['-pc', online.join(','), String(decoy.pid)]).status, 0);
      const result = runScript(withVhost, ['--paused']);
      assert.equal(result.status, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
      assert.doesNotMatch(result.stdout, /vhost/);
      assert.deepEqual(threadAffinity(decoy.pid!, decoy.pid!), online, 'the decoy was not pinned');
      for (const affinity of affinities(vm).emulator) assert.deepEqual(affinity, [first]);
    } finally {
      decoy.kill('SIGKILL');
    }
  });

  it('leaves unpinned vCPUs and iothreads where they are (empty entries in the plan)', () => {
    resetAffinity(vm);
    const partial = planFor(NAME);
    partial.vcpus[1]!.hostCpu = null;
    partial.iothreads[0]!.hostCpus = [];
    const result = runScript(partial);
    assert.equal(result.status, 0, result.stderr);
    const seen = affinities(vm);
    assert.deepEqual(seen.vcpu.get(0), [last]);
    assert.deepEqual(seen.vcpu.get(1), online, 'vCPU 1 not pinned');
    assert.deepEqual(seen.iothread.get('io0'), online, 'io0 not pinned');
    for (const affinity of seen.emulator) assert.deepEqual(affinity, [first]);
  });

  it('uses $1 as the QMP socket when given', () => {
    resetAffinity(vm);
    const moved = path.join(scratch, 'elsewhere.sock');
    fs.symlinkSync(runDirPaths(runDir).qmpSocket, moved);
    const result = runScript(planFor(NAME), [moved]);
    fs.rmSync(moved);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(affinities(vm).vcpu.get(0), [last]);
  });

  it('exits 1 when a thread is not where the plan says (taskset that does nothing)', () => {
    if (online.length < 2) assert.fail('this check needs a host with 2 CPUs or more');
    resetAffinity(vm);
    const fakeBin = path.join(scratch, 'fakebin');
    fs.mkdirSync(fakeBin, { recursive: true });
    fs.writeFileSync(path.join(fakeBin, 'taskset'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const result = runScript(plan, [], { ...process.env, PATH: `${fakeBin}:${process.env.PATH}` });
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /pin: the guest stays paused: its pins differ from the plan/);
    assert.match(result.stderr, new RegExp(`vcpu 0 \\(thread \\d+\\) may run on ${online[0]}-${last}, planned ${last}`));
  });

  it('exits 2 and touches nothing when the socket belongs to another VM', () => {
    resetAffinity(vm);
    const result = runScript(planFor('another-vm'));
    assert.equal(result.status, 2);
    assert.match(result.stderr, /not the one this script was made for/);
    assert.deepEqual(affinities(vm).vcpu.get(0), online);
  });

  it('exits 2 when QEMU has a different number of vCPUs than the plan', () => {
    const result = runScript(planFor(NAME, 3));
    assert.equal(result.status, 2);
    assert.match(result.stderr, /QEMU has 2 vCPUs, the plan has 3/);
  });

  it('exits 2 naming the cause when another client holds the QMP monitor', async () => {
    const { QmpClient } = await import('../../src/run/qmp-client.js');
    const holder = await QmpClient.connect(runDirPaths(runDir).qmpSocket, { clock: realClock });
    try {
      const started = Date.now();
      const result = runScript(plan, [], { ...process.env, KVM_TUI_QMP_TIMEOUT: '1' });
      assert.equal(result.status, 2);
      assert.match(result.stderr, /within 1 s \(QMP serves one client at a time: is another one connected\?\)/);
      assert.ok(Date.now() - started < 5000, 'the timeout is honoured');
    } finally {
      holder.close();
    }
    const bad = runScript(plan, [], { ...process.env, KVM_TUI_QMP_TIMEOUT: '1; rm -rf /' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /KVM_TUI_QMP_TIMEOUT must be a whole number/);
  });

  it('exits 2 with a hint when nothing listens on the socket', () => {
    const result = runScript(plan, [path.join(scratch, 'no-such.sock')]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /cannot connect to the QMP socket/);
    assert.match(result.stderr, /is the VM running\?/);
  });
});


describe('generate end to end: the tiny-test preset planned on this host, started, pinned by its script', () => {
  it('pins the running VM exactly as planned', async () => {
    requireTool(QEMU_BINARY, 'qemu-system-x86');
    const hostFs = new HostFs('/');
    const spec = resolveSpec(specRequestFromArgs({ command: 'generate', positionals: [], values: { preset: 'tiny-test', name: 'kvm-tui pin e2e' } }), { userDir: '/nonexistent/kvm-tui-presets' });
    const plan = planVm({ topology: readTopology(hostFs), cpuInfo: readCpuInfo(hostFs), spec });
    assert.deepEqual(plan.errors, []);
    const e2eRun = fs.mkdtempSync(path.join(scratch, 'e2e-'));
    const generated = generateAll(plan, { runDir: e2eRun });
    const vm = await startQemu(generated.argv, runDirPaths(e2eRun).qmpSocket);
    try {
      vm.qmp.close();
      const script = path.join(e2eRun, 'pin.sh');
      fs.writeFileSync(script, generated.script, { mode: 0o755 });
      const queryStatus = async () => {
        const { QmpClient } = await import('../../src/run/qmp-client.js');
        const client = await QmpClient.connect(runDirPaths(e2eRun).qmpSocket, { clock: realClock, timeoutMs: 2000 });
        try {
          return (await client.execute<{ status: string }>('query-status')).status;
        } finally {
          client.close();
        }
      };
      const paused = spawnSync(script, ['--paused'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(paused.status, 0, paused.stdout + paused.stderr);
      assert.match(paused.stdout, /^pin: left paused \(--paused\)/m);
      assert.equal(await queryStatus(), 'prelaunch', '--paused leaves the guest paused');
      // No argument: the script finds the socket in the run dir it was generated for, pins,
      // verifies, and resumes the guest.
      const result = spawnSync(script, [], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /^pin: resumed the guest \(QMP cont\)$/m);
      assert.equal(await queryStatus(), 'running');
      const seen = affinities(vm);
      for (const planned of plan.vcpus) {
        assert.deepEqual(seen.vcpu.get(planned.vcpu), planned.hostCpu === null ? online : [planned.hostCpu], `vCPU ${planned.vcpu}`);
      }
      for (const affinity of seen.emulator) assert.deepEqual(affinity, plan.emulator.length > 0 ? plan.emulator : online);
    } finally {
      await stopQemuFresh(vm, runDirPaths(e2eRun).qmpSocket);
    }
  });
});

async function stopQemuFresh(vm: RunningQemu, socket: string): Promise<void> {
  const { QmpClient } = await import('../../src/run/qmp-client.js');
  try {
    vm.qmp = await QmpClient.connect(socket, { clock: realClock, timeoutMs: 2000 });
  } catch {
    // stopQemu falls back to SIGKILL
  }
  await stopQemu(vm);
}
