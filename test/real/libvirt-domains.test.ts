/**
 * Real libvirt runs every builtin preset (its TCG variant) planned on THIS host, and what libvirt
 * and the kernel report equals the plan: `virsh vcpupin` / `emulatorpin` / `iothreadinfo`, the
 * Cpus_allowed_list of every QEMU thread in /proc (vCPU and iothread threads identified by the
 * thread ids QEMU itself reports through QMP, not by name), QMP query-memdev for the memory
 * binding, the hugepage pool for hugepage-backed presets, the hostile domain name read back, and
 * the QEMU command line libvirt built compared with kvm-tui's own argv for the same plan.
 *
 * The TCG variant is derived by overriding the spec before planning (what a user would do with
 * flags), never by changing the generator:
 * - --accel tcg (the resolver turns cpu "host" into "max": host-passthrough does not exist under
 *   TCG); a named model libvirt reports unusable under TCG (Skylake-Server) becomes qemu64;
 * - --memory 256M, --vcpus min(preset, online CPUs) so it fits this 2-CPU host, one small disk;
 * - 1G pages -> 2M (256 MiB is no whole number of 1G pages);
 * - tap presets get a real tap created here, with vhost off when /dev/vhost-net is missing;
 * - memory lock off when libvirtd cannot raise RLIMIT_MEMLOCK for QEMU (no CAP_SYS_RESOURCE and
 *   a finite hard limit, as in this container: libvirt then refuses to start the domain).
 * Every derivation is printed as a test diagnostic.
 *
 * Needs root and a running libvirtd (scripts/test-all.sh starts one); fails, never skips, when
 * they are missing. No hugetlbfs mount is needed: the XML backs huge pages with memfd. Every domain is destroyed and undefined
 * in after() hooks (and at process exit as a last resort), and the suite ends by checking that
 * no domain or QEMU process of this run survives.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { specRequestFromArgs, type ParsedArgs } from '../../src/cli-args.js';
import { buildDomainXml } from '../../src/generate/libvirt-xml.js';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import { readCpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology } from '../../src/host/topology.js';
import { planVm } from '../../src/plan/plan-vm.js';
import type { Virsh } from '../../src/run/virsh.js';
import { resolveSpec } from '../../src/spec/resolve.js';
import type { Plan, VmSpec } from '../../src/spec/types.js';
import { checkVmName } from '../../src/spec/vm-spec.js';
import { unexplainedOptions, vmFacts } from '../helpers/libvirt-argv.js';
import { parseQemuVersion, type OutputTarget } from '../../src/generate/vm-facts.js';
import { BUILTIN_ONLY, builtinPresetNames } from '../helpers/libvirt-cases.js';
import { decodeXmlText, rawElementTexts } from '../helpers/libvirt-dom.js';
import {
  connectTestLibvirt,
  processAlive,
  processArgv,
  processThreads,
  releaseHugepages2M,
  removeTestDomains,
  requireTool,
  reserveHugepages2M,
  RUN_ID,
  TEST_DOMAIN_PREFIX,
  threadGroupOf,
  trackDomain,
} from '../helpers/libvirt-real.js';

const hostFs = new HostFs('/');
const topology = readTopology(hostFs);
const cpuInfo = readCpuInfo(hostFs);
const RUN_PREFIX = `${TEST_DOMAIN_PREFIX}${RUN_ID}-`;

let virsh: Virsh;
let scratch = '';
let tcgUsableModels = new Set<string>();
const taps = new Set<string>();
/** The QEMU libvirt runs here: kvm-tui's argv is written for the same one. */
let qemuTarget: OutputTarget = { qemu: null };

before(async () => {
  if (process.getuid?.() !== 0) throw new Error('the libvirt domain tests need root (qemu:///system, taps, huge pages): run them through scripts/test-all.sh as root');
  requireTool('qemu-img', 'qemu-utils');
  requireTool('qemu-system-x86_64', 'qemu-system-x86');
  requireTool('ip', 'iproute2');
  qemuTarget = { qemu: parseQemuVersion(execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' })) };
  assert.ok(qemuTarget.qemu, 'qemu-system-x86_64 --version names a version');
  virsh = await connectTestLibvirt();
  // Which named CPU models libvirt can run under TCG here (its own answer, not a guess).
  const caps = await virsh.run(['domcapabilities', '--virttype', 'qemu', '--arch', 'x86_64']);
  tcgUsableModels = new Set([...caps.matchAll(/<model usable='yes'[^>]*>([^<]+)<\/model>/g)].map((match) => match[1]!));
  assert.ok(tcgUsableModels.has('qemu64'), `libvirt reports no usable qemu64 under TCG: ${[...tcgUsableModels].join(', ')}`);
  // Disk-backed (not tmpfs: cache=none needs O_DIRECT) and traversable by libvirt's QEMU user.
  scratch = fs.mkdtempSync('/var/tmp/kvm-tui-test-');
  fs.chmodSync(scratch, 0o755);
});

after(async () => {
  const problems = virsh ? await removeTestDomains(virsh) : [];
  for (const tap of taps) deleteTap(tap);
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  // libvirt keeps one QEMU log per domain name forever; this run's names are never reused.
  const logDir = '/var/log/libvirt/qemu';
  if (fs.existsSync(logDir)) {
    for (const file of fs.readdirSync(logDir)) if (file.startsWith(RUN_PREFIX)) fs.rmSync(path.join(logDir, file), { force: true });
  }
  assert.deepEqual(problems, [], 'every test domain destroyed and undefined');
  if (virsh) {
    const left = (await virsh.listAllNames()).filter((name) => name.startsWith(RUN_PREFIX));
    assert.deepEqual(left, [], 'no domain of this run is left defined');
  }
  const survivors = fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(RUN_PREFIX);
      } catch {
        return false;
      }
    });
  assert.deepEqual(survivors, [], 'no QEMU of this run survives');
});

function deleteTap(name: string): void {
  try {
    execFileSync('ip', ['link', 'del', 'dev', name], { stdio: 'ignore' });
  } catch {
    // already gone
  }
  taps.delete(name);
}

/** Whether libvirtd may raise QEMU's RLIMIT_MEMLOCK (what `<locked/>` needs). */
function libvirtdCanLockMemory(): boolean {
  let pid: string;
  try {
    pid = fs.readFileSync('/run/libvirtd.pid', 'utf8').trim();
  } catch {
    return true; // not the system daemon we know of: let libvirt try and report
  }
  const limits = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
  const hard = /^Max locked memory\s+\S+\s+(\S+)/m.exec(limits)?.[1];
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
  const CAP_SYS_RESOURCE = 24n;
  return hard === 'unlimited' || ((BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

interface Variant {
  name: string;
  spec: VmSpec;
  derivations: string[];
  tap: string | null;
}

/** The TCG variant of a preset for this host (see the file comment), before planning. */
function tcgVariant(preset: string): Variant {
  const derivations: string[] = [];
  // Hostile on purpose: quotes, $(), <&>, ;, a comma (QEMU's option separator) and unicode.
  // (No comma for a VM with a TPM: libvirt hands swtpm paths made from the name, and swtpm's
  // option syntax has no escape for ","; buildDomainXml refuses that, see libvirt-xml.ts.)
  const tpm = resolveSpec(specRequestFromArgs({ command: 'launch', positionals: [], values: { preset } }), BUILTIN_ONLY).guest.tpm;
  const name = tpm ? `${RUN_PREFIX}${preset} $(x)"'<&>;☃` : `${RUN_PREFIX}${preset} $(x)"'<&>;,☃`;
  assert.equal(checkVmName(name), null);
  const presetSpec = resolveSpec(specRequestFromArgs({ command: 'launch', positionals: [], values: { preset } }), BUILTIN_ONLY);
  const vcpus = Math.min(presetSpec.vcpus.count, topology.online.length);
  const ext = presetSpec.disks[0]?.format === 'raw' ? 'raw' : 'qcow2';
  const diskPath = path.join(scratch, `${preset}.${ext}`);
  const values: ParsedArgs['values'] = { preset, name, accel: 'tcg', memory: '256M', vcpus: String(vcpus), disk: [diskPath] };
  derivations.push(`--accel tcg --memory 256M --vcpus ${vcpus} --disk ${diskPath}`);
  // 256 MiB is not a whole number of 1G pages: 1G presets run on 2M pages here, whether or not
  // this host has a 1G pool (some of these machines have pdpe1gb, some do not).
  if (presetSpec.memory.backing === 'hugepages-1G') {
    values.hugepages = '2M';
    derivations.push('--hugepages 2M (256 MiB is not a whole number of 1G pages)');
  }
  let tap: string | null = null;
  if (presetSpec.network.mode === 'tap') {
    tap = `kt${RUN_ID}`.slice(0, 15);
    values.net = `tap:${tap}`;
    derivations.push(`--net tap:${tap} (created here)`);
  }
  const spec = resolveSpec(specRequestFromArgs({ command: 'launch', positionals: [], values }), BUILTIN_ONLY);
  if (spec.cpu.model !== 'max' && !tcgUsableModels.has(spec.cpu.model)) {
    derivations.push(`cpu model ${spec.cpu.model} -> qemu64 (libvirt: not usable under TCG here)`);
    spec.cpu = { ...spec.cpu, model: 'qemu64', features: [] };
  }
  if (spec.network.mode === 'tap' && spec.network.vhost && !fs.existsSync('/dev/vhost-net')) {
    derivations.push('vhost off (no /dev/vhost-net)');
    spec.network = { ...spec.network, vhost: false };
  }
  if (spec.vcpuScheduler && fs.existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us')) {
    // cgroup v1 with RT group scheduling: the cgroup libvirt makes for the domain gets no
    // real-time runtime (cpu.rt_runtime_us 0), so libvirt's sched_setscheduler fails (EPERM).
    derivations.push('vcpuScheduler off (cgroup v1 RT group scheduling: libvirt\'s machine cgroups get cpu.rt_runtime_us 0)');
    spec.vcpuScheduler = null;
  }
  if (spec.memory.lock && !libvirtdCanLockMemory()) {
    derivations.push('memory lock off (libvirtd cannot raise RLIMIT_MEMLOCK: no CAP_SYS_RESOURCE, finite hard limit)');
    spec.memory = { ...spec.memory, lock: false };
  }
  return { name, spec, derivations, tap };
}

interface Running {
  plan: Plan;
  uuid: string;
  pid: number;
  vcpuTids: Map<number, number>;
  iothreadTids: Map<number, number>;
}

for (const preset of builtinPresetNames()) {
  describe(`libvirt runs preset ${preset} (TCG variant) as planned`, () => {
    let variant: Variant | null = null;
    let vm: Running | null = null;
    let hugepagesReserved = 0;

    before(async (t) => {
      variant = tcgVariant(preset);
      // Hooks get a context with diagnostic() on newer Node versions only; stderr works everywhere.
      for (const line of variant.derivations) {
        if (typeof (t as Partial<TestContext> | undefined)?.diagnostic === 'function') (t as TestContext).diagnostic(`${preset}: ${line}`);
        else process.stderr.write(`# ${preset}: ${line}\n`);
      }
      const plan = planVm({ topology, cpuInfo, spec: variant.spec });
      assert.deepEqual(plan.errors, [], `the TCG variant of ${preset} must plan on this host`);
      const xml = buildDomainXml(plan);

      for (const disk of plan.spec.disks) execFileSync('qemu-img', ['create', '-q', '-f', disk.format, disk.path, '16M']);
      if (variant.tap) {
        execFileSync('ip', ['tuntap', 'add', 'dev', variant.tap, 'mode', 'tap', ...(plan.spec.network.queues > 1 ? ['multi_queue'] : [])]);
        taps.add(variant.tap);
      }
      if (plan.memory.backing === 'hugepages-2M') {
        const pages = plan.memory.sizeMiB / 2;
        hugepagesReserved = reserveHugepages2M(pages);
        assert.equal(hugepagesReserved, pages, `the kernel gave ${hugepagesReserved} of ${pages} 2M pages`);
      }

      trackDomain(variant.name);
      const uuid = await virsh.define(xml, variant.name);
      await virsh.start(uuid);

      const cpus = (await virsh.qmp(uuid, 'query-cpus-fast')) as Array<{ 'cpu-index': number; 'thread-id': number }>;
      const vcpuTids = new Map(cpus.map((cpu) => [cpu['cpu-index'], cpu['thread-id']]));
      const iothreads = (await virsh.qmp(uuid, 'query-iothreads')) as Array<{ id: string; 'thread-id': number }>;
      const iothreadTids = new Map(
        iothreads.map((iothread) => {
          const match = /^iothread(\d+)$/.exec(iothread.id);
          assert.ok(match, `unexpected iothread id ${iothread.id}`);
          return [Number(match[1]), iothread['thread-id']];
        }),
      );
      const pid = threadGroupOf(cpus[0]!['thread-id']);
      vm = { plan, uuid, pid, vcpuTids, iothreadTids };
    });

    after(async () => {
      try {
        await stopVariant();
      } finally {
        // Given back even when stopping failed: a leaked pool would starve every later test.
        releaseHugepages2M(hugepagesReserved);
        hugepagesReserved = 0;
      }
    });

    async function stopVariant(): Promise<void> {
      if (variant) {
        const pid = vm?.pid;
        // The UUID once known: unambiguous whatever the name looks like.
        const ref = vm?.uuid ?? variant.name;
        const state = await virsh.domainState(ref);
        if (state !== null && state !== 'shut off') await virsh.destroy(ref);
        if (state !== null) await virsh.undefine(ref);
        if (pid !== undefined) {
          // destroy waits for QEMU to be reaped; give the kernel a moment to drop the zombie entry.
          const deadline = Date.now() + 10_000;
          while (processAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
          assert.equal(processAlive(pid), false, `QEMU ${pid} of ${preset} survived destroy`);
        }
        if (variant.tap) deleteTap(variant.tap);
      }
    }

    it('is the QEMU libvirt started for this domain', () => {
      const argv = processArgv(vm!.pid);
      assert.match(path.basename(argv[0]!), /^qemu-system-x86_64$/);
      // libvirt escapes "," as ",," inside -name guest=...
      assert.ok(argv.includes(`guest=${variant!.name.replace(/,/g, ',,')},debug-threads=on`), argv.join(' '));
      const accel = argv.indexOf('-accel');
      assert.ok(accel > 0 && argv[accel + 1]!.split(',')[0] === 'tcg', `a TCG domain: ${argv.join(' ')}`);
    });

    it('every vCPU is pinned to one planned host CPU (so the test is not vacuous on a small host)', () => {
      // With one online CPU a pin would equal the default affinity and prove nothing.
      assert.ok(topology.online.length > 1, 'the libvirt pin tests need a host with at least 2 online CPUs');
      for (const vcpu of vm!.plan.vcpus) {
        assert.notEqual(vcpu.hostCpu, null, `vCPU ${vcpu.vcpu} has a pin`);
      }
      assert.equal(vm!.vcpuTids.size, vm!.plan.spec.vcpus.count, 'QEMU runs one thread per vCPU');
    });

    it('virsh vcpupin shows the planned pins', async () => {
      const pins = await virsh.vcpuPins(vm!.uuid);
      assert.deepEqual([...pins.entries()].sort((a, b) => a[0] - b[0]), vm!.plan.vcpus.map((vcpu) => [vcpu.vcpu, [vcpu.hostCpu]]));
    });

    it('virsh emulatorpin shows the planned emulator CPUs', async () => {
      assert.deepEqual(await virsh.emulatorPins(vm!.uuid), vm!.plan.emulator);
    });

    it('virsh iothreadinfo shows the planned iothread CPUs', async () => {
      const pins = await virsh.iothreadPins(vm!.uuid);
      assert.deepEqual([...pins.entries()].sort((a, b) => a[0] - b[0]), vm!.plan.iothreads.map((iothread, index) => [index + 1, iothread.hostCpus]));
      assert.equal(vm!.iothreadTids.size, vm!.plan.iothreads.length, 'QEMU runs the declared iothreads');
    });

    it('/proc Cpus_allowed_list of every QEMU thread matches the plan for its role', () => {
      const { plan, pid, vcpuTids, iothreadTids } = vm!;
      const threads = processThreads(pid);
      const byTid = new Map(threads.map((thread) => [thread.tid, thread]));
      for (const vcpu of plan.vcpus) {
        const thread = byTid.get(vcpuTids.get(vcpu.vcpu)!);
        assert.ok(thread, `vCPU ${vcpu.vcpu} thread is in /proc/${pid}/task`);
        assert.equal(thread.comm, `CPU ${vcpu.vcpu}/TCG`);
        assert.deepEqual(thread.cpusAllowed, [vcpu.hostCpu], `vCPU ${vcpu.vcpu} (tid ${thread.tid})`);
      }
      const iothreadSets = plan.iothreads.map((iothread) => iothread.hostCpus);
      plan.iothreads.forEach((iothread, index) => {
        const thread = byTid.get(iothreadTids.get(index + 1)!);
        assert.ok(thread, `iothread ${index + 1} thread is in /proc/${pid}/task`);
        assert.deepEqual(thread.cpusAllowed, iothread.hostCpus, `iothread ${index + 1} (tid ${thread.tid}, ${thread.comm})`);
      });
      const special = new Set([...vcpuTids.values(), ...iothreadTids.values()]);
      const main = byTid.get(pid)!;
      assert.deepEqual(main.cpusAllowed, plan.emulator, 'the main (emulator) thread');
      for (const thread of threads.filter((entry) => !special.has(entry.tid))) {
        // Thread-pool workers are created by whichever thread submits work: one spawned by an
        // iothread inherits (and must keep) that iothread's CPUs; every other thread is emulator.
        const allowed = [plan.emulator, ...(thread.comm === 'worker' ? iothreadSets : [])];
        assert.ok(
          allowed.some((set) => JSON.stringify(set) === JSON.stringify(thread.cpusAllowed)),
          `thread ${thread.tid} (${thread.comm}) runs on ${thread.cpusAllowed.join(',')}, expected emulator CPUs ${plan.emulator.join(',')}`,
        );
      }
    });

    it('QEMU memory backends are bound to the planned host nodes with the planned backing', async () => {
      const { plan, uuid } = vm!;
      const memdevs = (await virsh.qmp(uuid, 'query-memdev')) as Array<{ id?: string; size: number; policy: string; 'host-nodes': number[]; prealloc: boolean; share: boolean }>;
      const cells = plan.memory.guestNodes.length;
      assert.equal(memdevs.length, Math.max(1, cells), JSON.stringify(memdevs));
      assert.equal(memdevs.reduce((sum, memdev) => sum + memdev.size, 0), plan.memory.sizeMiB * 1024 * 1024);
      for (const memdev of memdevs) {
        // One backend per guest cell (ram-node<N>, bound by its memnode), else one for all RAM.
        const cell = /^ram-node(\d+)$/.exec(memdev.id ?? '');
        const hostNodes = cell ? plan.memory.guestNodes.find((node) => node.id === Number(cell[1]))?.hostNodes : plan.memory.hostNodes;
        assert.equal(memdev.policy, 'bind', JSON.stringify(memdev));
        assert.deepEqual(memdev['host-nodes'], hostNodes, JSON.stringify(memdev));
        assert.equal(memdev.share, plan.spec.memory.share, `share of ${memdev.id}`);
        if (plan.spec.memory.prealloc || plan.memory.backing !== 'ram') assert.equal(memdev.prealloc, true, `prealloc of ${memdev.id}`);
      }
      // The backend type is not in query-memdev: read it from the -object options libvirt gave QEMU.
      const backends = processArgv(vm!.pid)
        .filter((arg) => arg.startsWith('{') && arg.includes('"memory-backend-'))
        .map((arg) => JSON.parse(arg) as { 'qom-type': string; hugetlb?: boolean; hugetlbsize?: number });
      assert.equal(backends.length, memdevs.length);
      for (const backend of backends) {
        if (plan.memory.backing === 'hugepages-2M') {
          assert.deepEqual([backend['qom-type'], backend.hugetlb, backend.hugetlbsize], ['memory-backend-memfd', true, 2 * 1024 * 1024]);
        } else {
          assert.equal(backend['qom-type'], plan.spec.memory.share ? 'memory-backend-memfd' : 'memory-backend-ram');
        }
      }
    });

    if (resolveSpec(specRequestFromArgs({ command: 'launch', positionals: [], values: { preset } }), BUILTIN_ONLY).memory.backing !== 'ram') {
      it('QEMU holds the guest RAM in huge pages', () => {
        const { plan, pid } = vm!;
        assert.equal(plan.memory.backing, 'hugepages-2M');
        // Per process, not the global free count: other test files reserve and free pages too.
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        const hugetlbKiB = Number(/^HugetlbPages:\s*(\d+) kB$/m.exec(status)?.[1]);
        assert.equal(hugetlbKiB, plan.memory.sizeMiB * 1024, `HugetlbPages of QEMU ${pid}`);
      });
    }

    it('libvirt started QEMU with the VM the QEMU argv generator describes for the same plan', () => {
      // Two generators, one plan: topology, CPU model, memory backends (type, size, huge pages,
      // sharing, prealloc, binding), iothreads, disks (aio, cache) and network queues must agree.
      // Every property (test/helpers/libvirt-argv.ts vmFacts), as libvirt-parity.test.ts compares
      // them for every captured host; here on a started domain, with real host nodes and taps.
      const ours = buildQemuArgs(vm!.plan, { runDir: path.join(scratch, 'run'), target: qemuTarget });
      const libvirts = processArgv(vm!.pid);
      assert.deepEqual(unexplainedOptions(libvirts, vm!.plan.spec.extraArgs), []);
      assert.deepEqual(vmFacts(libvirts), vmFacts(ours));
    });

    it('libvirt reads back the same hostile name', async () => {
      const xml = await virsh.dumpXml(vm!.uuid);
      assert.deepEqual(rawElementTexts(xml, 'name').map(decodeXmlText), [variant!.name]);
      assert.ok((await virsh.listAllNames()).includes(variant!.name));
    });
  });
}

describe('why buildDomainXml refuses a vcpupin for a vCPU the domain lacks', () => {
  const name = `${RUN_PREFIX}dropped-pin`;
  after(async () => {
    if ((await virsh.domainState(name)) !== null) await virsh.undefine(name);
  });

  it('libvirt accepts such a pin and silently drops it; the generator refuses the plan', async () => {
    const spec = resolveSpec(specRequestFromArgs({ command: 'launch', positionals: [], values: { preset: 'tiny-test', name } }), BUILTIN_ONLY);
    const plan = planVm({ topology, cpuInfo, spec });
    assert.deepEqual(plan.errors, []);
    const xml = buildDomainXml(plan);
    // The same XML with one more pin, for vCPU 7 of a 2-vCPU guest (edited as text on purpose:
    // the generator cannot produce it).
    const extra = xml.replace('</cputune>', '  <vcpupin vcpu="7" cpuset="0"/>\n  </cputune>');
    assert.notEqual(extra, xml);
    trackDomain(name);
    const uuid = await virsh.define(extra, name);
    const stored = await virsh.dumpXml(uuid, { inactive: true });
    assert.deepEqual([...stored.matchAll(/<vcpupin vcpu='(\d+)'/g)].map((match) => Number(match[1])), plan.vcpus.map((vcpu) => vcpu.vcpu), 'libvirt kept only the real vCPUs');
    const broken = { ...plan, vcpus: [...plan.vcpus, { ...plan.vcpus[0]!, vcpu: 7 }] };
    assert.throws(() => buildDomainXml(broken), /vcpupin for vCPU 7, but the guest has vCPUs 0-1/);
  });
});

describe('CPU features in QEMU spelling and extra QEMU arguments reach QEMU through libvirt', () => {
  const name = `${RUN_PREFIX}features`;
  after(async () => {
    const state = await virsh.domainState(name);
    if (state !== null && state !== 'shut off') await virsh.destroy(name);
    if (state !== null) await virsh.undefine(name);
  });

  it('lahf-lm, pclmulqdq (required), perfctr-core (disabled) and an -smbios argument reach QEMU', async () => {
    const spec = resolveSpec(specRequestFromArgs({ command: 'launch', positionals: [], values: { preset: 'tiny-test', name } }), BUILTIN_ONLY);
    // Features TCG emulates, in the spellings QEMU documents; libvirt knows them by other names.
    spec.cpu = { ...spec.cpu, model: 'qemu64', features: ['+lahf-lm', '+pclmulqdq', '-perfctr-core'] };
    const extraArgs = ['-smbios', `type=1,product=kvm-tui "test" & <${RUN_ID}>`];
    spec.extraArgs = extraArgs;
    const plan = planVm({ topology, cpuInfo, spec });
    assert.deepEqual(plan.errors, []);
    trackDomain(name);
    const uuid = await virsh.define(buildDomainXml(plan), name);
    await virsh.start(uuid);
    const cpus = (await virsh.qmp(uuid, 'query-cpus-fast')) as Array<{ 'thread-id': number }>;
    const argv = processArgv(threadGroupOf(cpus[0]!['thread-id']));
    const cpuArg = argv[argv.indexOf('-cpu') + 1]!;
    assert.match(cpuArg, /^qemu64,/);
    for (const flag of ['pclmulqdq=on', 'lahf-lm=on', 'perfctr-core=off']) assert.ok(cpuArg.split(',').includes(flag), `${flag} in -cpu ${cpuArg}`);
    const at = argv.indexOf(extraArgs[0]!);
    assert.ok(at > 0, `-smbios in ${argv.join(' ')}`);
    assert.deepEqual(argv.slice(at, at + extraArgs.length), extraArgs);
  });
});

describe('a memory lock that cannot start here still reaches libvirt\'s command line', () => {
  it('low-latency (TCG variant, lock kept) -> -overcommit mem-lock=on', async () => {
    const spec = resolveSpec(specRequestFromArgs({ command: 'launch', positionals: [], values: { preset: 'low-latency', name: `${RUN_PREFIX}lock`, accel: 'tcg', memory: '256M', vcpus: '2', hugepages: '2M' } }), BUILTIN_ONLY);
    assert.equal(spec.memory.lock, true, 'the preset locks its memory');
    const plan = planVm({ topology, cpuInfo, spec });
    assert.deepEqual(plan.errors, []);
    // domxml-to-native builds the command line without starting QEMU (nor raising RLIMIT_MEMLOCK).
    const native = await virsh.domxmlToNative(buildDomainXml(plan));
    assert.match(native, /(^|\s)-overcommit mem-lock=on(\s|$)/);
  });
});
