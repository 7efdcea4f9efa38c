/**
 * Launch, status, monitor and stop against the real QEMU (TCG) booting the tiny test guest:
 * every thread pinned before the guest runs and checked in /proc; busy vCPUs seen on their
 * pinned CPUs without drift; a competing process raising a vCPU's run-queue wait (the guest's
 * steal); the VM surviving the TUI's SIGHUP and re-attached; kill -9 reported with nothing left;
 * ACPI power-down; a running VM's CPUs avoided by the next plan; and failures (missing disk, a
 * QEMU that exits at start-up, a taken name) that leave nothing running.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatusEntry } from '../../src/commands/status.js';
import { HostFs } from '../../src/host/host-fs.js';
import { parseTaskStatus } from '../../src/host/proc-task.js';
import { parseVmRecord, type VmRecord } from '../../src/registry/vm-record.js';
import { runDirPaths, vmRunDir } from '../../src/shared/vm-paths.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { QEMU_BINARY, requireTool } from '../helpers/qemu-process.js';
import { runCli } from '../helpers/run-cli.js';
import { guestBootArgs, testGuest } from '../helpers/test-guest.js';
import { BUNDLE, ensureBundle } from '../helpers/bundle.js';

const PREFIX = `kvmtui-launch-${process.pid}-`;
const work = scratchDir('launch');
const launched = new Set<string>();

/** One VM of `status --json` (the shape src/commands/status.ts writes). */
type StatusVm = StatusEntry;

function specFile(name: string, overrides: Record<string, unknown> = {}): string {
  const file = path.join(work, `${name}.json`);
  const spec = {
    name,
    accel: 'tcg',
    machine: 'pc',
    cpu: { model: 'qemu64' },
    vcpus: 2,
    memory: { size: '128M', backing: 'ram' },
    network: 'none',
    pinning: { strategy: 'compact', requireDedicated: false },
    emulator: { placement: 'housekeeping' },
    iothreads: { placement: 'housekeeping' },
    extraArgs: guestBootArgs({ busy: true }),
    ...overrides,
  };
  fs.writeFileSync(file, JSON.stringify(spec));
  return file;
}

async function launch(name: string, overrides: Record<string, unknown> = {}, extraFlags: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  launched.add(name);
  return runCli(['launch', '--spec', specFile(name, overrides), '--detach', ...extraFlags]);
}

function record(name: string): VmRecord {
  const parsed = parseVmRecord(fs.readFileSync(runDirPaths(vmRunDir(name, { uid: 0 })).vmRecord, 'utf8'));
  assert.ok(parsed, `no record for ${name}`);
  return parsed;
}

async function status(name: string): Promise<StatusVm> {
  const result = await runCli(['status', name, '--json']);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { vms: StatusVm[] }).vms[0]!;
}

async function waitFor(predicate: () => boolean, what: string | (() => string), timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const serial = (name: string) => {
  try {
    return fs.readFileSync(runDirPaths(vmRunDir(name, { uid: 0 })).serialLog, 'utf8');
  } catch {
    return '';
  }
};
const alive = (pid: number) => {
  const text = new HostFs('/', { record: false }).read(`/proc/${pid}/stat`);
  return text !== null && !/^\d+ \(.*\) [ZX] /.test(text);
};
/** Whether this machine lets root run a real-time thread at all (some containers' cgroups do not). */
const REALTIME_ALLOWED = spawnSync('chrt', ['--fifo', '1', 'true']).status === 0;
const qemuOf = (name: string) => spawnSync('pgrep', ['-f', `guest=${name},`], { encoding: 'utf8' }).stdout.trim();

before(() => {
  requireTool(QEMU_BINARY, 'qemu-system-x86');
  requireTool('taskset', 'util-linux');
  requireTool('tmux', 'tmux');
  testGuest();
  ensureBundle();
});

after(async () => {
  for (const name of launched) await runCli(['stop', name, '--force']);
  spawnSync('tmux', ['kill-server']);
  fs.rmSync(work, { recursive: true, force: true });
});

describe('kvm-tui launch / status / stop (real QEMU, TCG, test guest)', () => {
  it('pins every thread before the guest runs; status shows each busy vCPU on its pinned CPU, no drift', async () => {
    const name = `${PREFIX}busy`;
    const result = await launch(name);
    assert.equal(result.code, 0, result.stderr);
    for (const step of ['check', 'prepare', 'start', 'qmp', 'threads', 'pin', 'verify', 'record', 'resume']) assert.match(result.stderr, new RegExp(`^launch: ${step} `, 'm'));
    const vm = record(name);
    assert.equal(vm.threads.filter((thread) => thread.role === 'vcpu').length, 2);
    for (const thread of vm.threads) {
      const actual = parseTaskStatus(fs.readFileSync(`/proc/${vm.pid}/task/${thread.tid}/status`, 'utf8'))!.cpusAllowed;
      assert.deepEqual(actual, thread.plannedAffinity, `tid ${thread.tid} (${thread.role} ${thread.index})`);
    }
    assert.deepEqual(vm.threads.filter((t) => t.role === 'vcpu').map((t) => t.plannedAffinity), vm.plan.vcpus.map((v) => [v.hostCpu]));
    // The whole process started on the emulator CPUs (before any thread was pinned), its guest
    // memory bound to the planned node: what launch.sh, the exact command, says.
    const script = fs.readFileSync(runDirPaths(vm.runDir).launchScript, 'utf8');
    const words = script.replace(/ \\\n\s*/g, ' ');
    assert.match(words, new RegExp(`^exec taskset --cpu-list ${vm.plan.emulator.join(',')} qemu-system-x86_64 `, 'm'));
    assert.match(words, new RegExp(`memory-backend-ram,id=mem0,size=128M,host-nodes=${vm.plan.memory.hostNodes.join(',')},policy=bind`));
    await waitFor(() => serial(name).includes('KVMTUI-BUSY'), 'the guest to start its busy loops');
    const seen = await status(name);
    assert.equal(seen.state, 'running');
    for (const thread of seen.threads.filter((t) => t.role === 'vcpu')) {
      // Busy, though sharing 2 host CPUs with QEMU's own threads and the test runner.
      assert.ok((thread.cpuPercent ?? 0) > 10, `vCPU ${thread.index} busy: ${thread.cpuPercent}%`);
      assert.deepEqual(thread.affinity, thread.plannedAffinity);
      assert.equal(thread.lastHostCpu, thread.plannedAffinity[0]);
      assert.equal(thread.drift, false);
    }
  });

  it('a competing busy process on a vCPU\'s CPU makes that vCPU wait (the guest\'s steal rises)', async () => {
    const name = `${PREFIX}busy`;
    const vm = record(name);
    // A vCPU alone on its CPU (not beside the emulator). Seen here: a competitor pinned to the CPU
    // that also carries QEMU's main loop got almost no CPU at all, where one on a vCPU-only CPU
    // took its fair half; the test measures the case whose outcome the scheduler makes clear.
    const vcpus = vm.threads.filter((thread) => thread.role === 'vcpu');
    const vcpu = vcpus.find((thread) => !vm.plan.emulator.includes(thread.plannedAffinity[0]!)) ?? vcpus[0]!;
    const before = (await status(name)).threads.find((t) => t.tid === vcpu.tid)!.waitMsPerSec ?? 0;
    // In its own session, as a user's other program would be: with autogroup scheduling a busy
    // loop in the test's own session would only share the test runner's slice of the CPU.
    const competitor = spawn('taskset', ['--cpu-list', String(vcpu.plannedAffinity[0]), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore', detached: true });
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const during = (await status(name)).threads.find((t) => t.tid === vcpu.tid)!.waitMsPerSec ?? 0;
      assert.ok(during > before + 100, `wait ms/s ${before} -> ${during}`);
    } finally {
      competitor.kill('SIGKILL');
    }
  });

  it('stop powers the guest down over ACPI (it shuts itself down) and removes its run dir', async () => {
    const name = `${PREFIX}busy`;
    const vm = record(name);
    // The guest prints its marker when the power button reaches it, just before it powers off
    // (then stop removes the run dir with the serial log): watch the log while stop runs.
    let pressed = false;
    const watch = setInterval(() => {
      if (!pressed && fs.existsSync(vm.runDir)) pressed = serial(name).includes('KVMTUI-POWERBUTTON');
    }, 10);
    const result = await runCli(['stop', name, '--timeout', '20']);
    clearInterval(watch);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /stopped/);
    assert.ok(pressed, 'the guest saw the ACPI power button and shut itself down');
    assert.ok(!alive(vm.pid));
    assert.ok(!fs.existsSync(vm.runDir));
  });

  it('the VM outlives the TUI losing its terminal (SIGHUP), and monitor re-attaches', async () => {
    const name = `${PREFIX}hup`;
    launched.add(name);
    const file = specFile(name, { vcpus: 1 });
    const session = `kvmtui-${process.pid}`;
    // CI=true as in a CI job's environment (Ink would draw nothing on the terminal); the shell
    // around it shows why, should the launch end before the pane is up.
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '100', '-y', '30', '-e', 'CI=true', `${process.execPath} ${BUNDLE} launch --spec ${file}; echo EXIT=$?; sleep 60`]);
    const pane = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
    await waitFor(() => /\[RUNNING\]/.test(pane()), () => `the monitor to show the VM running; the pane shows:\n${pane().replace(/\n{3,}/g, '\n')}`);
    const pid = record(name).pid;
    // Killing the session hangs up its terminal: the TUI gets SIGHUP and dies; the VM must not.
    execFileSync('tmux', ['kill-session', '-t', session]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.ok(alive(pid), 'QEMU survived the SIGHUP');
    assert.equal((await status(name)).state, 'running');
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '100', '-y', '30', '-e', 'CI=true', `${process.execPath} ${BUNDLE} monitor ${name}; echo EXIT=$?; sleep 60`]);
    await waitFor(() => /\[RUNNING\]/.test(pane()) && /vCPU 0/.test(pane()), () => `the re-attached monitor; the pane shows:\n${pane()}`);
    // One QMP owner per socket: the pane holds monitor.sock, status asks on qmp.sock meanwhile.
    const seen = await status(name);
    assert.equal(seen.state, 'running');
    execFileSync('tmux', ['send-keys', '-t', session, 'q']);
    await waitFor(() => /EXIT=0/.test(pane()), 'the monitor to leave');
    assert.match(pane(), /detached from ".*hup"; it keeps running/);
    assert.ok(alive(pid), 'detaching leaves the VM running');
    execFileSync('tmux', ['kill-session', '-t', session]);
  });

  it('kill -9 of QEMU while the pane watches: the pane says it is gone, status too, its run dir is cleaned, nothing is left', async () => {
    const name = `${PREFIX}hup`;
    const vm = record(name);
    // Killed while the live pane watches it: the pane says so and leaves with q.
    const session = `kvmtui-kill-${process.pid}`;
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '100', '-y', '30', '-e', 'CI=true', `${process.execPath} ${BUNDLE} monitor ${name}; echo EXIT=$?; sleep 60`]);
    const pane = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
    try {
      await waitFor(() => /\[RUNNING\]/.test(pane()), () => `the monitor; the pane shows:\n${pane()}`);
      process.kill(vm.pid, 'SIGKILL');
      await waitFor(() => !alive(vm.pid), 'QEMU to die');
      await waitFor(() => /The VM has exited: its process is gone/.test(pane()), () => `the pane to say the VM is gone; it shows:\n${pane()}`);
      execFileSync('tmux', ['send-keys', '-t', session, 'q']);
      await waitFor(() => /EXIT=0/.test(pane()), () => `the pane to leave; it shows:\n${pane()}`);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
    const named = await runCli(['status', name]);
    assert.equal(named.code, 2);
    assert.match(named.stderr, /no running VM named/);
    const all = await runCli(['status', '--json']);
    assert.ok(!(JSON.parse(all.stdout) as { vms: StatusVm[] }).vms.some((entry) => entry.name === name));
    assert.ok(!fs.existsSync(vm.runDir), 'stale run dir removed');
    assert.equal(qemuOf(name), '');
  });

  it('a running VM\'s CPUs are avoided by the next plan, and its name cannot be launched twice', async () => {
    const name = `${PREFIX}one`;
    const first = await launch(name, { vcpus: 1 });
    assert.equal(first.code, 0, first.stderr);
    const held = record(name).plan.vcpus[0]!.hostCpu;
    const plan = await runCli(['plan', '--spec', specFile(`${PREFIX}other`, { vcpus: 1 }), '--json']);
    assert.equal(plan.code, 0, `${plan.stdout.slice(0, 600)}\n${(await runCli(['topology'])).stdout}\n${spawnSync('pgrep', ['-a', 'qemu'], { encoding: 'utf8' }).stdout}`);
    assert.notEqual((JSON.parse(plan.stdout) as { vcpus: Array<{ hostCpu: number }> }).vcpus[0]!.hostCpu, held);
    const again = await launch(name, { vcpus: 1 });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /launch: check: a VM named ".*one" is already running \(pid \d+\)/);
    assert.ok(alive(record(name).pid), 'the first one is untouched');
    assert.equal((await runCli(['stop', name, '--force'])).code, 0);
  });

  it('launch --paused --json: the status shape on stdout, nothing else; the VM stays paused, pinned, until resumed', async () => {
    const name = `${PREFIX}paused`;
    const result = await launch(name, { vcpus: 1 }, ['--paused', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const { vms } = JSON.parse(result.stdout) as { vms: StatusVm[] };
    assert.equal(vms.length, 1);
    assert.equal(vms[0]!.name, name);
    assert.equal(vms[0]!.state, 'paused');
    assert.equal(vms[0]!.pid, record(name).pid);
    const vcpu = vms[0]!.threads.find((thread) => thread.role === 'vcpu')!;
    assert.deepEqual(vcpu.affinity, vcpu.plannedAffinity);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await status(name)).state, 'paused', 'still paused');
    assert.ok(!serial(name).includes('KVMTUI-READY'), 'the guest has not run');
    assert.equal((await runCli(['stop', name, '--force'])).code, 0);
  });

  it('real-time vCPUs: launch sets SCHED_FIFO on the vCPU threads before the guest runs, and verifies it', async (t) => {
    const name = `${PREFIX}rt`;
    // An idle guest: a spinning FIFO vCPU would hold its CPU until RT throttling.
    const result = await launch(name, { vcpus: 1, vcpuScheduler: { policy: 'fifo', priority: 1 }, extraArgs: guestBootArgs() });
    if (!REALTIME_ALLOWED) {
      // This machine refuses real-time scheduling (a cgroup without RT runtime, no CAP_SYS_NICE):
      // launch must stop at the pin step, say why, and leave nothing running.
      t.diagnostic('chrt --fifo 1 true fails here: checking that launch refuses cleanly instead');
      assert.equal(result.code, 1);
      assert.match(result.stderr, /launch: pin: vCPU 0 \(tid \d+\) to fifo priority 1: /);
      assert.equal(qemuOf(name), '', 'no QEMU left');
      return;
    }
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^launch: pin .*; vCPUs fifo priority 1$/m);
    assert.match(result.stderr, /^launch: verify .*vCPU policies in stat/m);
    const vm = record(name);
    for (const thread of vm.threads) {
      const stat = fs.readFileSync(`/proc/${vm.pid}/task/${thread.tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const expected = thread.role === 'vcpu' ? ['1', '1'] : ['0', '0'];
      assert.deepEqual([fields[37], fields[38]], expected, `${thread.role} ${thread.tid}: rt_priority and policy`);
    }
    assert.equal((await runCli(['stop', name, '--force'])).code, 0);
  });

  it('fails cleanly: a missing disk is refused before anything starts', async () => {
    const name = `${PREFIX}nodisk`;
    const missing = path.join(work, 'no such disk.qcow2');
    const result = await launch(name, { vcpus: 1, disks: [{ path: missing }] });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /launch: check: disk 0: .*no such disk\.qcow2: no such file/);
    assert.ok(!fs.existsSync(vmRunDir(name, { uid: 0 })));
    assert.equal(qemuOf(name), '');
  });

  it('fails cleanly: huge-page memory the host has no free pages for is refused before anything starts', async () => {
    const name = `${PREFIX}nopages`;
    // More 2M pages than any test machine keeps free (the pools hold a few hundred at most).
    const result = await launch(name, { vcpus: 1, memory: { size: '64G', backing: 'hugepages-2M' } });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /launch: plan: .*\[(hugepages-missing|memory-exceeds-free|memory-exceeds-node)\]/);
    assert.doesNotMatch(result.stderr, /launch: start /, 'QEMU was never started');
    assert.ok(!fs.existsSync(vmRunDir(name, { uid: 0 })), 'no run dir');
    assert.equal(qemuOf(name), '');
  });

  it('fails cleanly: QEMU exiting at start-up is named with its own words, nothing left behind', async () => {
    const name = `${PREFIX}badcpu`;
    const result = await launch(name, { vcpus: 1, extraArgs: [...guestBootArgs(), '-device', 'no-such-device'] });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /launch: qmp: QEMU exited during start-up/);
    assert.match(result.stderr, /qemu: .*no-such-device/);
    assert.ok(!fs.existsSync(vmRunDir(name, { uid: 0 })), 'no stale run dir');
    assert.equal(qemuOf(name), '', 'no QEMU left');
  });

  for (const [columns, rows] of [[80, 24], [200, 50]] as const) {
    it(`the wizard at ${columns}x${rows} by keystrokes on this host: size the VM, move the emulator on the core map and see the warning change, preview, launch, watch the pane update; q leaves it running and the scrollback intact; monitor re-attaches; stop ends it`, async () => {
      const name = `${PREFIX}wiz${columns}`;
      launched.add(name);
      const file = specFile(name, { vcpus: 1 });
      const session = `kvmtui-wiz-${columns}-${process.pid}`;
      const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
      tmux('new-session', '-d', '-s', session, '-x', String(columns), '-y', String(rows), '-e', 'CI=true', `seq -f 'HISTORY-%g' 1 60; echo BEFORE-WIZARD; ${process.execPath} ${BUNDLE} --spec ${file}; echo EXIT=$?; sleep 120`);
      const pane = () => tmux('capture-pane', '-p', '-t', session).stdout;
      // The whole history, not only the visible screen: the 60 lines scrolled out must survive.
      const history = () => tmux('capture-pane', '-p', '-S', '-', '-t', session).stdout;
      const keys = (...list: string[]) => void tmux('send-keys', '-t', session, ...list);
      const joined = () => pane().replace(/\n/g, ' ').replace(/ {2,}/g, ' ');
      const fits = (what: string) => {
        const screen = pane().split('\n');
        for (const line of screen) assert.ok([...line].length <= columns, `${what}: wider than ${columns}: ${line}`);
      };
      try {
        await waitFor(() => /Host audit/.test(pane()), () => `the audit; the pane:\n${pane()}`);
        assert.ok(!/BEFORE-WIZARD|HISTORY-/.test(pane()), 'the wizard draws on the alternate screen');
        fits('the audit');

        // The VM step: the spec's 1 vCPU, then one more: on a 2-CPU host the second takes the
        // housekeeping CPU, and the planner says so.
        keys('3');
        await waitFor(() => /\[3 Plan\]/.test(pane()) && /^1 vCPUs \(1s\/1c\/1t\) · on 1 · emulator 0 /m.test(pane()), () => `the plan; the pane:\n${pane()}`);
        assert.match(pane(), new RegExp(`^name ${name} \\(N: rename\\)`, 'm'));
        assert.doesNotMatch(pane(), /^warn: /m);
        keys('+');
        await waitFor(() => /^2 vCPUs \(1s\/2c\/1t\) · on 0,1 · emulator 0 /m.test(pane()), () => `two vCPUs; the pane:\n${pane()}`);
        await waitFor(() => /the host is too small to keep housekeeping CPUs free/.test(joined()), () => `the housekeeping warning; the pane:\n${pane()}`);
        // The core map: e edits (the cursor on vCPU 0's CPU 1), E puts the emulator there too,
        // beside a vCPU: a second warning says what that costs.
        keys('e');
        await waitFor(() => /\[>1:v0\]/.test(pane()), () => `the editor on CPU 1; the pane:\n${pane()}`);
        keys('E');
        await waitFor(() => /\[>1:v0\+E\]/.test(pane()) && /emulator\.cpus puts the emulator thread on host CPU 1, where vCPU 0 runs/.test(joined()), () => `the emulator on CPU 1 and its warning; the pane:\n${pane()}`);
        assert.match(pane(), /^2 vCPUs .* · emulator 1 · /m);
        fits('the core map');
        keys('Escape');
        await waitFor(() => /^size: \+\/- vCPUs/m.test(pane()), () => `the editor closed; the pane:\n${pane()}`);

        // The preview follows: two vCPUs.
        keys('4');
        await waitFor(() => /\[4 Preview\]/.test(pane()) && /qemu-system-x86_64/.test(pane()), () => `the preview; the pane:\n${pane()}`);
        assert.match(pane(), /^ {2}-smp 2,sockets=1,dies=1,cores=2,threads=1,maxcpus=2 \\$/m);
        assert.match(pane(), new RegExp(`^ {2}-name guest=${name},debug-threads=on \\\\$`, 'm'));
        fits('the preview');

        keys('5');
        await waitFor(() => /Enter \(or L\) launches it/.test(pane()), () => `the launch step; the pane:\n${pane()}`);
        assert.match(joined(), new RegExp(`VM "${name}": 2 vCPUs \\(0->1 1->0\\), 128 MiB ram on node 0, accel tcg`));
        assert.match(joined(), /emulator threads on CPUs 1\b/);
        assert.match(joined(), /\[helper-on-vcpu\]/);
        keys('Enter');
        await waitFor(() => /\[6 Monitor\]/.test(pane()) && /\[RUNNING\]/.test(pane()) && /^vCPU 1 +\d+/m.test(pane()), () => `the live pane; the pane:\n${pane()}`, 60_000);
        // The pane updates: the uptime moves on, and the vCPUs' CPU% is read from /proc.
        const uptime = () => /\bup (\d+:\d\d:\d\d)\b/.exec(pane())?.[1] ?? '';
        const first = uptime();
        await waitFor(() => uptime() !== '' && uptime() !== first && /^vCPU 1 +\d+ +\d+\.\d /m.test(pane()), () => `the pane to update past ${first} with figures; the pane:\n${pane()}`);
        assert.match(pane(), /^vCPU 0 +\d+ +\d+\.\d +.*\b1$/m, 'vCPU 0 pinned to CPU 1, as planned');
        assert.match(pane(), /^vCPU 1 +\d+ +\d+\.\d +.*\b0$/m, 'vCPU 1 pinned to CPU 0');
        assert.doesNotMatch(pane(), /DRIFT/);
        fits('the live pane');
        const pid = record(name).pid;

        keys('q');
        await waitFor(() => /^EXIT=\d+/m.test(pane()), () => `the exit; the pane:\n${pane()}`);
        const after = pane();
        assert.match(after, /^EXIT=0\s*$/m, 'q exits 0');
        assert.match(after, /^BEFORE-WIZARD$/m, 'the screen is as it was');
        assert.doesNotMatch(after, /Host audit|\[\d \w+\]/, 'nothing of the wizard is left on the main screen');
        const kept = history();
        for (let line = 1; line <= 60; line++) assert.ok(kept.includes(`HISTORY-${line}\n`), `HISTORY-${line} is still in the scrollback:\n${kept.slice(0, 600)}`);
        assert.match(after.replace(/\n/g, ''), new RegExp(`keeps running: kvm-tui monitor "${name}" watches it again`));
        assert.ok(alive(pid), 'quitting leaves the VM running');
        assert.equal((await status(name)).state, 'running');

        // Re-attach at the same size: the pane on the same VM, the same pins.
        tmux('kill-session', '-t', session);
        tmux('new-session', '-d', '-s', session, '-x', String(columns), '-y', String(rows), '-e', 'CI=true', `echo BEFORE-MONITOR; ${process.execPath} ${BUNDLE} monitor ${name}; echo EXIT=$?; sleep 120`);
        await waitFor(() => /\[RUNNING\]/.test(pane()) && /^vCPU 1 +\d+ +\d+\.\d /m.test(pane()), () => `the re-attached pane; it shows:\n${pane()}`);
        assert.match(pane(), new RegExp(`pid ${pid}\\b`));
        assert.match(pane(), /^vCPU 0 +\d+ +\d+\.\d +.*\b1$/m);
        const again = uptime();
        await waitFor(() => uptime() !== again, () => `the re-attached pane to update; it shows:\n${pane()}`);
        fits('the re-attached pane');
        keys('q');
        await waitFor(() => /^EXIT=0\s*$/m.test(pane()), () => `the monitor to leave; it shows:\n${pane()}`);
        assert.match(pane(), /^BEFORE-MONITOR$/m);
        assert.match(pane().replace(/\n/g, ''), new RegExp(`detached from "${name}"; it keeps running`));

        // Stop: the ACPI button ends the tiny guest (it powers off); nothing is left.
        const stopped = await runCli(['stop', name]);
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.ok(!alive(pid), 'QEMU is gone');
        assert.equal(qemuOf(name), '');
        assert.ok(!fs.existsSync(vmRunDir(name, { uid: 0 })), 'its run dir is removed');
      } finally {
        tmux('kill-session', '-t', session);
        // A walk that failed half-way must not hold this host's CPUs for the next one.
        if (qemuOf(name) !== '') await runCli(['stop', name, '--force']);
      }
    });
  }
});
