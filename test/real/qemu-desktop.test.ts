/**
 * The guest platform for real: a VM with Windows defaults (UEFI with secure boot, TPM 2.0 from a
 * real swtpm, RTC in local time, Hyper-V enlightenments where KVM can give them) and a Linux VM
 * on plain UEFI are started paused from the generated argv, and QEMU is asked over QMP what it
 * built: the TPM (query-tpm), both flash chips and their files (query-named-block-nodes), SMM and
 * the flash's SMM lock (qom-get), the RTC's time against the zone QEMU runs in, the hv-* CPU
 * properties. QEMU must print no warning. Then launch itself (src/run/launch.ts) starts the
 * Windows-defaults VM: swtpm first, QEMU connected to it, swtpm gone with QEMU, the TPM state and
 * the variable store kept in the state dir.
 *
 * Hyper-V enlightenments need KVM: QEMU's TCG refuses them (7.2: "kernel doesn't allow setting
 * HyperV VP_INDEX"), and some KVMs cannot give them either (this machine's kvm_pvm: "failed to
 * set MSR 0x40000021"). Whether this host can is tried with QEMU itself; where it cannot, the
 * Windows VM runs under TCG, where the argv and XML carry no hv-* and the plan warns
 * hyperv-needs-kvm (both asserted), and the reason is printed.
 *
 * Paths are hostile on purpose (a comma, "=", a space): QEMU takes them with ",," and swtpm,
 * which has no escape, only by names relative to the run dir.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDomainXml } from '../../src/generate/libvirt-xml.js';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import { HYPERV, HYPERV_CLOCK, OVMF_FILES, parseQemuVersion, type OutputTarget } from '../../src/generate/vm-facts.js';
import { readCpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology } from '../../src/host/topology.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { processRuns } from '../../src/registry/registry.js';
import { guestStateProblems, prepareStateDir, startSwtpm } from '../../src/run/guest-state.js';
import { launchVm } from '../../src/run/launch.js';
import { QmpClient } from '../../src/run/qmp-client.js';
import { realClock, signalReal, spawnDetachedReal } from '../../src/run/real-services.js';
import { runCommand } from '../../src/run/run-command.js';
import { runDirPaths, stateDirPaths } from '../../src/shared/vm-paths.js';
import { parseVmSpec } from '../../src/spec/vm-spec.js';
import type { Plan } from '../../src/spec/types.js';
import { probeHyperv } from '../helpers/qemu-host.js';
import { killAllQemu, QEMU_BINARY, requireTool, startQemu, stopQemu, type RunningQemu } from '../helpers/qemu-process.js';

// QEMU inherits the zone: local time 5:30 ahead of UTC tells localtime from utc whatever the host's zone.
process.env.TZ = 'Asia/Kolkata';

const procFs = new HostFs('/', { record: false });
const hostFs = new HostFs('/');
const target: OutputTarget = { qemu: parseQemuVersion(spawnSync(QEMU_BINARY, ['--version'], { encoding: 'utf8' }).stdout ?? '') };
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvt desk,a=b-'));
const swtpmServices = { spawnDetached: spawnDetachedReal, signal: signalReal, clock: realClock, procFs, env: process.env };

const hyperv = probeHyperv();

function plan(input: Record<string, unknown>): Plan {
  const spec = parseVmSpec({ vcpus: 2, memory: '256M', network: 'none', pinning: { strategy: 'none', requireDedicated: false }, ...input }, 'qemu-desktop test');
  return planVm({ topology: readTopology(hostFs), cpuInfo: readCpuInfo(hostFs), spec });
}

const windowsPlan = () => plan({ name: 'win "d" $(x),1', guest: 'windows', ...(hyperv.usable ? { accel: 'kvm', cpu: 'host' } : { accel: 'tcg' }) });
const uefiPlan = () => plan({ name: 'uefi,linux', accel: 'tcg', guest: { os: 'linux', firmware: 'uefi' } });

const qomGet = (vm: RunningQemu, objectPath: string, property: string) => vm.qmp.execute<unknown>('qom-get', { path: objectPath, property });
type BlockNode = { 'node-name': string; drv: string; ro: boolean; file: string };

/** The guest RTC's time (struct tm) as ms, compared with the wall clock of `clock`. */
async function rtcSkewMs(vm: RunningQemu, clock: 'utc' | 'localtime'): Promise<number> {
  const tm = (await qomGet(vm, '/machine', 'rtc-time')) as { tm_year: number; tm_mon: number; tm_mday: number; tm_hour: number; tm_min: number; tm_sec: number };
  const rtcMs = Date.UTC(tm.tm_year + 1900, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  const now = new Date();
  const wallMs = now.getTime() - (clock === 'localtime' ? now.getTimezoneOffset() * 60_000 : 0);
  return Math.abs(rtcMs - wallMs);
}

async function assertFirmware(vm: RunningQemu, built: Plan, stateDir: string): Promise<void> {
  const secure = built.spec.guest.secureBoot;
  const files = secure ? OVMF_FILES.secureBoot : OVMF_FILES.plain;
  const nodes = await vm.qmp.execute<BlockNode[]>('query-named-block-nodes', { flat: true });
  const code = nodes.find((node) => node['node-name'] === 'fw-code');
  const vars = nodes.find((node) => node['node-name'] === 'fw-vars');
  assert.deepEqual({ drv: code?.drv, ro: code?.ro, file: code?.file }, { drv: 'raw', ro: true, file: files.code }, 'pflash0: the OVMF code, read-only');
  assert.deepEqual({ drv: vars?.drv, ro: vars?.ro, file: vars?.file }, { drv: 'raw', ro: false, file: stateDirPaths(stateDir).uefiVars }, 'pflash1: the VM\'s own variable store, writable');
  assert.deepEqual(fs.readFileSync(stateDirPaths(stateDir).uefiVars), fs.readFileSync(files.varsTemplate), 'the store starts as the template');
  assert.equal(await qomGet(vm, '/machine', 'pflash0'), 'fw-code');
  assert.equal(await qomGet(vm, '/machine', 'pflash1'), 'fw-vars');
  assert.equal(await qomGet(vm, '/machine', 'smm'), secure ? 'on' : 'auto', 'SMM on for secure boot');
  assert.equal(await qomGet(vm, '/machine/system.flash0', 'secure'), secure, 'flash writable from SMM only, with secure boot');
}

before(() => {
  requireTool(QEMU_BINARY, 'qemu-system-x86');
  requireTool('swtpm', 'swtpm');
  for (const file of [...Object.values(OVMF_FILES.plain), ...Object.values(OVMF_FILES.secureBoot)]) {
    assert.ok(fs.existsSync(file), `${file} is missing (apt-get install ovmf; scripts/test-all.sh installs it)`);
  }
});

after(async () => {
  await killAllQemu();
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('the guest platform, built by real QEMU (paused)', () => {
  it('Windows defaults: UEFI secure boot, TPM 2.0 (swtpm), local-time RTC, Hyper-V under KVM only', async (t) => {
    if (!hyperv.usable) t.diagnostic(`accel tcg: ${hyperv.reason}`);
    const built = windowsPlan();
    assert.deepEqual(built.errors, []);
    assert.deepEqual(guestStateProblems(built, process.env), [], 'OVMF and swtpm are installed');
    const { guest } = built.spec;
    assert.deepEqual(guest, { os: 'windows', firmware: 'uefi', secureBoot: true, tpm: true, hyperv: true, clock: 'localtime' });
    const runDir = fs.mkdtempSync(path.join(scratch, 'run w,x=y-'));
    const stateDir = fs.mkdtempSync(path.join(scratch, 'state w,x=y-'));
    const argv = buildQemuArgs(built, { runDir, stateDir, target });
    const cpu = argv[argv.indexOf('-cpu') + 1]!;
    const xml = buildDomainXml(built);
    if (hyperv.usable) {
      assert.match(cpu, /hv-relaxed=on/);
    } else {
      assert.ok(built.warnings.some((warning) => warning.code === 'hyperv-needs-kvm'), 'the plan says the guest runs without enlightenments');
      assert.doesNotMatch(cpu, /hv-/, 'no hv-* under TCG (QEMU refuses them)');
      assert.doesNotMatch(xml, /<hyperv|hypervclock/, 'nor in the XML');
    }

    prepareStateDir(built, stateDir, process.getuid?.() ?? 0);
    const swtpmPid = await startSwtpm(runDir, stateDir, swtpmServices);
    const vm = await startQemu(argv, runDirPaths(runDir).qmpSocket);
    try {
      const tpm = await vm.qmp.execute<Array<{ model: string; id: string; options: { type: string; data: { chardev?: string } } }>>('query-tpm');
      assert.deepEqual(tpm.map((entry) => ({ model: entry.model, type: entry.options.type, chardev: entry.options.data.chardev })), [{ model: 'tpm-crb', type: 'emulator', chardev: 'chrtpm' }]);
      // tpm-crb is TPM 2.0 only: QEMU asks swtpm for its version at start and refuses a 1.2 one.
      await assertFirmware(vm, built, stateDir);
      assert.ok((await rtcSkewMs(vm, 'localtime')) < 120_000, 'the RTC counts local time');
      const cpus = await vm.qmp.execute<Array<{ 'qom-path': string }>>('query-cpus-fast');
      const cpuPath = cpus[0]!['qom-path'];
      if (hyperv.usable) {
        for (const entry of HYPERV) assert.equal(await qomGet(vm, cpuPath, entry.qemu), entry.value === 'on' ? true : Number(entry.value), `${entry.qemu} on the vCPU`);
        assert.equal(await qomGet(vm, cpuPath, HYPERV_CLOCK.qemu), true);
      } else {
        assert.equal(await qomGet(vm, cpuPath, 'hv-relaxed'), false, 'TCG guest without enlightenments');
      }
      assert.doesNotMatch(vm.stderr(), /warning/i, 'QEMU starts it without a warning');
    } catch (error) {
      if (vm.stderr()) t.diagnostic(`QEMU stderr: ${vm.stderr()}`);
      throw error;
    } finally {
      await stopQemu(vm);
    }
    // --terminate: swtpm ends with the QEMU it served; the TPM's state stays.
    const deadline = Date.now() + 5000;
    while (processRuns(swtpmPid, procFs) && Date.now() < deadline) await realClock.sleep(50);
    assert.equal(processRuns(swtpmPid, procFs), false, 'swtpm ended with QEMU');
    assert.ok(fs.existsSync(path.join(stateDirPaths(stateDir).tpmState, 'tpm2-00.permall')), 'TPM state kept in the state dir');
  });

  it('Linux on plain UEFI: OVMF without secure boot, no TPM, RTC in UTC', async (t) => {
    const built = uefiPlan();
    assert.deepEqual(built.errors, []);
    assert.deepEqual(built.spec.guest, { os: 'linux', firmware: 'uefi', secureBoot: false, tpm: false, hyperv: false, clock: 'utc' });
    const runDir = fs.mkdtempSync(path.join(scratch, 'run u,x=y-'));
    const stateDir = fs.mkdtempSync(path.join(scratch, 'state u,x=y-'));
    prepareStateDir(built, stateDir, process.getuid?.() ?? 0);
    const vm = await startQemu(buildQemuArgs(built, { runDir, stateDir, target }), runDirPaths(runDir).qmpSocket);
    try {
      assert.deepEqual(await vm.qmp.execute('query-tpm'), []);
      await assertFirmware(vm, built, stateDir);
      assert.ok((await rtcSkewMs(vm, 'utc')) < 120_000, 'the RTC counts UTC');
      assert.doesNotMatch(vm.stderr(), /warning/i, 'QEMU starts it without a warning');
    } catch (error) {
      if (vm.stderr()) t.diagnostic(`QEMU stderr: ${vm.stderr()}`);
      throw error;
    } finally {
      await stopQemu(vm);
    }
  });

  it('launch starts swtpm, then QEMU on it; the variable store is copied once and kept', async () => {
    const built = windowsPlan();
    const runDir = path.join(scratch, 'launch r,x=y');
    const stateDir = path.join(scratch, 'launch s,x=y');
    const argv = buildQemuArgs(built, { runDir, stateDir, target });
    const services = { run: runCommand, spawnDetached: spawnDetachedReal, signal: signalReal, clock: realClock, procFs, uid: process.getuid?.() ?? 0, env: process.env, launcherPid: process.pid };
    const steps: string[] = [];
    const result = await launchVm({ plan: built, argv, runDir, stateDir, paused: true, onStep: (step, text) => steps.push(`${step}: ${text}`) }, services);
    const vars = stateDirPaths(stateDir).uefiVars;
    const firstCopy = fs.statSync(vars);
    let swtpmPid: number;
    try {
      assert.ok(steps.some((line) => /^start: swtpm \(pid \d+\)/.test(line)), steps.join('\n'));
      swtpmPid = Number(fs.readFileSync(runDirPaths(runDir).tpmPidFile, 'utf8'));
      assert.ok(processRuns(swtpmPid, procFs), 'swtpm runs while the VM does');
      const qmp = await QmpClient.connect(runDirPaths(runDir).qmpSocket, { clock: realClock, timeoutMs: 5000 });
      try {
        const tpm = await qmp.execute<Array<{ model: string }>>('query-tpm');
        assert.deepEqual(tpm.map((entry) => entry.model), ['tpm-crb']);
        await qmp.execute('quit').catch(() => undefined);
      } finally {
        qmp.close();
      }
    } finally {
      const deadline = Date.now() + 5000;
      while (processRuns(result.record.pid, procFs) && Date.now() < deadline) await realClock.sleep(50);
      if (processRuns(result.record.pid, procFs)) signalReal(result.record.pid, 'SIGKILL');
    }
    const deadline = Date.now() + 5000;
    while (processRuns(swtpmPid, procFs) && Date.now() < deadline) await realClock.sleep(50);
    assert.equal(processRuns(swtpmPid, procFs), false, 'swtpm ended with QEMU');
    // A second preparation (the next launch) keeps the guest's store as it is.
    prepareStateDir(built, stateDir, services.uid);
    assert.equal(fs.statSync(vars).ino, firstCopy.ino, 'the store is not replaced');
    assert.equal(fs.statSync(vars).mtimeMs, firstCopy.mtimeMs);
  });
});
