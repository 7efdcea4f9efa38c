/**
 * Every builtin preset, planned on THIS host, started for real from the generated argv (paused:
 * -S, so even under the nested kvm_pvm KVM of ../shared/FACTS.md nothing runs), and asked through
 * QMP whether what QEMU built is what the plan says: vCPUs and their guest topology, memory
 * backends (size, policy, host nodes, prealloc, share, huge pages), iothreads and which disk uses
 * which, disk cache modes, network queues, the name, the accelerator. Huge pages are reserved for
 * real and the guest RAM is checked in /proc/PID/smaps to sit on them.
 *
 * What is changed from the preset so it can run here, and why (each one reported as a test
 * diagnostic):
 * - accel: kvm where the preset says kvm and QEMU can start a -cpu host guest on /dev/kvm (tried), else tcg (resolveSpec then
 *   turns -cpu host into max);
 * - vCPUs: at most the host's online CPUs (the presets want a CPU per vCPU);
 * - memory: 256M (1G with 1G pages), so the huge page pool can be filled at run time;
 *   1G pages become 2M on a CPU without pdpe1gb (the planner refuses 1G there);
 * - disks: a small qcow2 and a small raw image (made with qemu-img) in /var/tmp, where O_DIRECT
 *   works (cache=none; tmpfs refuses it on older kernels);
 * - accel tcg for a Windows-platform preset when this KVM cannot give Hyper-V enlightenments or
 *   SMM (tried: kvm_pvm gives neither); the planner then leaves hv-* out (hyperv-needs-kvm);
 * - tap networking: a real multiqueue tap created with `ip tuntap` for the test; vhost=off when
 *   there is no /dev/vhost-net (no vhost_net module here, and no modprobe).
 * - a guest platform with UEFI or a TPM (desktop-passthrough: Windows defaults) gets its state
 *   (variable store) and a running swtpm as launch prepares them (src/run/guest-state.ts);
 *   QEMU's TPM and flash are then asked for too.
 * The VM name is hostile on purpose (quotes, $(), a comma, unicode): QEMU must report it back
 * exactly.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { specRequestFromArgs, type ParsedArgs } from '../../src/cli-args.js';
import { buildQemuArgs, diskIothreads } from '../../src/generate/qemu-argv.js';
import { readCpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology } from '../../src/host/topology.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { usableRelatives } from '../../src/plan/check-cpu-model.js';
import { probeCpuModels } from '../../src/host/cpu-models.js';
import { parseQemuVersion, type OutputTarget } from '../../src/generate/vm-facts.js';
import { runCommand } from '../../src/run/run-command.js';
import { needsGuestState, prepareStateDir, startSwtpm } from '../../src/run/guest-state.js';
import { realClock, signalReal, spawnDetachedReal } from '../../src/run/real-services.js';
import { firmwareFacts } from '../../src/generate/vm-facts.js';
import { runDirPaths } from '../../src/shared/vm-paths.js';
import { listPresets } from '../../src/spec/presets.js';
import { resolveSpec } from '../../src/spec/resolve.js';
import type { Plan, Preset } from '../../src/spec/types.js';
import { createTap, probeHyperv, reserveHugepages } from '../helpers/qemu-host.js';
import { killAllQemu, QEMU_BINARY, requireTool, startQemu, stopQemu, threadNames, type RunningQemu } from '../helpers/qemu-process.js';

const hostFs = new HostFs('/');
const topology = readTopology(hostFs);
const cpuInfo = readCpuInfo(hostFs);
/** The QEMU started here: the argv is written for it (preallocation contexts from 7.2). */
const target: OutputTarget = { qemu: parseQemuVersion(spawnSync(QEMU_BINARY, ['--version'], { encoding: 'utf8' }).stdout ?? '') };
/**
 * Whether QEMU can start a `-cpu host` guest under KVM here, decided by trying it (paused, asked
 * over QMP, then quit), not by /dev/kvm alone: some of these machines have a /dev/kvm (kvm_pvm)
 * on which QEMU aborts creating the vCPU ("failed to set MSR 0x10a"). Where it cannot, the KVM
 * presets run under TCG and the reason is printed.
 */
const kvm = ((): { usable: boolean; reason: string } => {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
  } catch (error) {
    return { usable: false, reason: `/dev/kvm does not open (${(error as NodeJS.ErrnoException).code})` };
  }
  const probe = spawnSync(
    QEMU_BINARY,
    ['-S', '-nodefaults', '-display', 'none', '-M', 'pc', '-m', '64', '-accel', 'kvm', '-cpu', 'host', '-qmp', 'stdio'],
    { input: '{"execute":"qmp_capabilities"}\n{"execute":"query-kvm"}\n{"execute":"quit"}\n', encoding: 'utf8', timeout: 20_000 },
  );
  if (probe.status === 0 && /"enabled": true/.test(probe.stdout)) return { usable: true, reason: '' };
  const said = `${probe.stderr ?? ''}`.split('\n').find((line) => line.trim() !== '') ?? `exit ${probe.status ?? probe.signal}`;
  return { usable: false, reason: `/dev/kvm opens but QEMU cannot start a -cpu host guest on it: ${said.trim()}` };
})();
const kvmUsable = kvm.usable;
/** Whether this KVM gives the Windows platform (Hyper-V enlightenments, and SMM for secure boot). */
const windowsPlatform = kvmUsable ? probeHyperv(true) : { usable: false, reason: 'no usable KVM' };
const vhostNet = fs.existsSync('/dev/vhost-net');
const has1G = cpuInfo.flags.has('pdpe1gb') && fs.existsSync('/sys/kernel/mm/hugepages/hugepages-1048576kB');
const presets = listPresets({ userDir: '/nonexistent/kvm-tui-presets' });
const tapName = `kvt${process.pid}`.slice(0, 15);

// A comma, "=" and a space in every path QEMU gets (run dir: QMP socket, serial log, pid file;
// disk images): QEMU must see them exactly, which proves the ",," escaping and the explicit
// path= keys for real.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvt a,b=c-'));
const imageDir = fs.mkdtempSync(path.join('/var/tmp', 'kvm-tui images,x=y-'));
const undo: Array<() => void> = [];

interface Case {
  preset: Preset;
  plan: Plan;
  notes: string[];
  /** The plan with the preset's own CPU model, when the planner warned that the host cannot give it. */
  refused: Plan | null;
}
const cases = new Map<string, Case>();

/** The overrides that make a preset runnable here (see the header), with the reasons. */
function overridesFor(preset: Preset): { args: ParsedArgs; notes: string[] } {
  const notes: string[] = [];
  const values: ParsedArgs['values'] = { preset: preset.name, name: `${preset.name} "q" $(x) é,1` };
  if (preset.spec.accel === 'kvm' && !kvmUsable) {
    values.accel = 'tcg';
    notes.push(`accel tcg: ${kvm.reason}`);
  } else if (preset.spec.accel === 'kvm' && (preset.spec.guest.hyperv || preset.spec.guest.secureBoot) && !windowsPlatform.usable) {
    // TCG gives SMM (secure boot); the planner then leaves the enlightenments out (hyperv-needs-kvm).
    values.accel = 'tcg';
    notes.push(`accel tcg: ${windowsPlatform.reason} (launch would stop at start with QEMU's words)`);
  }
  if (preset.spec.vcpus.count > topology.online.length) {
    values.vcpus = String(topology.online.length);
    notes.push(`vcpus ${topology.online.length}: the host has ${topology.online.length} online CPUs`);
  }
  if (preset.spec.memory.backing === 'hugepages-1G' && has1G) {
    values.memory = '1G';
  } else {
    values.memory = '256M';
    if (preset.spec.memory.backing === 'hugepages-1G') {
      values.hugepages = '2M';
      notes.push('hugepages 2M: the CPU lacks pdpe1gb');
    }
  }
  const disks = ['system.qcow2', 'data.raw'].map((file) => path.join(imageDir, `${preset.name}-${file}`));
  values.disk = disks;
  if (preset.spec.network.mode === 'tap') values.net = `tap:${tapName}`;
  return { args: { command: 'generate', positionals: [], values }, notes };
}

function qemuImg(args: string[]): void {
  const result = spawnSync('qemu-img', args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `qemu-img ${args.join(' ')}: ${result.stderr}`);
}

before(async () => {
  requireTool(QEMU_BINARY, 'qemu-system-x86');
  requireTool('qemu-img', 'qemu-utils');
  requireTool('ip', 'iproute2');
  assert.ok(presets.length >= 7, 'every builtin preset is listed');

  const resolved = presets.map((preset) => ({ preset, ...overridesFor(preset) }));
  const specs = resolved.map(({ preset, args, notes }) => {
    const spec = resolveSpec(specRequestFromArgs(args), { userDir: '/nonexistent/kvm-tui-presets' });
    if (spec.network.mode === 'tap' && spec.network.vhost && !vhostNet) {
      spec.network.vhost = false;
      notes.push('vhost off: no /dev/vhost-net');
    }
    for (const disk of spec.disks) qemuImg(['create', '-q', '-f', disk.format, disk.path, '16M']);
    return { preset, spec, notes };
  });

  // Pages first: the planner looks at the pools (and warns when they are short).
  const pages = { 2048: 0, 1048576: 0 };
  for (const { spec } of specs) {
    if (spec.memory.backing === 'hugepages-2M') pages[2048] += spec.memory.sizeMiB / 2;
    if (spec.memory.backing === 'hugepages-1G') pages[1048576] += spec.memory.sizeMiB / 1024;
  }
  for (const [pageKiB, count] of Object.entries(pages)) {
    if (count > 0) undo.push(reserveHugepages(Number(pageKiB), count));
  }
  if (specs.some(({ spec }) => spec.network.mode === 'tap')) undo.push(createTap(tapName));

  const topologyNow = readTopology(new HostFs('/'));
  for (const { preset, spec, notes } of specs) {
    // A named model is checked against QEMU's own list of what this host can give (enforce makes
    // a missing feature a refusal); where it cannot, the test proves the refusal, then runs the
    // preset with a model the host can give.
    const probed = spec.cpu.model === 'host' || spec.cpu.model === 'max' ? null : await probeCpuModels(runCommand, QEMU_BINARY, spec.accel);
    const cpuModels = probed && 'facts' in probed ? probed.facts : undefined;
    assert.ok(probed === null || cpuModels, `QEMU lists its CPU models: ${probed && 'error' in probed ? probed.error : ''}`);
    const plan = planVm({ topology: topologyNow, cpuInfo, spec, cpuModels });
    if (!plan.warnings.some((warning) => warning.code === 'cpu-model-unavailable')) {
      cases.set(preset.name, { preset, notes, plan, refused: null });
      continue;
    }
    // A relative of the model, else qemu64, else any model QEMU can give here (under the nested
    // kvm_pvm KVM of some of these machines even qemu64 lacks pni), else TCG's qemu64.
    const anyUsable = [...cpuModels!.models].filter(([, info]) => info.unavailable.length === 0 && !info.deprecated && info.aliasOf !== null).map(([name]) => name).sort();
    const usable = [...usableRelatives(cpuModels!, spec.cpu.model), 'qemu64', ...anyUsable].find((model) => cpuModels!.models.get(model)?.unavailable.length === 0);
    notes.push(`cpu ${usable ?? 'qemu64, accel tcg'}: QEMU says this host cannot give ${spec.cpu.model} under ${spec.accel} (the refusal is checked first)`);
    const fitting: typeof spec = usable ? { ...spec, cpu: { ...spec.cpu, model: usable, features: [] } } : { ...spec, accel: 'tcg', cpu: { ...spec.cpu, model: 'qemu64', features: [] } };
    cases.set(preset.name, { preset, notes, plan: planVm({ topology: topologyNow, cpuInfo, spec: fitting, cpuModels: usable ? cpuModels : undefined }), refused: plan });
  }
});

after(async () => {
  await killAllQemu();
  // Belt and braces: no QEMU started from this test's run dirs may survive it.
  const survivors = fs.readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(scratch);
    } catch {
      return false;
    }
  });
  for (const pid of survivors) process.kill(Number(pid), 'SIGKILL');
  for (const step of undo.reverse()) step();
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.rmSync(imageDir, { recursive: true, force: true });
  assert.deepEqual(survivors, [], 'QEMU processes outlived their test');
});

type Props = { 'socket-id'?: number; 'die-id'?: number; 'core-id'?: number; 'thread-id'?: number; 'node-id'?: number };
type Memdev = { id: string; size: number; policy: string; 'host-nodes': number[]; prealloc: boolean; share: boolean };
type BlockNode = { 'node-name': string; drv: string; ro: boolean; file: string; cache: { direct: boolean; 'no-flush': boolean; writeback: boolean } };

const qomGet = (vm: RunningQemu, objectPath: string, property: string) => vm.qmp.execute('qom-get', { path: objectPath, property });

/** Mappings of /proc/PID/smaps with their size, page size and huge pages in use (all kB). */
function smaps(pid: number): Array<{ name: string; sizeKiB: number; pageKiB: number; hugetlbKiB: number }> {
  const out: Array<{ name: string; sizeKiB: number; pageKiB: number; hugetlbKiB: number }> = [];
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      out.push({ name: header[1]!, sizeKiB: 0, pageKiB: 0, hugetlbKiB: 0 });
      continue;
    }
    const field = /^(\w+):\s+(\d+) kB$/.exec(line);
    const current = out[out.length - 1];
    if (!field || !current) continue;
    if (field[1] === 'Size') current.sizeKiB = Number(field[2]);
    if (field[1] === 'KernelPageSize') current.pageKiB = Number(field[2]);
    if (field[1] === 'Private_Hugetlb' || field[1] === 'Shared_Hugetlb') current.hugetlbKiB += Number(field[2]);
  }
  return out;
}

async function assertBuiltAsPlanned(vm: RunningQemu, plan: Plan): Promise<void> {
  const spec = plan.spec;
  assert.deepEqual(await vm.qmp.execute('query-name'), { name: spec.name });
  const status = await vm.qmp.execute<{ status: string; running: boolean }>('query-status');
  assert.equal(status.status, 'prelaunch', 'started paused by -S');
  const kvm = await vm.qmp.execute<{ enabled: boolean }>('query-kvm');
  assert.equal(kvm.enabled, spec.accel === 'kvm', `accelerator ${spec.accel}`);

  // vCPUs: one per planned vCPU, each at the planned guest socket/die/core/thread (and node).
  const cpus = await vm.qmp.execute<Array<{ 'cpu-index': number; 'thread-id': number; props: Props }>>('query-cpus-fast');
  assert.equal(cpus.length, plan.vcpus.length, 'vCPU count');
  for (const cpu of cpus) {
    const planned = plan.vcpus[cpu['cpu-index']]!;
    assert.deepEqual(
      { socket: cpu.props['socket-id'], die: cpu.props['die-id'] ?? 0, core: cpu.props['core-id'], thread: cpu.props['thread-id'], node: cpu.props['node-id'] ?? null },
      { socket: planned.socket, die: planned.die, core: planned.core, thread: planned.thread, node: planned.guestNode },
      `vCPU ${planned.vcpu} topology`,
    );
  }
  const names = threadNames(vm.pid);
  const suffix = spec.accel === 'kvm' ? 'KVM' : 'TCG';
  for (const cpu of cpus) assert.equal(names.get(cpu['thread-id']), `CPU ${cpu['cpu-index']}/${suffix}`, 'one named thread per vCPU');

  // Memory backends: one per guest node (or mem0), as planned.
  const backends = plan.memory.guestNodes.length > 0
    ? plan.memory.guestNodes.map((node, index) => ({ id: `mem${index}`, memMiB: node.memMiB, hostNodes: node.hostNodes }))
    : [{ id: 'mem0', memMiB: plan.memory.sizeMiB, hostNodes: plan.memory.hostNodes }];
  const memdevs = (await vm.qmp.execute<Memdev[]>('query-memdev')).sort((a, b) => a.id.localeCompare(b.id));
  assert.deepEqual(
    memdevs.map((memdev) => ({ id: memdev.id, size: memdev.size, policy: memdev.policy, hostNodes: memdev['host-nodes'], prealloc: memdev.prealloc, share: memdev.share })),
    backends.map((backend) => ({
      id: backend.id,
      size: backend.memMiB * 1024 * 1024,
      policy: backend.hostNodes.length > 0 ? 'bind' : 'default',
      hostNodes: backend.hostNodes,
      prealloc: spec.memory.prealloc,
      share: spec.memory.share,
    })),
    'memory backends',
  );
  const pageKiB = { ram: 0, 'hugepages-2M': 2048, 'hugepages-1G': 1048576 }[plan.memory.backing];
  const maps = smaps(vm.pid);
  for (const backend of backends) {
    const type = await qomGet(vm, `/objects/${backend.id}`, 'type');
    assert.equal(type, pageKiB > 0 || spec.memory.share ? 'memory-backend-memfd' : 'memory-backend-ram', `${backend.id} type`);
    if (pageKiB === 0) continue;
    assert.equal(await qomGet(vm, `/objects/${backend.id}`, 'hugetlb'), true);
    assert.equal(await qomGet(vm, `/objects/${backend.id}`, 'hugetlbsize'), pageKiB * 1024);
  }
  if (pageKiB > 0) {
    // The guest RAM really is on huge pages, and with prealloc every page is already there.
    const ram = maps.filter((map) => map.name.startsWith('/memfd:') && map.pageKiB === pageKiB);
    assert.equal(ram.reduce((sum, map) => sum + map.sizeKiB, 0), plan.memory.sizeMiB * 1024, 'guest RAM mapped on huge pages');
    if (spec.memory.prealloc) assert.equal(ram.reduce((sum, map) => sum + map.hugetlbKiB, 0), plan.memory.sizeMiB * 1024, 'preallocated');
  }
  const locked = Number(/^VmLck:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${vm.pid}/status`, 'utf8'))![1]);
  // The kernel keeps hugetlb mappings out of mlock (VM_LOCKED is cleared on them; they are never
  // swapped anyway), so guest RAM counts in VmLck only when it is ordinary memory; on huge pages
  // the lock shows in everything else QEMU maps.
  const lockedAtLeastKiB = pageKiB > 0 ? 1 : plan.memory.sizeMiB * 1024;
  if (spec.memory.lock) assert.ok(locked >= lockedAtLeastKiB, `mem-lock: ${locked} kB locked, expected at least ${lockedAtLeastKiB}`);
  else assert.equal(locked, 0, 'nothing locked');

  // iothreads: the planned ones, each a named thread, each serving the planned disks.
  const iothreads = await vm.qmp.execute<Array<{ id: string; 'thread-id': number }>>('query-iothreads');
  assert.deepEqual(iothreads.map((io) => io.id).sort(), plan.iothreads.map((io) => io.id).sort(), 'iothreads');
  for (const io of iothreads) assert.equal(names.get(io['thread-id']), `IO ${io.id}`);
  const iothreadOfDisk = diskIothreads(plan);
  const nodes = await vm.qmp.execute<BlockNode[]>('query-named-block-nodes', { flat: true });
  for (const [index, disk] of spec.disks.entries()) {
    const direct = disk.cache === 'none' || disk.cache === 'directsync';
    const format = nodes.find((node) => node['node-name'] === `disk${index}`);
    const file = nodes.find((node) => node['node-name'] === `disk${index}-file`);
    assert.ok(format && file, `block nodes of disk ${index}`);
    assert.deepEqual(
      { drv: format.drv, ro: format.ro, direct: format.cache.direct, noFlush: format.cache['no-flush'], fileDrv: file.drv, path: file.file, fileDirect: file.cache.direct },
      { drv: disk.format, ro: disk.readonly, direct, noFlush: disk.cache === 'unsafe', fileDrv: 'file', path: disk.path, fileDirect: direct },
      `disk ${index} (${disk.cache})`,
    );
    const device = `/machine/peripheral/virtio-disk${index}`;
    const iothread = iothreadOfDisk[index];
    assert.equal(await qomGet(vm, device, 'iothread'), iothread ? `/objects/${iothread}` : '', `disk ${index} iothread`);
    const writeCache = disk.cache === 'writethrough' || disk.cache === 'directsync' ? 'off' : 'on';
    assert.equal(await qomGet(vm, device, 'write-cache'), writeCache);
  }

  // Network: the mode, the tap and one backend queue per planned queue.
  const network = await vm.qmp.execute<string>('human-monitor-command', { 'command-line': 'info network' });
  if (spec.network.mode === 'none') {
    assert.doesNotMatch(network, /net0/);
  } else if (spec.network.mode === 'user') {
    assert.match(network, /net0: index=0,type=user/);
  } else {
    const queues = network.split('\n').filter((line) => line.includes(`type=tap,ifname=${spec.network.ifname},`));
    assert.equal(queues.length, spec.network.queues, `tap queues:\n${network}`);
    if (spec.network.queues > 1) assert.equal(await qomGet(vm, '/machine/peripheral/virtio-net0', 'vectors'), 2 * spec.network.queues + 2);
  }
}

describe('every preset, planned on this host, built by real QEMU as planned', { concurrency: true }, () => {
  for (const preset of presets) {
    it(preset.name, async (t) => {
      const testCase = cases.get(preset.name)!;
      for (const note of testCase.notes) t.diagnostic(note);
      const { plan, refused } = testCase;
      assert.deepEqual(plan.errors, [], 'the preset plans on this host');
      assert.ok(!plan.warnings.some((warning) => warning.code === 'hugepages-missing'), 'the reserved pages are seen');
      if (refused) {
        // The planner's warning is QEMU's truth: with enforce it does not start that model here.
        const refusedDir = fs.mkdtempSync(path.join(scratch, `${preset.name.slice(0, 8)}-refused-`));
        await assert.rejects(startQemu(buildQemuArgs(refused, { runDir: refusedDir, target }), runDirPaths(refusedDir).qmpSocket), /exited \(code 1\)[\s\S]*(doesn't support requested feature|not supported)/);
      }
      const runDir = fs.mkdtempSync(path.join(scratch, `${preset.name.slice(0, 8)}-`));
      const argv = buildQemuArgs(plan, { runDir, target });
      const paths = runDirPaths(runDir);
      if (needsGuestState(plan)) prepareStateDir(plan, runDir, process.getuid?.() ?? 0);
      if (plan.spec.guest.tpm) await startSwtpm(runDir, runDir, { spawnDetached: spawnDetachedReal, signal: signalReal, clock: realClock, procFs: new HostFs('/', { record: false }), env: process.env });
      const vm = await startQemu(argv, paths.qmpSocket);
      try {
        await assertBuiltAsPlanned(vm, plan);
        const tpm = await vm.qmp.execute<Array<{ model: string }>>('query-tpm');
        assert.deepEqual(tpm.map((entry) => entry.model), plan.spec.guest.tpm ? ['tpm-crb'] : [], 'the TPM');
        const firmware = firmwareFacts(plan.spec);
        const flash = (await vm.qmp.execute<Array<{ 'node-name': string; file: string }>>('query-named-block-nodes', { flat: true })).find((node) => node['node-name'] === 'fw-code');
        assert.equal(flash?.file ?? null, firmware?.code ?? null, 'the UEFI firmware (none for BIOS)');
        assert.doesNotMatch(vm.stderr(), /warning/i, 'QEMU starts the preset without a warning');
        assert.equal(fs.readFileSync(paths.pidFile, 'utf8').trim(), String(vm.pid), 'pid file at the exact path');
        assert.ok(fs.existsSync(paths.serialLog), 'serial log at the exact path');
      } catch (error) {
        if (vm.stderr()) t.diagnostic(`QEMU stderr: ${vm.stderr()}`);
        throw error;
      } finally {
        await stopQemu(vm);
      }
    });
  }
});
