/**
 * The libvirt backend against real daemons: this host read through libvirt gives the same core
 * map as the sysfs reader; through --connect a TCG domain from tiny-test is defined, started,
 * pinned as planned (read back independently), held against the next plan, shown with domstats
 * figures in status --json, refused a second time, and removed by stop. A second, independent
 * daemon (a session libvirtd as another user) stands in for a second host in the fleet pane:
 * stopping it turns its section into an error row while the first keeps updating, and
 * restarting it brings the section back.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { LibvirtBackend } from '../../src/backend/libvirt-backend.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology, type Topology } from '../../src/host/topology.js';
import { realClock } from '../../src/run/real-services.js';
import { runCommand } from '../../src/run/run-command.js';
import { buildCoreMapLines } from '../../components/present/core-map-lines.js';
import { connectTestLibvirt, LIBVIRT_URI, RUN_ID, TEST_DOMAIN_PREFIX, trackDomain, removeTestDomains, requireTool } from '../helpers/libvirt-real.js';
import { secondLibvirt, type SecondLibvirt } from '../helpers/second-libvirt.js';
import type { Virsh } from '../../src/run/virsh.js';
import { BUNDLE, ensureBundle } from '../helpers/bundle.js';

const cli = (args: string[]) => {
  const result = spawnSync(process.execPath, [BUNDLE, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 180_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let virsh: Virsh;
let second: SecondLibvirt | null = null;

before(async () => {
  requireTool('tmux', 'tmux');
  virsh = await connectTestLibvirt();
  ensureBundle();
});

after(async () => {
  spawnSync('tmux', ['kill-session', '-t', `fleet-${RUN_ID}`]);
  const problems = await removeTestDomains(virsh);
  await second?.remove();
  assert.deepEqual(problems, []);
});

/** What the core map is made of, per CPU, as sets. */
function shape(topology: Topology) {
  return {
    online: topology.online,
    nodes: topology.nodes.map((node) => ({ id: node.id, cpus: node.cpus, distances: node.distances })),
    cpus: topology.cpus.filter((cpu) => cpu.online).map((cpu) => ({ cpu: cpu.cpu, socket: cpu.socket, die: cpu.die, core: cpu.core, node: cpu.node, siblings: cpu.siblings, l3: cpu.l3 })),
    l3: topology.l3Groups.map((group) => group.cpus),
  };
}

describe('libvirt backend (real libvirtd)', () => {
  it('this host through libvirt capabilities gives the same core map as the sysfs reader', async () => {
    const backend = new LibvirtBackend({ uri: LIBVIRT_URI, run: runCommand, env: process.env, clock: realClock });
    const facts = await backend.hostFacts();
    const sysfs = readTopology(new HostFs('/', { record: false }));
    assert.deepEqual(shape(facts.topology), shape(sysfs));
    const text = (topology: Topology) => buildCoreMapLines(topology, 100).map((line) => line.map((segment) => segment.text).join('')).join('\n');
    assert.equal(text(facts.topology), text(sysfs));
    assert.match(facts.versions.qemu ?? '', /^\d+\.\d+/);
    assert.ok(facts.topology.nodes.every((node) => typeof node.freeMiB === 'number' && node.freeMiB > 0), 'free memory per node from freecell');
    // The text topology command says the same through --connect as without it.
    assert.equal(cli(['--connect', LIBVIRT_URI, 'topology']).stdout, cli(['topology']).stdout);

    // A named CPU model gets the same verdict through libvirt (domcapabilities) as from QEMU.
    const models = await backend.cpuModels('tcg');
    assert.ok('facts' in models, JSON.stringify(models));
    const verdict = (args: string[]) => {
      const run = cli([...args, 'plan', '--preset', 'migration-compatible', '--accel', 'tcg', '--vcpus', '1', '--json']);
      return (JSON.parse(run.stdout) as { warnings: Array<{ code: string }> }).warnings.some((warning) => warning.code === 'cpu-model-unavailable');
    };
    assert.equal(verdict(['--connect', LIBVIRT_URI]), verdict([]));
    assert.equal(models.facts.models.get('qemu64')?.unavailable.length, 0);
  });

  it('launch --connect defines and starts a TCG tiny-test pinned as planned; it holds its CPUs; status shows domstats; a second launch is refused; stop removes it', async () => {
    const name = `${TEST_DOMAIN_PREFIX}${RUN_ID} it's $(x); <a&b>`;
    trackDomain(name);
    const before = await virsh.listAllNames();
    const launched = cli(['--connect', LIBVIRT_URI, 'launch', '--preset', 'tiny-test', '--accel', 'tcg', '--name', name, '--json']);
    assert.equal(launched.code, 0, launched.stderr);
    const entry = JSON.parse(launched.stdout).vms[0];
    assert.equal(entry.name, name);
    assert.equal(entry.state, 'running');
    // Read back independently of kvm-tui: libvirt's live pins equal the plan kvm-tui recorded.
    const live = await virsh.vcpuPins(name);
    assert.ok(entry.vcpus.length > 0);
    for (const vcpu of entry.vcpus) {
      assert.deepEqual(live.get(vcpu.vcpu), vcpu.plannedAffinity, `vCPU ${vcpu.vcpu}`);
    }
    assert.deepEqual(await virsh.emulatorPins(name), entry.emulator.plannedAffinity);

    // The running domain's CPUs are held: the next plan does not use them (or finds none free).
    const held = new Set([...live.values()].flat());
    const next = cli(['--connect', LIBVIRT_URI, 'plan', '--preset', 'tiny-test', '--accel', 'tcg', '--name', 'another', '--vcpus', '1', '--json']);
    const plan = JSON.parse(next.stdout);
    if (next.code === 0) assert.ok(plan.vcpus.every((vcpu: { hostCpu: number }) => !held.has(vcpu.hostCpu)), next.stdout);
    else assert.ok(plan.errors.some((error: { code: string }) => error.code === 'no-free-cpus'), next.stdout);
    // Without --connect too: the direct backend sees libvirt's QEMU in /proc, pinned.
    const direct = JSON.parse(cli(['plan', '--preset', 'tiny-test', '--accel', 'tcg', '--name', 'another', '--vcpus', '1', '--json']).stdout);
    const vcpuCpus = new Set([...live.values()].flat());
    if (direct.errors.length === 0) assert.ok(direct.vcpus.every((vcpu: { hostCpu: number }) => !vcpuCpus.has(vcpu.hostCpu)), JSON.stringify(direct.vcpus));
    else assert.ok(direct.errors.some((error: { code: string }) => error.code === 'no-free-cpus'), JSON.stringify(direct.errors));
    // The core map text names the domain holding them, its name quoted whole.
    const map = cli(['--connect', LIBVIRT_URI, 'topology']);
    assert.ok(map.stdout.includes(`held by running VMs`) && map.stdout.includes(`  ${JSON.stringify(name)}  CPU`), map.stdout);

    const status = cli(['--connect', LIBVIRT_URI, 'status', name, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout).vms[0];
    assert.equal(shown.kvmTui, true);
    assert.deepEqual(shown.drift, []);
    assert.ok(typeof shown.cpuPercent === 'number', status.stdout);
    assert.ok(shown.vcpus.every((vcpu: { cpuPercent: unknown; stealMsPerSec: unknown }) => typeof vcpu.cpuPercent === 'number' && typeof vcpu.stealMsPerSec === 'number'), status.stdout);

    const again = cli(['--connect', LIBVIRT_URI, 'launch', '--preset', 'tiny-test', '--accel', 'tcg', '--name', name]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already/);
    assert.deepEqual((await virsh.listAllNames()).sort(), [...before, name].sort());

    const stopped = cli(['--connect', LIBVIRT_URI, 'stop', name, '--force']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /undefined/);
    assert.equal(await virsh.domainState(name), null);
    assert.deepEqual((await virsh.listAllNames()).sort(), before.sort());
  });

  it('a failed start leaves nothing defined, and an unreachable URI is one line with a hint, exit 1', async () => {
    // A disk image that does not exist: libvirt defines the domain and refuses at start; the
    // domain must go again, and libvirt's own words are shown (not a daemon hint).
    const name = `${TEST_DOMAIN_PREFIX}${RUN_ID}-fails`;
    trackDomain(name);
    const before = await virsh.listAllNames();
    const failed = cli(['--connect', LIBVIRT_URI, 'launch', '--preset', 'tiny-test', '--accel', 'tcg', '--name', name, '--disk', '/nonexistent/kvm-tui-test.qcow2']);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /Cannot access storage file/);
    assert.match(failed.stderr, /undefined again/);
    assert.doesNotMatch(failed.stderr, /start libvirtd/);
    assert.deepEqual((await virsh.listAllNames()).sort(), before.sort(), failed.stderr);
    const down = cli(['--connect', 'qemu+unix:///system?socket=/nonexistent/libvirt-sock', 'status']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^kvm-tui: .*Failed to connect socket/m);
    assert.match(down.stderr, /^hint: /m);
  });

  it('the fleet pane shows two hosts; the second going down is an error row while the first keeps updating; back, its section returns', async () => {
    second = secondLibvirt();
    await second.start();
    const nameA = `${TEST_DOMAIN_PREFIX}${RUN_ID}-fleet-a`;
    const nameB = `${TEST_DOMAIN_PREFIX}${RUN_ID}-fleet-b`;
    trackDomain(nameA);
    const a = cli(['--connect', LIBVIRT_URI, 'launch', '--preset', 'tiny-test', '--accel', 'tcg', '--name', nameA, '--vcpus', '1']);
    assert.equal(a.code, 0, a.stderr);
    // On the session daemon (its serial console has no log file it could not write).
    const b = cli(['--connect', second.uri, 'launch', '--preset', 'tiny-test', '--accel', 'tcg', '--name', nameB, '--vcpus', '1']);
    assert.equal(b.code, 0, b.stderr);

    const session = `fleet-${RUN_ID}`;
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '30', '-e', 'CI=true', `${process.execPath} ${BUNDLE} monitor --connect '${LIBVIRT_URI}' --connect '${second.uri}' '${nameA}'; echo EXIT=$?; sleep 60`]);
    const pane = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
    const waitPane = async (test: (text: string) => boolean, what: string, ms = 30_000) => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (test(pane())) return pane();
        await sleep(250);
      }
      assert.fail(`${what}; the pane shows:\n${pane()}`);
    };
    const section = (text: string, uri: string) => text.split('\n').find((line) => line.startsWith(`${uri}  `)) ?? '';
    await waitPane((text) => /\bok\b/.test(section(text, LIBVIRT_URI)) && /\bok\b/.test(section(text, second!.uri)) && text.includes(nameA) && text.includes(nameB), 'both hosts answering with their domains');

    // The keys act through the real libvirt: a vCPU moved off its plan shows DRIFT, r puts it
    // back (read back from libvirt), p pauses and resumes the domain.
    // Opened on nameA (NAME): chosen, with its vCPU table.
    await waitPane((text) => text.includes(`> ${nameA}`) && /vCPU\s+on\s+planned/.test(text), 'the named domain chosen and open');
    const planned = (await virsh.run(['vcpupin', `--domain=${nameA}`, '--live'])).match(/^\s*0\s+(\S+)/m)?.[1];
    assert.ok(planned, 'vCPU 0 is pinned');
    await virsh.run(['vcpupin', `--domain=${nameA}`, '--vcpu', '0', '--cpulist', '0-1', '--live']);
    await waitPane((text) => new RegExp(`> ${nameA}.*DRIFT: vCPU 0 on 0,1, planned ${planned}`).test(text), 'the drift shown', 20_000);
    execFileSync('tmux', ['send-keys', '-t', session, 'r']);
    await waitPane((text) => text.includes(`${nameA}: re-pinned 1 thread to the plan`), 're-pinned');
    assert.equal((await virsh.run(['vcpupin', `--domain=${nameA}`, '--live'])).match(/^\s*0\s+(\S+)/m)?.[1], planned);
    execFileSync('tmux', ['send-keys', '-t', session, 'p']);
    await waitPane((text) => text.includes(`${nameA}: paused`) && new RegExp(`> ${nameA}\\s+paused`).test(text), 'paused, in the message and the row');
    assert.equal(await virsh.domainState(nameA), 'paused');
    execFileSync('tmux', ['send-keys', '-t', session, 'p']);
    await waitPane((text) => text.includes(`${nameA}: resumed`), 'resumed');
    assert.equal(await virsh.domainState(nameA), 'running');

    await second.stop();
    const downText = await waitPane((text) => /\bDOWN\b/.test(section(text, second!.uri)), 'the second host shown down');
    assert.match(downText, /^ {2}! retry in \d+ s: .*(connect|socket)/im);
    // The first host keeps updating while the second is down: its "updated N s ago" stays fresh.
    await sleep(4000);
    const later = pane();
    assert.match(section(later, LIBVIRT_URI), /ok .*updated [0-2] s ago/);
    assert.match(section(later, second.uri), /DOWN/);

    await second.start();
    await waitPane((text) => /\bok\b/.test(section(text, second!.uri)) && text.includes(nameB), 'the second host back with its domain', 60_000);
    execFileSync('tmux', ['send-keys', '-t', session, 'q']);
    await waitPane((text) => /EXIT=0/.test(text), 'the pane left with exit 0');
    spawnSync('tmux', ['kill-session', '-t', session]);
    assert.equal(cli(['--connect', second.uri, 'stop', nameB, '--force']).code, 0);
  });
});
