/**
 * Output by target version: the QEMU and libvirt an output is for decide what it may use.
 * - Spreading one disk's virtqueues over several iothreads (virtio-blk iothread-vq-mapping, QEMU
 *   >= 9.0; `<driver><iothreads>`, libvirt >= 10.0); before them a disk has one iothread and
 *   the spare ones idle, which `generate` says.
 * - Goldens per version: one VM (high-performance, two disks, four iothreads) on a captured
 *   two-socket host, written for an unknown target, QEMU 7.2 / libvirt 9.0 (Debian 12) and
 *   QEMU 9.0 / libvirt 10.0. UPDATE_GOLDEN=1 rewrites them; review the diff.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { specRequestFromArgs } from '../../src/cli-args.js';
import { idleIothreadNote } from '../../src/commands/generate.js';
import { buildDomainXml } from '../../src/generate/libvirt-xml.js';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import { diskIothreadSets, idleIothreads, libvirtAtLeast, UNKNOWN_TARGET, type OutputTarget } from '../../src/generate/vm-facts.js';
import { readCpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology } from '../../src/host/topology.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { formatArgLines } from '../../src/shared/shell-quote.js';
import { vmRunDir, vmStateDir } from '../../src/shared/vm-paths.js';
import { resolveSpec } from '../../src/spec/resolve.js';
import type { Plan } from '../../src/spec/types.js';
import { fixtureRoot } from '../helpers/fixture-root.js';
import { expectGolden } from '../helpers/golden.js';
import { qemuPlan, qemuSpec } from '../helpers/qemu-plans.js';

const GOLDEN_DIR = fileURLToPath(new URL('./golden/versions/', import.meta.url));
const NEW: OutputTarget = { qemu: { major: 9, minor: 0 }, libvirt: { major: 10, minor: 0 } };
const DEBIAN12: OutputTarget = { qemu: { major: 7, minor: 2 }, libvirt: { major: 9, minor: 0 } };
const RUN = '/run/kvm-tui/vms/x';

function planWith(disks: number, iothreads: number, vcpus = 4): Plan {
  const spec = qemuSpec({
    accel: 'tcg',
    cpu: { model: 'qemu64' },
    vcpus: { count: vcpus, sockets: 1, dies: 1, cores: vcpus, threads: 1 },
    disks: Array.from({ length: disks }, (_, index) => ({ path: `/images/d${index}.raw`, format: 'raw', cache: 'none', aio: 'threads', iothread: true, readonly: false })),
    iothreads: { count: iothreads },
    network: { mode: 'none' },
  });
  return qemuPlan(spec, { hostCpus: Array.from({ length: vcpus }, (_, index) => index + 2), emulator: [0], iothreadCpus: Array.from({ length: iothreads }, () => [1]) });
}

const deviceOf = (argv: string[], index: number) => argv.find((arg, at) => argv[at - 1] === '-device' && arg.includes(`virtio-disk${index}`))!;

describe('diskIothreadSets', () => {
  it('gives each disk one iothread without spreading, round robin', () => {
    assert.deepEqual(diskIothreadSets(planWith(2, 4), false), [[0], [1]]);
    assert.deepEqual(idleIothreads(planWith(2, 4), false), ['io2', 'io3']);
  });

  it('deals the spare iothreads over the disks in order when spreading', () => {
    assert.deepEqual(diskIothreadSets(planWith(2, 5), true), [[0, 2, 4], [1, 3]]);
    assert.deepEqual(idleIothreads(planWith(2, 5), true), []);
  });

  it('gives a disk no more iothreads than it has queues (one per vCPU)', () => {
    assert.deepEqual(diskIothreadSets(planWith(1, 4, 2), true), [[0, 1]]);
    assert.deepEqual(idleIothreads(planWith(1, 4, 2), true), ['io2', 'io3']);
  });

  it('is the one-per-disk assignment when there are no spare iothreads', () => {
    assert.deepEqual(diskIothreadSets(planWith(3, 2), true), [[0], [1], [0]]);
  });
});

describe('iothread-vq-mapping by target', () => {
  it('QEMU >= 9.0: the disk is a JSON -device with every iothread it has', () => {
    const device = deviceOf(buildQemuArgs(planWith(1, 3), { runDir: RUN, target: NEW }), 0);
    assert.deepEqual(JSON.parse(device), {
      driver: 'virtio-blk-pci',
      id: 'virtio-disk0',
      drive: 'disk0',
      'iothread-vq-mapping': [{ iothread: 'io0' }, { iothread: 'io1' }, { iothread: 'io2' }],
      'write-cache': 'on',
    });
  });

  it('QEMU 7.2 or unknown: one iothread per disk, the classic property', () => {
    for (const target of [DEBIAN12, UNKNOWN_TARGET]) {
      assert.equal(deviceOf(buildQemuArgs(planWith(1, 3), { runDir: RUN, target }), 0), 'virtio-blk-pci,id=virtio-disk0,drive=disk0,iothread=io0,write-cache=on');
    }
  });

  it('one iothread per disk stays the classic property on QEMU 9.0 too', () => {
    assert.equal(deviceOf(buildQemuArgs(planWith(2, 2), { runDir: RUN, target: NEW }), 1), 'virtio-blk-pci,id=virtio-disk1,drive=disk1,iothread=io1,write-cache=on');
  });

  it('libvirt >= 10.0: <driver><iothreads> lists them (no iothread attribute); 9.0: the attribute', () => {
    const spread = buildDomainXml(planWith(1, 3), { target: NEW });
    assert.match(spread, /<driver name="qemu" type="raw" cache="none" io="threads">\s*<iothreads>\s*<iothread id="1"\/>\s*<iothread id="2"\/>\s*<iothread id="3"\/>\s*<\/iothreads>\s*<\/driver>/);
    // libvirt 10.0 over QEMU 8.2 (Ubuntu 24.04): libvirt would refuse the list, so the attribute.
    assert.match(buildDomainXml(planWith(1, 3), { target: { qemu: { major: 8, minor: 2 }, libvirt: { major: 10, minor: 0 } } }), /<driver name="qemu" type="raw" cache="none" io="threads" iothread="1"\/>/);
    const classic = buildDomainXml(planWith(1, 3), { target: DEBIAN12 });
    assert.match(classic, /<driver name="qemu" type="raw" cache="none" io="threads" iothread="1"\/>/);
    assert.doesNotMatch(classic, /<iothreads>\s*<iothread/);
    assert.equal(libvirtAtLeast({ qemu: null }, 1, 0), false, 'a target without libvirt is unknown, never new enough');
  });

  it('generate names the idle iothreads and what spreading them needs', () => {
    assert.equal(
      idleIothreadNote(planWith(1, 3), 'qemu', DEBIAN12),
      'iothreads io1, io2 serve no disk: spreading a disk over several iothreads needs QEMU >= 9.0 (virtio-blk iothread-vq-mapping), the output is for QEMU 7.2',
    );
    assert.match(idleIothreadNote(planWith(1, 3), 'xml', UNKNOWN_TARGET)!, /needs libvirt >= 10\.0 \(<driver><iothreads>, with QEMU >= 9\.0\), the output is for an unknown libvirt \(--libvirt-version X\.Y\)$/);
    assert.equal(idleIothreadNote(planWith(1, 3), 'qemu', NEW), null);
    assert.equal(idleIothreadNote(planWith(1, 4, 2), 'xml', NEW), 'iothreads io2, io3 serve no disk: more iothreads than the disks have queues (one per vCPU)');
    assert.equal(idleIothreadNote(planWith(2, 2), 'qemu', DEBIAN12), null);
    assert.match(idleIothreadNote(planWith(1, 3), 'xml', { qemu: { major: 8, minor: 2 }, libvirt: { major: 10, minor: 0 } })!, /needs libvirt's QEMU >= 9\.0 too \(<driver><iothreads>\), the output is for QEMU 8\.2$/);
  });
});

describe('goldens per target version', () => {
  const host = 'hwloc-32intel64-2p8co2t+8ve';
  const targets: Array<[string, OutputTarget]> = [['unknown', UNKNOWN_TARGET], ['qemu7.2-libvirt9.0', DEBIAN12], ['qemu9.0-libvirt10.0', NEW]];
  for (const [label, target] of targets) {
    it(`high-performance, 2 disks, 4 iothreads, for ${label}`, () => {
      const hostFs = new HostFs(fixtureRoot(host));
      const request = specRequestFromArgs({ command: 'generate', positionals: [], values: { preset: 'high-performance', disk: ['/var/lib/kvm-tui/images/system.qcow2', '/var/lib/kvm-tui/images/data.raw'] } });
      const resolved = resolveSpec(request, { userDir: '/nonexistent/kvm-tui-presets' });
      // Four iothreads for the two disks (a spec file's iothreads.count; no flag sets it).
      const spec = { ...resolved, iothreads: { ...resolved.iothreads, count: 4 } };
      const plan = planVm({ topology: readTopology(hostFs), cpuInfo: readCpuInfo(hostFs), spec });
      assert.deepEqual(plan.errors, []);
      assert.equal(plan.iothreads.length, 4);
      const argv = buildQemuArgs(plan, { runDir: vmRunDir(plan.spec.name, { uid: 0 }), stateDir: vmStateDir(plan.spec.name, { uid: 0 }), target });
      expectGolden(path.join(GOLDEN_DIR, `${label}.args`), formatArgLines(argv).join('\n') + '\n');
      expectGolden(path.join(GOLDEN_DIR, `${label}.xml`), buildDomainXml(plan, { target }));
    });
  }
});
