/**
 * Spec files: the good ones in test/fixtures/specs/good parse to the values written (defaults
 * filling the rest), every bad one in test/fixtures/specs/bad fails with its exact one-line,
 * field-naming message, and no bad file goes untested.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/errors.js';
import { formatSizeMiB, parseSizeMiB } from '../../src/spec/size.js';
import { checkVmName, parseVmSpec, SpecError } from '../../src/spec/vm-spec.js';

const SPECS = fileURLToPath(new URL('../fixtures/specs/', import.meta.url));
const load = (file: string) => JSON.parse(fs.readFileSync(path.join(SPECS, file), 'utf8'));

describe('good spec files', () => {
  test('an empty spec gets every default', () => {
    assert.deepEqual(parseVmSpec(load('good/minimal.json'), 'minimal.json'), {
      name: 'vm',
      accel: 'kvm',
      machine: 'q35',
      cpu: { model: 'host', features: [], cachePassthrough: false, pmu: null },
      vcpus: { count: 2, sockets: 1, dies: 1, cores: 2, threads: 1, autoTopology: true },
      memory: { sizeMiB: 2048, backing: 'ram', prealloc: false, lock: false, share: false },
      numa: [],
      disks: [],
      network: { mode: 'user', ifname: null, vhost: false, queues: 1, mac: null },
      pinning: { strategy: 'compact', map: null, housekeepingPerSocket: 1, preferIsolated: true, requireDedicated: true, hostNode: null, siblings: 'share' },
      emulator: { placement: 'housekeeping', cpus: null },
      iothreads: { count: 0, placement: 'housekeeping' },
      extraArgs: [],
      vcpuScheduler: null,
      guest: { os: 'linux', firmware: 'bios', secureBoot: false, tpm: false, hyperv: false, clock: 'utc' },
    });
  });

  test("the guide's high-performance config written out in full", () => {
    const spec = parseVmSpec(load('good/guide-high-performance.json'), 'guide.json');
    assert.deepEqual(spec.vcpus, { count: 8, sockets: 1, dies: 1, cores: 8, threads: 1, autoTopology: false });
    assert.deepEqual(spec.memory, { sizeMiB: 16384, backing: 'hugepages-2M', prealloc: true, lock: false, share: true });
    assert.deepEqual(spec.numa, [{ vcpus: [0, 1, 2, 3, 4, 5, 6, 7], memMiB: 16384, hostNode: 0 }]);
    assert.deepEqual(spec.disks, [{ path: 'ubuntu.qcow2', format: 'qcow2', cache: 'none', aio: 'native', iothread: true, readonly: false }]);
    assert.deepEqual(spec.network, { mode: 'tap', ifname: 'tap0', vhost: true, queues: 4, mac: null });
    assert.deepEqual(spec.iothreads, { count: 1, placement: 'housekeeping' });
    // The guide daemonizes QEMU; kvm-tui launches it detached itself and refuses -daemonize.
    assert.deepEqual(spec.extraArgs, ['-rtc', 'base=utc']);
  });

  test('a hostile but legal name survives untouched', () => {
    const spec = parseVmSpec(load('good/hostile-name.json'), 'hostile-name.json');
    assert.equal(spec.name, '$(rm -rf ~); `id` "q" \'x\' <&> \\ ünï 空白 %s ,opt=1');
    assert.equal(spec.memory.sizeMiB, 512);
  });

  test('shorthands expand; disk defaults and the even NUMA split apply', () => {
    const spec = parseVmSpec(load('good/shorthands.json'), 'shorthands.json');
    assert.equal(spec.cpu.model, 'EPYC');
    assert.equal(spec.vcpus.count, 4);
    assert.equal(spec.memory.sizeMiB, 4096);
    assert.deepEqual(spec.network, { mode: 'tap', ifname: 'vmtap-1', vhost: true, queues: 1, mac: null });
    assert.deepEqual(spec.disks, [
      { path: '/srv/vm/root disk.qcow2', format: 'qcow2', cache: 'none', aio: 'io_uring', iothread: true, readonly: false },
      { path: '/srv/vm/data.img', format: 'raw', cache: 'none', aio: 'io_uring', iothread: true, readonly: true },
    ]);
    assert.equal(spec.iothreads.count, 2);
    assert.deepEqual(spec.numa, [
      { vcpus: [0, 1], memMiB: 2048, hostNode: null },
      { vcpus: [2, 3], memMiB: 2048, hostNode: null },
    ]);
  });

  test('a manual map with a partial topology', () => {
    const spec = parseVmSpec(load('good/manual-map.json'), 'manual-map.json');
    assert.deepEqual(spec.pinning.map, [2, 18, 3, 19]);
    assert.deepEqual([spec.vcpus.sockets, spec.vcpus.cores, spec.vcpus.threads], [1, 2, 2]);
    assert.deepEqual(spec.emulator.cpus, [0, 16]);
  });

  test('uneven NUMA splits stay whole pages; queues "auto" follows the vCPU count', () => {
    const spec = parseVmSpec({ vcpus: 5, memory: { size: '3G', backing: 'hugepages-1G' }, numa: { nodes: 2 }, network: { mode: 'tap', ifname: 't0', queues: 'auto' } }, 'x');
    assert.deepEqual(spec.numa.map((node) => [node.vcpus, node.memMiB]), [[[0, 1, 2], 2048], [[3, 4], 1024]]);
    assert.equal(spec.network.queues, 5);
    assert.equal(parseVmSpec({ vcpus: 32, network: { mode: 'tap', ifname: 't0', queues: 'auto' } }, 'x').network.queues, 8);
  });
});

/** Every bad fixture and the exact message it must produce. */
const BAD: Record<string, string> = {
  'bad-aio.json': 'bad-aio.json: disks[0].aio: must be one of native, io_uring, threads',
  'bad-memory.json': 'bad-memory.json: memory.size: must be a size like "4G", "4096M" or a whole number of MiB',
  'bad-strategy.json': 'bad-strategy.json: pinning.strategy: must be one of compact, spread, none',
  'cpu-model-injection.json': 'cpu-model-injection.json: cpu.model: must be "host" or a QEMU CPU model name like Skylake-Server, EPYC, max',
  'host-cpu-tcg.json': 'host-cpu-tcg.json: cpu.model: host passthrough needs accel kvm; with tcg use "max" or a named model',
  'extra-args-daemonize.json': 'extra-args-daemonize.json: extraArgs[2]: --daemonize replaces an option kvm-tui sets itself (the VM\'s name, pid file, QMP sockets, paused start, serial log, process identity): launch, status and stop would lose the VM; leave it out',
  'hugepages-1g-unaligned.json': 'hugepages-1g-unaligned.json: memory.size: 1536 MiB is not a whole number of 1G pages',
  'map-length.json': 'map-length.json: pinning.map: has 3 entries for 4 vCPUs (one host CPU per vCPU)',
  'name-empty.json': 'name-empty.json: name: must be 1-64 characters, no "/" and no control characters (newline, tab...); got 0 characters',
  'name-long.json': 'name-long.json: name: must be 1-64 characters, no "/" and no control characters (newline, tab...); got 65 characters',
  'name-newline.json': 'name-newline.json: name: must not contain control characters such as newline or tab (1-64 characters, no "/" and no control characters (newline, tab...))',
  'name-slash.json': 'name-slash.json: name: must not contain "/" (1-64 characters, no "/" and no control characters (newline, tab...))',
  'native-writeback.json': 'native-writeback.json: disks[0].aio: native needs cache none or directsync (O_DIRECT); this disk has cache writeback',
  'not-an-object.json': 'not-an-object.json: must be a JSON object',
  'numa-memory-sum.json': 'numa-memory-sum.json: numa: guest node memory adds up to 6 GiB but memory.size is 8 GiB',
  'queues-user-net.json': 'queues-user-net.json: network.queues: multiqueue needs mode tap (mode is user)',
  'tap-no-ifname.json': 'tap-no-ifname.json: network.ifname: tap needs an interface name (tap:IFNAME)',
  'topology-mismatch.json': 'topology-mismatch.json: vcpus: sockets*dies*cores*threads = 3*1*2*1 = 6, but count is 8',
  'unknown-field.json': 'unknown-field.json: memory.hugepage: unknown field',
  'vcpus-string.json': 'vcpus-string.json: vcpus: must be a number of vCPUs or an object like {"count": 8, "threads": 2}',
};

describe('bad spec files', () => {
  test('every file in bad/ has an expected message here', () => {
    assert.deepEqual(fs.readdirSync(path.join(SPECS, 'bad')).sort(), Object.keys(BAD).sort());
  });
  for (const [file, message] of Object.entries(BAD)) {
    test(file, () => {
      assert.throws(() => parseVmSpec(load(`bad/${file}`), file), (error: unknown) => {
        assert.ok(error instanceof SpecError);
        assert.ok(error instanceof UsageError, 'a spec error is a usage error (exit 2)');
        assert.equal(error.message, message);
        assert.ok(!error.message.includes('\n'));
        return true;
      });
    });
  }

  test('more field errors: numbers, vCPU lists, MAC, interface names, features', () => {
    const message = (input: object) => {
      try {
        parseVmSpec(input, 's');
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    assert.equal(message({ vcpus: 0 }), 's: vcpus.count: must be at least 1');
    assert.equal(message({ vcpus: 2.5 }), 's: vcpus.count: must be a whole number');
    assert.equal(message({ vcpus: 4, numa: [{ vcpus: [0, 1, 9], memory: '1G' }, { vcpus: [2, 3], memory: '1G' }], memory: '2G' }), 's: numa[0].vcpus: vCPU 9 does not exist (the VM has 4: 0-3)');
    assert.equal(message({ vcpus: 4, numa: [{ vcpus: '0-2', memory: '1G' }, { vcpus: '2-3', memory: '1G' }], memory: '2G' }), 's: numa[1].vcpus: vCPU 2 is already in numa[0]');
    assert.equal(message({ network: { mode: 'tap', ifname: 'tap0', mac: '01:00:5e:00:00:01' } }), 's: network.mac: must be a unicast address (first octet even)');
    assert.equal(message({ network: { mode: 'tap', ifname: 'a/b' } }), 's: network.ifname: must not contain "/", ":", spaces or control characters');
    // The kernel's rule, in bytes: "." and ".." are not names; 8 two-byte letters are 16 bytes.
    assert.equal(message({ network: { mode: 'tap', ifname: '.' } }), 's: network.ifname: cannot be "."');
    assert.equal(message({ network: { mode: 'tap', ifname: '..' } }), 's: network.ifname: cannot be ".."');
    assert.equal(message({ network: { mode: 'tap', ifname: 'éééééééé' } }), "s: network.ifname: must be 1-15 bytes (the kernel's IFNAMSIZ); got 16");
    assert.equal(message({ network: { mode: 'tap', ifname: 'tap-ééé' } }), 'no error', '10 bytes is fine');
    assert.match(message({ name: 'vm\uFFFE' }), /^s: name: must not contain characters XML cannot hold/);
    assert.equal(message({ network: 'bridge' }), 's: network: must be "user", "none", "tap:IFNAME" or an object');
    assert.equal(message({ cpu: { features: ['avx2'] } }), 's: cpu.features[0]: must look like +name or -name; got "avx2"');
    assert.equal(message({ cpu: { model: 'EPYC', cachePassthrough: true } }), 's: cpu.cachePassthrough: needs cpu.model "host" (host cache info is only passed through with host passthrough)');
    assert.equal(message({ disks: [{ path: 'a', iothread: true }, { path: 'b', iothread: true }], iothreads: { count: 1 } }), 's: iothreads.count: 2 disks ask for an iothread of their own but count is 1');
    assert.equal(message({ disks: [42] }), 's: disks[0]: must be a path or an object with a path');
    assert.equal(message({ pinning: { hostNode: 'zero' } }), 's: pinning.hostNode: must be a host node id or null');
  });
});

describe('names and sizes', () => {
  test('the name rule', () => {
    assert.equal(checkVmName('a'), null);
    assert.equal(checkVmName('ü'.repeat(64)), null, 'counted in characters, not bytes');
    assert.equal(checkVmName('tab\there')?.startsWith('must not contain control characters'), true);
    assert.equal(checkVmName('nul\u0000')?.startsWith('must not contain control characters'), true);
    assert.equal(checkVmName('del\u007f')?.startsWith('must not contain control characters'), true);
  });

  test('sizes in binary units, whole MiB only', () => {
    assert.equal(parseSizeMiB('16G'), 16384);
    assert.equal(parseSizeMiB('4096M'), 4096);
    assert.equal(parseSizeMiB('1.5G'), 1536);
    assert.equal(parseSizeMiB('512MiB'), 512);
    assert.equal(parseSizeMiB('2gb'), 2048);
    assert.equal(parseSizeMiB('1T'), 1048576);
    assert.equal(parseSizeMiB('2048K'), 2);
    assert.equal(parseSizeMiB(256), 256);
    for (const bad of ['1000K', '0', '-1G', 'G', '4 GB extra', 1.5, 0, null, '']) assert.equal(parseSizeMiB(bad), null, String(bad));
    assert.equal(formatSizeMiB(16384), '16 GiB');
    assert.equal(formatSizeMiB(1536), '1536 MiB');
  });
});

test('accel auto (and no accel) follows /dev/kvm: tcg where the host has none, with host becoming max; an explicit kvm stays kvm', () => {
  const notes: string[] = [];
  const tcg = parseVmSpec({ accel: 'auto', cpu: { model: 'host', cachePassthrough: true } }, 'x', { kvmUsable: false, notes });
  assert.deepEqual([tcg.accel, tcg.cpu.model, tcg.cpu.cachePassthrough], ['tcg', 'max', false]);
  assert.equal(notes.length, 2);
  assert.match(notes[0]!, /^accel auto: this host has no \/dev\/kvm, so the VM runs under TCG/);
  assert.equal(parseVmSpec({}, 'x', { kvmUsable: false }).accel, 'tcg', 'no accel is auto');
  assert.equal(parseVmSpec({ accel: 'auto' }, 'x', { kvmUsable: true }).accel, 'kvm');
  assert.equal(parseVmSpec({ accel: 'auto' }, 'x').accel, 'kvm', 'unknown host: as on a KVM host');
  const kept: string[] = [];
  assert.equal(parseVmSpec({ accel: 'kvm', cpu: 'host' }, 'x', { kvmUsable: false, notes: kept }).accel, 'kvm', 'asked for kvm: the plan warns instead');
  assert.deepEqual(kept, []);
  assert.throws(() => parseVmSpec({ accel: 'tcg', cpu: 'host' }, 'x'), /host passthrough needs accel kvm/);
});

test('network vhost auto (and a tap without vhost) uses vhost-net only where the host has /dev/vhost-net', () => {
  const notes: string[] = [];
  const tap = { mode: 'tap', ifname: 'tap0' };
  assert.equal(parseVmSpec({ network: { ...tap, vhost: 'auto' } }, 'x', { vhostUsable: false, notes }).network.vhost, false);
  assert.match(notes[0]!, /^network vhost auto: this host has no \/dev\/vhost-net/);
  assert.equal(parseVmSpec({ network: tap }, 'x', { vhostUsable: false }).network.vhost, false);
  assert.equal(parseVmSpec({ network: tap }, 'x', { vhostUsable: true }).network.vhost, true);
  assert.equal(parseVmSpec({ network: { ...tap, vhost: true } }, 'x', { vhostUsable: false }).network.vhost, true, 'asked for: the plan warns');
  assert.equal(parseVmSpec({ network: 'user' }, 'x').network.vhost, false);
  assert.throws(() => parseVmSpec({ network: { mode: 'user', vhost: true } }, 'x'), /vhost-net needs mode tap/);
  assert.throws(() => parseVmSpec({ network: { ...tap, vhost: 'yes' } }, 'x'), /network\.vhost: must be true, false or "auto"/);
});

test('extraArgs may not set what the plan decides: -smp, -m, -cpu, -machine/-M, -accel, -enable-kvm, -numa, -mem-path', () => {
  for (const extra of [['-smp', '8'], ['--m', '8G'], ['-cpu', 'host'], ['-M', 'pc'], ['-machine', 'q35'], ['-accel', 'kvm'], ['-enable-kvm'], ['-numa', 'node'], ['-mem-path', '/dev/hugepages'], ['-m=8G']]) {
    assert.throws(
      () => parseVmSpec({ accel: 'tcg', cpu: 'qemu64', extraArgs: ['-rtc', 'base=utc', ...extra] }, 'vm.json'),
      (error: Error) => /^vm\.json: extraArgs\[2\]: .* sets what the plan decides .*; set it in the spec \(vcpus, memory, cpu, machine, accel, numa\) instead$/.test(error.message),
      extra.join(' '),
    );
  }
  // Options the plan does not decide pass (a passed-through GPU, SMBIOS strings).
  assert.deepEqual(parseVmSpec({ accel: 'tcg', cpu: 'qemu64', extraArgs: ['-device', 'vfio-pci,host=01:00.0', '-smbios', 'type=1,product=x'] }, 'vm.json').extraArgs, ['-device', 'vfio-pci,host=01:00.0', '-smbios', 'type=1,product=x']);
});

test('a VM name virsh would read as a domain id or UUID is refused', () => {
  for (const name of ['7', '0042', '6f1c2b7e-3a4d-4c5e-8f9a-0b1c2d3e4f5a', '6F1C2B7E3A4D4C5E8F9A0B1C2D3E4F5A']) {
    assert.match(checkVmName(name) ?? '', /must not be all digits or a UUID: virsh would read it as another domain's id or UUID/, name);
  }
  for (const name of ['vm7', '7vm', 'web-01', '6f1c2b7e-3a4d-4c5e-8f9a-0b1c2d3e4f5']) assert.equal(checkVmName(name), null, name);
});
