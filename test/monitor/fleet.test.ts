import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { fleetHostsFile, readFleetHosts } from '../../src/monitor/fleet-hosts.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { runMain } from '../helpers/test-services.js';
import { BACKOFF_START_MS, Fleet, fleetError, FLEET_INTERVAL_MS, type FleetHostState } from '../../src/monitor/fleet.js';
import type { CommandResult, RunCommand } from '../../src/run/run-command.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { failed, ok } from '../helpers/fake-runner.js';
import { buildFleetLines } from '../../components/present/fleet-lines.js';

const stats = (cpuNs: number) => `Domain: 'vm1'\n  state.state=1\n  cpu.time=${cpuNs}\n  vcpu.current=1\n  vcpu.0.time=${cpuNs}\n  vcpu.0.wait=0\n  vcpu.0.delay=${cpuNs / 10}\n`;

/** Two hosts: "a" answers always; "b" answers while `bUp` is true, else its socket is gone. */
function fleetOf(clock: FakeClock, state: { bUp: boolean; cpu: number }) {
  const calls: string[] = [];
  const run: RunCommand = async (argv) => {
    const uri = argv[argv.indexOf('--connect') + 1]!;
    const command = argv[argv.indexOf('--connect') + 2]!;
    calls.push(`${uri} ${command}`);
    if (uri === 'test:///b' && !state.bUp) return failed("error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/run/b/libvirt-sock': Connection refused");
    const reply: Record<string, CommandResult> = {
      domstats: ok(stats(state.cpu)),
      list: ok('vm1\n'),
      domstate: ok('running\n'),
      vcpupin: ok(' VCPU   CPU Affinity\n----------------------\n 0      1\n'),
      emulatorpin: ok('emulator: CPU Affinity\n----------------------------------\n       *: 0\n'),
      iothreadinfo: ok(''),
      metadata: failed('error: metadata not found'),
    };
    return reply[command] ?? failed(`unexpected ${command}`);
  };
  let last: FleetHostState[] = [];
  const fleet = new Fleet({ uris: ['test:///a', 'test:///b'], run, env: {}, clock, onChange: (hosts) => (last = hosts) });
  return { fleet, calls, latest: () => last };
}

test('a host that does not answer is an error row with its words, retried with backoff, while the other keeps updating; its section comes back', async () => {
  const clock = new FakeClock();
  const state = { bUp: false, cpu: 1e9 };
  const { fleet, calls, latest } = fleetOf(clock, state);
  fleet.start();
  await clock.advance(0);
  let [a, b] = latest();
  assert.equal(a!.status, 'ok');
  assert.equal(a!.domains[0]!.info.name, 'vm1');
  assert.equal(b!.status, 'down');
  assert.match(b!.error!, /Connection refused/);
  assert.equal(b!.retryAtMs, clock.now() + BACKOFF_START_MS);

  // Backoff doubles: attempts on b at +1 s, +3 s (2 s later), +7 s (4 s later).
  const bAttempts = () => calls.filter((call) => call.startsWith('test:///b domstats')).length;
  await clock.advance(1000);
  assert.equal(bAttempts(), 2);
  await clock.advance(1999);
  assert.equal(bAttempts(), 2);
  await clock.advance(1);
  assert.equal(bAttempts(), 3);
  assert.equal(latest()[1]!.failures, 3);

  // Meanwhile a has ticked every interval, with rates from its previous reading.
  state.cpu += 5e8;
  await clock.advance(FLEET_INTERVAL_MS);
  a = latest()[0]!;
  assert.equal(a.status, 'ok');
  assert.ok(a.domains[0]!.rates!.cpuPercent! > 0, 'a kept updating');
  assert.equal(latest()[1]!.status, 'down');

  // b comes back: the next retry brings its section back, failures reset.
  state.bUp = true;
  await clock.advance(4000);
  b = latest()[1]!;
  assert.equal(b.status, 'ok');
  assert.equal(b.failures, 0);
  assert.equal(b.domains[0]!.info.vcpuPins.get(0)![0], 1);

  const lines = buildFleetLines({ hosts: latest(), width: 80, height: 24, nowMs: clock.now(), help: false, message: null }).map((line) => line.text);
  assert.ok(lines.some((line) => /^test:\/\/\/b\s+ok\s+1 domain/.test(line)), lines.join('\n'));
  fleet.stop();
  assert.equal(clock.pending, 0, 'stop leaves no timer');
});

test('the pane: a down host is a DOWN section with the retry first and libvirt\'s words; control characters never reach the terminal', () => {
  const hosts: FleetHostState[] = [
    { uri: 'qemu+ssh://h1/system', status: 'down', domains: [], error: 'Cannot recv data: ssh: connect to host h1 port 22: No route to host\u001b[2J', updatedAtMs: null, retryAtMs: 5000, failures: 3 },
  ];
  const lines = buildFleetLines({ hosts, width: 60, height: 10, nowMs: 1000, help: false, message: null }).map((line) => line.text);
  assert.match(lines[1]!, /^qemu\+ssh:\/\/h1\/system  DOWN/);
  assert.match(lines[2]!, /^ {2}! retry in 4 s: Cannot recv data/);
  assert.ok(lines.every((line) => !/[\u0000-\u001f]/.test(line)));
  assert.ok(lines.every((line) => line.length <= 60));
});

test('the hosts file: one URI per line, comments and blanks skipped, each once; a bad line or a FIFO is an error naming it', () => {
  const dir = scratchDir('fleet-hosts');
  const file = path.join(dir, 'hosts');
  fs.writeFileSync(file, '# the lab\nqemu:///system\n\n  qemu+ssh://root@h1/system  \nqemu:///system\r\n');
  assert.deepEqual(readFleetHosts(file), ['qemu:///system', 'qemu+ssh://root@h1/system']);
  assert.equal(fleetHostsFile({ XDG_CONFIG_HOME: '/cfg', HOME: '/home/u' }, null), '/cfg/kvm-tui/hosts');
  assert.equal(fleetHostsFile({ XDG_CONFIG_HOME: 'relative', HOME: '/home/u' }, null), '/home/u/.config/kvm-tui/hosts');
  fs.writeFileSync(file, 'qemu:///system\nqemu+ssh://h 1/system; rm -rf /\n');
  assert.throws(() => readFleetHosts(file), (error: Error) => error instanceof UsageError && /line 2: not a libvirt URI/.test(error.message) && !error.message.includes('\n'));
  fs.writeFileSync(file, '# nothing\n');
  assert.throws(() => readFleetHosts(file), /names no host/);
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => readFleetHosts(fifo), /is a FIFO, not a regular file/);
  assert.throws(() => readFleetHosts(path.join(dir, 'missing')), /no such file/);
});

test('monitor --fleet reads the hosts file before it needs a terminal; a bad file is exit 2 naming the line', async () => {
  const dir = scratchDir('fleet-cli');
  fs.mkdirSync(path.join(dir, 'kvm-tui'));
  fs.writeFileSync(path.join(dir, 'kvm-tui', 'hosts'), 'qemu:///system\nnot a uri\n');
  const bad = await runMain(['monitor', '--fleet'], { env: { XDG_CONFIG_HOME: dir, NO_COLOR: '1' } });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^kvm-tui: monitor --fleet: ".*hosts" line 2: not a libvirt URI/);
  fs.writeFileSync(path.join(dir, 'kvm-tui', 'hosts'), 'qemu:///system\n');
  const good = await runMain(['monitor', '--fleet'], { env: { XDG_CONFIG_HOME: dir, NO_COLOR: '1' } });
  assert.equal(good.code, 2);
  assert.match(good.stderr, /the fleet pane needs an interactive terminal/);
});

test('a down host\'s row leads with the cause, not virsh\'s boilerplate', () => {
  assert.equal(fleetError("virsh domstats failed: failed to connect to the hypervisor\nFailed to connect socket to '/run/x': No such file or directory"), "Failed to connect socket to '/run/x': No such file or directory");
  assert.equal(fleetError('virsh domstats timed out after 5 s'), 'virsh domstats timed out after 5 s');
  assert.equal(fleetError('failed to connect to the hypervisor'), 'failed to connect to the hypervisor');
});

test('--connect without virsh installed, or against a virsh that hangs: exit 1, one line naming it, and what to do', async () => {
  const dir = scratchDir('no-virsh');
  const missing = await runMain(['--connect', 'qemu:///system', 'status'], { env: { PATH: dir, NO_COLOR: '1' } });
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /^kvm-tui: virsh list failed: .*not found\nhint: install the libvirt client \(Debian: apt-get install libvirt-clients\)\n$/);
  assert.equal(missing.stdout, '');
});

test('a libvirt connection that hangs is cut by its timeout: exit 1 with virsh\'s step named, nothing run after it', async () => {
  const calls: string[][] = [];
  const hung: RunCommand = async (argv, options) => {
    calls.push([...argv]);
    return { ok: false, stdout: '', stderr: '', exitCode: null, timedOut: true, error: `timed out after ${options?.timeoutMs} ms` };
  };
  const result = await runMain(['--connect', 'qemu+ssh://root@h1/system', 'stop', 'web'], { run: hung, env: { NO_COLOR: '1' } });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^kvm-tui: virsh domstate failed: timed out after 30000 ms\nhint: qemu\+ssh:\/\/root@h1\/system did not answer in time: check the host is up/);
  assert.equal(calls.length, 1, 'nothing is tried after the connection hung');
});

test('a reading that began before a pause does not undo it: the row stays paused until a fresh reading says so', async () => {
  const clock = new FakeClock();
  let state = 'running';
  let hold: ((value: CommandResult) => void) | null = null;
  const run: RunCommand = async (argv) => {
    const command = argv[argv.indexOf('--connect') + 2]!;
    if (command === 'domstats') return ok(stats(1e9));
    if (command === 'list') return ok('vm1\n');
    if (command === 'domstate') {
      const answer = ok(`${state}\n`);
      // The first reading's state is held back until the test lets it go (stale by then).
      if (hold === null && state === 'running') return new Promise((resolve) => (hold = () => resolve(answer)));
      return answer;
    }
    if (command === 'suspend') {
      state = 'paused';
      return ok('');
    }
    if (command === 'vcpupin') return ok(' VCPU   CPU Affinity\n----------------------\n 0      1\n');
    if (command === 'emulatorpin') return ok('emulator: CPU Affinity\n----------------------------------\n       *: 0\n');
    if (command === 'iothreadinfo') return ok('');
    return failed('error: metadata not found');
  };
  let last: FleetHostState[] = [];
  // Every state the row showed after the pause was answered.
  const shown: string[] = [];
  let paused = false;
  const fleet = new Fleet({
    uris: ['test:///h'],
    run,
    env: {},
    clock,
    onChange: (hosts) => {
      last = hosts;
      const row = hosts[0]!.domains.find((domain) => domain.info.name === 'vm1');
      if (paused && row) shown.push(row.info.state);
    },
  });
  fleet.start();
  await clock.advance(0);
  assert.ok(hold !== null, 'the first reading is in flight');
  assert.equal(await fleet.control('test:///h', 'vm1', 'pause'), 'vm1: paused');
  paused = true;
  (hold as unknown as (value: CommandResult) => void)(ok('running\n'));
  // The held reading completes (the host's first good reading sets updatedAtMs).
  for (let i = 0; i < 50 && last[0]!.updatedAtMs === null; i++) await clock.advance(0);
  assert.notEqual(last[0]!.updatedAtMs, null, 'the first reading completed');
  assert.equal(last[0]!.domains[0]!.info.state, 'paused', 'the stale reading did not undo the pause');
  // The fresh reading the pause asked for comes at once and says paused itself.
  const first = last[0]!.updatedAtMs;
  for (let i = 0; i < 50 && last[0]!.updatedAtMs === first; i++) await clock.advance(0);
  assert.equal(last[0]!.domains[0]!.info.state, 'paused');
  assert.ok(shown.length > 0 && shown.every((state) => state === 'paused'), `the row never went back to running: ${shown.join(' ')}`);
  fleet.stop();
});

test('LIBVIRT_DEFAULT_URI does not override --root: the capture is read, no virsh is run', async () => {
  const calls: string[][] = [];
  const run: RunCommand = async (argv) => (calls.push([...argv]), failed('unexpected'));
  const result = await runMain(['--root', path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/hosts/bare'), 'topology', '--json'], { run, env: { LIBVIRT_DEFAULT_URI: 'qemu:///system', NO_COLOR: '1' } });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(JSON.parse(result.stdout).cpus.length > 0);
  assert.ok(!calls.some((argv) => argv.includes('virsh') || argv[0]?.endsWith('virsh')), JSON.stringify(calls));
});
