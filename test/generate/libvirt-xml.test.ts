/**
 * buildDomainXml on hand-made plans: each libvirt element the plan implies, read back with an XML
 * parser; deterministic output; hostile names; and the plans it must refuse because libvirt would
 * silently drop or rewrite part of them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildDomainXml, checkPlanForXml, DomainXmlError, findPlanXmlProblems, libvirtFeatureName, virtioDiskName } from '../../src/generate/libvirt-xml.js';
import type { Plan } from '../../src/spec/types.js';
import { checkVmName } from '../../src/spec/vm-spec.js';
import { all, attrs, childElements, decodeXmlText, one, parseDomain, rawAttributeValues, rawElementTexts } from '../helpers/libvirt-dom.js';
import { handPlan, handSpec, HOSTILE_NAMES } from '../helpers/libvirt-plans.js';
import { vmMac, vmUuid } from '../../src/generate/vm-facts.js';

describe('buildDomainXml: elements from the plan', () => {
  const plan = handPlan(handSpec(), { hostCpus: [2, 3, 6, 7], emulator: [0, 1], iothreadCpus: [[1]] });
  const xml = buildDomainXml(plan);
  const domain = parseDomain(xml);

  test('domain type, name, memory in KiB, vcpu count, iothreads', () => {
    assert.equal(domain.getAttribute('type'), 'kvm');
    assert.equal(one(domain, 'name').textContent, 'vm1');
    // Guest RAM stays out of QEMU core dumps (-machine dump-guest-core=off on the argv).
    assert.deepEqual(attrs(one(domain, 'memory')), { unit: 'KiB', dumpCore: 'off' });
    assert.equal(one(domain, 'uuid').textContent, vmUuid(plan.spec));
    assert.match(vmUuid(plan.spec), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(one(domain, 'memory').textContent, String(4096 * 1024));
    assert.equal(one(domain, 'currentMemory').textContent, String(4096 * 1024));
    assert.deepEqual(attrs(one(domain, 'vcpu')), { placement: 'static' });
    assert.equal(one(domain, 'vcpu').textContent, '4');
    assert.equal(one(domain, 'iothreads').textContent, '1');
  });

  test('top-level elements come in libvirt order', () => {
    assert.deepEqual(
      childElements(domain).map((element) => element.tagName),
      ['name', 'uuid', 'memory', 'currentMemory', 'memoryBacking', 'vcpu', 'iothreads', 'cputune', 'numatune', 'os', 'features', 'cpu', 'clock', 'on_poweroff', 'on_reboot', 'on_crash', 'devices'],
    );
  });

  test('cputune: one vcpupin per vCPU, emulatorpin, iothreadpin numbered from 1', () => {
    assert.deepEqual(all(domain, 'cputune/vcpupin').map(attrs), [
      { vcpu: '0', cpuset: '2' },
      { vcpu: '1', cpuset: '3' },
      { vcpu: '2', cpuset: '6' },
      { vcpu: '3', cpuset: '7' },
    ]);
    assert.deepEqual(attrs(one(domain, 'cputune/emulatorpin')), { cpuset: '0,1' });
    assert.deepEqual(all(domain, 'cputune/iothreadpin').map(attrs), [{ iothread: '1', cpuset: '1' }]);
  });

  test('numatune binds memory strictly to the planned host nodes', () => {
    assert.deepEqual(attrs(one(domain, 'numatune/memory')), { mode: 'strict', nodeset: '0' });
    assert.equal(all(domain, 'numatune/memnode').length, 0);
  });

  test('cpu host -> host-passthrough, migratable off, guest topology', () => {
    assert.deepEqual(attrs(one(domain, 'cpu')), { mode: 'host-passthrough', check: 'none', migratable: 'off' });
    assert.deepEqual(attrs(one(domain, 'cpu/topology')), { sockets: '1', dies: '1', cores: '2', threads: '2' });
    assert.equal(all(domain, 'cpu/model').length, 0);
    assert.equal(all(domain, 'cpu/cache').length, 0);
  });

  test('os, features, clock, lifecycle', () => {
    assert.deepEqual(attrs(one(domain, 'os/type')), { arch: 'x86_64', machine: 'q35' });
    assert.equal(one(domain, 'os/type').textContent, 'hvm');
    assert.deepEqual(attrs(one(domain, 'os/boot')), { dev: 'hd' });
    assert.deepEqual(childElements(one(domain, 'features')).map((element) => element.tagName), ['acpi', 'apic']);
    assert.deepEqual(attrs(one(domain, 'clock')), { offset: 'utc' });
    assert.equal(one(domain, 'on_poweroff').textContent, 'destroy');
    assert.equal(one(domain, 'on_reboot').textContent, 'restart');
    assert.equal(one(domain, 'on_crash').textContent, 'destroy');
  });

  test('devices: emulator, virtio disk with iothread, user NIC, pty serial+console, no balloon, no graphics', () => {
    assert.equal(one(domain, 'devices/emulator').textContent, '/usr/bin/qemu-system-x86_64');
    assert.deepEqual(attrs(one(domain, 'devices/disk')), { type: 'file', device: 'disk' });
    assert.deepEqual(attrs(one(domain, 'devices/disk/driver')), { name: 'qemu', type: 'qcow2', cache: 'none', io: 'native', iothread: '1' });
    assert.deepEqual(attrs(one(domain, 'devices/disk/source')), { file: '/var/lib/vm/disk.qcow2' });
    assert.deepEqual(attrs(one(domain, 'devices/disk/target')), { dev: 'vda', bus: 'virtio' });
    assert.equal(all(domain, 'devices/disk/readonly').length, 0);
    assert.deepEqual(attrs(one(domain, 'devices/interface')), { type: 'user' });
    assert.deepEqual(attrs(one(domain, 'devices/interface/model')), { type: 'virtio' });
    assert.deepEqual(attrs(one(domain, 'devices/serial')), { type: 'pty' });
    // The serial output is logged to a file as on the argv (virsh console still attaches to the pty).
    assert.deepEqual(attrs(one(domain, 'devices/serial/log')), { file: '/var/log/libvirt/qemu/vm1-serial0.log', append: 'off' });
    assert.deepEqual(attrs(one(domain, 'devices/controller')), { type: 'usb', model: 'none' });
    assert.deepEqual(attrs(one(domain, 'devices/interface/mac')), { address: vmMac(plan.spec) });
    assert.deepEqual(attrs(one(domain, 'devices/console/target')), { type: 'serial', port: '0' });
    assert.deepEqual(attrs(one(domain, 'devices/memballoon')), { model: 'none' });
    assert.equal(all(domain, 'devices/graphics').length, 0);
    assert.equal(all(domain, 'devices/video').length, 0);
  });

  test('memoryBacking for plain RAM: only nosharepages', () => {
    assert.deepEqual(childElements(one(domain, 'memoryBacking')).map((element) => element.tagName), ['nosharepages']);
  });

  test('emulatorBinary option', () => {
    const custom = parseDomain(buildDomainXml(plan, { emulatorBinary: '/opt/qemu 8/bin/qemu-system-x86_64' }));
    assert.equal(one(custom, 'devices/emulator').textContent, '/opt/qemu 8/bin/qemu-system-x86_64');
  });

  test('ends with one newline and has no XML declaration', () => {
    assert.ok(xml.startsWith('<domain '));
    assert.ok(xml.endsWith('</domain>\n'));
  });
});

describe('buildDomainXml: spec variants', () => {
  test('accel tcg -> type qemu; named model -> custom with fallback forbid; +/- features', () => {
    const spec = handSpec({ accel: 'tcg', cpu: { model: 'Skylake-Server', features: ['+pcid', '-hle', 'ssse3'], cachePassthrough: false } });
    const domain = parseDomain(buildDomainXml(handPlan(spec)));
    assert.equal(domain.getAttribute('type'), 'qemu');
    // check='partial': libvirt refuses the guest when the host lacks a feature (argv: enforce).
    assert.deepEqual(attrs(one(domain, 'cpu')), { mode: 'custom', match: 'exact', check: 'partial' });
    assert.deepEqual(attrs(one(domain, 'cpu/model')), { fallback: 'forbid' });
    assert.equal(one(domain, 'cpu/model').textContent, 'Skylake-Server');
    assert.deepEqual(all(domain, 'cpu/feature').map(attrs), [
      { policy: 'require', name: 'pcid' },
      { policy: 'disable', name: 'hle' },
      { policy: 'require', name: 'ssse3' },
    ]);
    assert.deepEqual(childElements(one(domain, 'cpu')).map((element) => element.tagName), ['model', 'topology', 'feature', 'feature', 'feature']);
  });

  test('features in QEMU spelling get libvirt\'s cpu_map names', () => {
    const spec = handSpec({ accel: 'tcg', cpu: { model: 'qemu64', features: ['+lahf-lm', '+pclmulqdq', '-perfctr-core', '+sse4_2', '+lahf_lm', '+avx2'], cachePassthrough: false } });
    const domain = parseDomain(buildDomainXml(handPlan(spec)));
    assert.deepEqual(all(domain, 'cpu/feature').map((element) => element.getAttribute('name')), ['lahf_lm', 'pclmuldq', 'perfctr_core', 'sse4.2', 'lahf_lm', 'avx2']);
    assert.equal(libvirtFeatureName('tsc-adjust'), 'tsc_adjust');
    assert.equal(libvirtFeatureName('topoext'), 'topoext');
  });

  test('model max -> mode maximum (libvirt spelling of -cpu max), usable under TCG', () => {
    const domain = parseDomain(buildDomainXml(handPlan(handSpec({ accel: 'tcg', cpu: { model: 'max', features: [], cachePassthrough: false } }))));
    assert.deepEqual(attrs(one(domain, 'cpu')), { mode: 'maximum', check: 'none', migratable: 'off' });
    assert.equal(all(domain, 'cpu/model').length, 0);
  });

  test('cache passthrough and features with host-passthrough, in libvirt order', () => {
    const spec = handSpec({ cpu: { model: 'host', features: ['+topoext', '-svm'], cachePassthrough: true } });
    const cpu = one(parseDomain(buildDomainXml(handPlan(spec))), 'cpu');
    assert.deepEqual(childElements(cpu).map((element) => element.tagName), ['topology', 'cache', 'feature', 'feature']);
    assert.deepEqual(attrs(one(cpu, 'cache')), { mode: 'passthrough' });
    assert.deepEqual(all(cpu, 'feature').map(attrs), [
      { policy: 'require', name: 'topoext' },
      { policy: 'disable', name: 'svm' },
    ]);
  });

  test('2M hugepages from a private memfd, locked, prealloc', () => {
    const spec = handSpec({ memory: { sizeMiB: 4096, backing: 'hugepages-2M', prealloc: true, lock: true, share: false } });
    const backing = one(parseDomain(buildDomainXml(handPlan(spec))), 'memoryBacking');
    assert.deepEqual(childElements(backing).map((element) => element.tagName), ['hugepages', 'nosharepages', 'locked', 'source', 'access', 'allocation']);
    assert.deepEqual(attrs(one(backing, 'hugepages/page')), { size: '2048', unit: 'KiB' });
    assert.deepEqual(attrs(one(backing, 'source')), { type: 'memfd' });
    // memfd defaults to shared: private must be said.
    assert.deepEqual(attrs(one(backing, 'access')), { mode: 'private' });
    assert.deepEqual(attrs(one(backing, 'allocation')), { mode: 'immediate' });
  });

  test('1G hugepages with guest NUMA: page nodeset names the guest cells; cells and memnodes', () => {
    const spec = handSpec({
      vcpus: { count: 4, sockets: 2, dies: 1, cores: 2, threads: 1 },
      memory: { sizeMiB: 8192, backing: 'hugepages-1G', prealloc: true, lock: false, share: false },
      numa: [
        { vcpus: [0, 1], memMiB: 4096, hostNode: 0 },
        { vcpus: [2, 3], memMiB: 4096, hostNode: 1 },
      ],
    });
    const domain = parseDomain(buildDomainXml(handPlan(spec, { hostNodes: [0, 1] })));
    assert.deepEqual(attrs(one(domain, 'memoryBacking/hugepages/page')), { size: '1048576', unit: 'KiB', nodeset: '0,1' });
    assert.deepEqual(all(domain, 'cpu/numa/cell').map(attrs), [
      { id: '0', cpus: '0,1', memory: String(4096 * 1024), unit: 'KiB' },
      { id: '1', cpus: '2,3', memory: String(4096 * 1024), unit: 'KiB' },
    ]);
    assert.deepEqual(attrs(one(domain, 'numatune/memory')), { mode: 'strict', nodeset: '0,1' });
    assert.deepEqual(all(domain, 'numatune/memnode').map(attrs), [
      { cellid: '0', mode: 'strict', nodeset: '0' },
      { cellid: '1', mode: 'strict', nodeset: '1' },
    ]);
  });

  test('shared RAM and shared hugepages use a shared memfd', () => {
    const ram = one(parseDomain(buildDomainXml(handPlan(handSpec({ memory: { share: true } })))), 'memoryBacking');
    assert.deepEqual(childElements(ram).map((element) => element.tagName), ['nosharepages', 'source', 'access']);
    assert.deepEqual(attrs(one(ram, 'source')), { type: 'memfd' });
    assert.deepEqual(attrs(one(ram, 'access')), { mode: 'shared' });
    const huge = one(parseDomain(buildDomainXml(handPlan(handSpec({ memory: { share: true, backing: 'hugepages-2M' } })))), 'memoryBacking');
    assert.deepEqual(childElements(huge).map((element) => element.tagName), ['hugepages', 'nosharepages', 'source', 'access']);
    assert.deepEqual(attrs(one(huge, 'access')), { mode: 'shared' });
  });

  test('disks use the iothread the plan says serves them', () => {
    const disk = { format: 'raw' as const, cache: 'none' as const, aio: 'native' as const, readonly: false };
    const spec = handSpec({
      iothreads: { count: 2, placement: 'dedicated' },
      disks: [
        { ...disk, path: '/a.img', iothread: true },
        { ...disk, path: '/b.img', iothread: false },
        { ...disk, path: '/c.img', iothread: true },
      ],
    });
    const plan = handPlan(spec, { iothreadCpus: [[0], [1]] });
    // Served the other way round from the default order, to show the plan's word is followed.
    plan.iothreads = [
      { ...plan.iothreads[0]!, disks: [2] },
      { ...plan.iothreads[1]!, disks: [0] },
    ];
    const disks = all(parseDomain(buildDomainXml(plan)), 'devices/disk');
    assert.deepEqual(disks.map((element) => one(element, 'driver').getAttribute('iothread')), ['2', null, '1']);
  });

  test('disks: vda, vdb, vdc; without a disk map, iothreads round-robin over the declared ones; readonly', () => {
    const disk = { format: 'raw' as const, cache: 'none' as const, aio: 'io_uring' as const, readonly: false };
    const spec = handSpec({
      iothreads: { count: 2, placement: 'dedicated' },
      disks: [
        { ...disk, path: '/a.img', iothread: true },
        { ...disk, path: '/b.img', iothread: false, cache: 'writeback', aio: 'threads' },
        { ...disk, path: '/c.img', iothread: true },
        { ...disk, path: '/d.img', iothread: true, readonly: true },
      ],
    });
    const domain = parseDomain(buildDomainXml(handPlan(spec, { iothreadCpus: [[0], [1]], withoutDiskMap: true })));
    const disks = all(domain, 'devices/disk');
    assert.deepEqual(disks.map((element) => one(element, 'target').getAttribute('dev')), ['vda', 'vdb', 'vdc', 'vdd']);
    assert.deepEqual(disks.map((element) => one(element, 'driver').getAttribute('iothread')), ['1', null, '2', '1']);
    assert.deepEqual(attrs(one(disks[1]!, 'driver')), { name: 'qemu', type: 'raw', cache: 'writeback', io: 'threads' });
    assert.deepEqual(disks.map((element) => all(element, 'readonly').length), [0, 0, 0, 1]);
    assert.deepEqual(all(domain, 'cputune/iothreadpin').map(attrs), [
      { iothread: '1', cpuset: '0' },
      { iothread: '2', cpuset: '1' },
    ]);
    assert.equal(one(domain, 'iothreads').textContent, '2');
  });

  test('no disks: no boot element, no iothreads when none declared', () => {
    const domain = parseDomain(buildDomainXml(handPlan(handSpec({ disks: [], iothreads: { count: 0, placement: 'housekeeping' } }))));
    assert.equal(all(domain, 'devices/disk').length, 0);
    assert.equal(all(domain, 'os/boot').length, 0);
    assert.equal(all(domain, 'iothreads').length, 0);
    assert.equal(all(domain, 'cputune/iothreadpin').length, 0);
  });

  test('tap: ethernet interface on the existing tap, vhost driver with queues, MAC', () => {
    const spec = handSpec({ network: { mode: 'tap', ifname: 'tap-vm1', vhost: true, queues: 4, mac: '52:54:00:12:34:56' } });
    const nic = one(parseDomain(buildDomainXml(handPlan(spec))), 'devices/interface');
    assert.deepEqual(attrs(nic), { type: 'ethernet' });
    assert.deepEqual(childElements(nic).map((element) => element.tagName), ['mac', 'target', 'model', 'driver']);
    assert.deepEqual(attrs(one(nic, 'mac')), { address: '52:54:00:12:34:56' });
    assert.deepEqual(attrs(one(nic, 'target')), { dev: 'tap-vm1', managed: 'no' });
    assert.deepEqual(attrs(one(nic, 'driver')), { name: 'vhost', queues: '4' });
  });

  test('tap without vhost uses the qemu driver', () => {
    const spec = handSpec({ network: { mode: 'tap', ifname: 'tap0', vhost: false, queues: 1, mac: null } });
    const nic = one(parseDomain(buildDomainXml(handPlan(spec))), 'devices/interface');
    assert.deepEqual(attrs(one(nic, 'driver')), { name: 'qemu', queues: '1' });
    // No MAC in the spec: one from the VM's name, the same the argv gives (vm-facts.ts).
    assert.deepEqual(attrs(one(nic, 'mac')), { address: vmMac(spec) });
    assert.match(vmMac(spec), /^52:54:00(:[0-9a-f]{2}){3}$/);
  });

  test('extraArgs pass through <qemu:commandline> in order, exactly; none -> no QEMU namespace at all', () => {
    const extraArgs = ['-smbios', 'type=1,product=a "b" & <c>', '-kernel', '/boot/vm linuz'];
    const xml = buildDomainXml(handPlan(handSpec({ extraArgs })));
    const domain = parseDomain(xml);
    assert.equal(domain.getAttribute('xmlns:qemu'), 'http://libvirt.org/schemas/domain/qemu/1.0');
    assert.equal(childElements(domain).at(-1)!.tagName, 'qemu:commandline');
    assert.deepEqual(rawAttributeValues(xml, 'qemu:arg', 'value').map(decodeXmlText), extraArgs);
    const plain = buildDomainXml(handPlan(handSpec()));
    assert.doesNotMatch(plain, /qemu:/);
  });

  test('network none: no interface at all', () => {
    const domain = parseDomain(buildDomainXml(handPlan(handSpec({ network: { mode: 'none', ifname: null, vhost: false, queues: 1, mac: null } }))));
    assert.equal(all(domain, 'devices/interface').length, 0);
  });

  test('pinning off: no cputune and no numatune when nothing is pinned or bound', () => {
    const spec = handSpec({ pinning: { strategy: 'none' } });
    const plan = handPlan(spec, { hostCpus: [null, null, null, null], emulator: [], iothreadCpus: [[]], hostNodes: [] });
    const domain = parseDomain(buildDomainXml(plan));
    assert.equal(all(domain, 'cputune').length, 0);
    assert.equal(all(domain, 'numatune').length, 0);
    assert.equal(one(domain, 'iothreads').textContent, '1');
  });
});

describe('buildDomainXml: hostile names and paths', () => {
  test('the hostile names are ones the spec schema accepts', () => {
    for (const name of HOSTILE_NAMES) assert.equal(checkVmName(name), null, name);
  });

  for (const name of HOSTILE_NAMES) {
    test(`name ${JSON.stringify(name)} reads back unchanged`, () => {
      const spec = handSpec({ name, disks: [{ path: `/var/lib/vm/${name}.qcow2`, format: 'qcow2', cache: 'none', aio: 'native', iothread: true, readonly: false }] });
      const xml = buildDomainXml(handPlan(spec));
      assert.deepEqual(rawElementTexts(xml, 'name').map(decodeXmlText), [name]);
      assert.deepEqual(rawAttributeValues(xml, 'source', 'file').map(decodeXmlText), [`/var/lib/vm/${name}.qcow2`]);
      // Nothing of the name leaks out of its element: the document shape is the usual one.
      assert.equal(childElements(parseDomain(xml)).length, 17);
    });
  }

  test('the strict decoder used above rejects what a serializer might wrongly emit', () => {
    assert.throws(() => decodeXmlText('a &foo; b'), /undefined entity/);
    assert.throws(() => decodeXmlText('a & b'), /unterminated reference/);
    assert.equal(decodeXmlText('&amp;#38; &#38; &#x26;'), '&#38; & &');
  });

  test('XML-special characters are escaped in text and attributes', () => {
    const spec = handSpec({ name: '<&>"', disks: [{ path: '/x/"<&>\'.img', format: 'raw', cache: 'none', aio: 'native', iothread: false, readonly: false }] });
    const xml = buildDomainXml(handPlan(spec));
    assert.match(xml, /<name>&lt;&amp;&gt;"<\/name>/);
    assert.match(xml, /<source file="\/x\/&quot;&lt;&amp;&gt;'\.img"\/>/);
  });
});

describe('buildDomainXml: deterministic', () => {
  test('the same plan twice gives the same bytes', () => {
    const spec = handSpec({ numa: [{ vcpus: [0, 1], memMiB: 2048, hostNode: 0 }, { vcpus: [2, 3], memMiB: 2048, hostNode: 0 }] });
    assert.equal(buildDomainXml(handPlan(spec)), buildDomainXml(handPlan(spec)));
  });

  test('plan.vcpus and guest cells in any order give the same bytes', () => {
    const spec = handSpec({ numa: [{ vcpus: [0, 1], memMiB: 2048, hostNode: 0 }, { vcpus: [2, 3], memMiB: 2048, hostNode: 0 }] });
    const plan = handPlan(spec);
    const shuffled: Plan = { ...plan, vcpus: [...plan.vcpus].reverse(), memory: { ...plan.memory, guestNodes: [...plan.memory.guestNodes].reverse() } };
    assert.equal(buildDomainXml(shuffled), buildDomainXml(plan));
  });
});

describe('buildDomainXml: refuses plans libvirt would silently change', () => {
  const base = () => handPlan(handSpec(), { hostCpus: [2, 3, 4, 5] });
  const cases: Array<{ what: string; edit: (plan: Plan) => Plan; problem: RegExp }> = [
    { what: 'vcpupin for a vCPU the guest does not have', edit: (plan) => ({ ...plan, vcpus: [...plan.vcpus, { ...plan.vcpus[0]!, vcpu: 7, hostCpu: 9 }] }), problem: /vcpupin for vCPU 7, but the guest has vCPUs 0-3/ },
    { what: 'negative vCPU index', edit: (plan) => ({ ...plan, vcpus: plan.vcpus.map((entry) => (entry.vcpu === 3 ? { ...entry, vcpu: -1 } : entry)) }), problem: /vcpupin for vCPU -1/ },
    { what: 'the same vCPU pinned twice', edit: (plan) => ({ ...plan, vcpus: [...plan.vcpus, { ...plan.vcpus[1]!, hostCpu: 8 }] }), problem: /vCPU 1 is pinned twice \(host CPU 3 and 8\)/ },
    { what: 'a pin to a negative host CPU', edit: (plan) => ({ ...plan, vcpus: plan.vcpus.map((entry) => (entry.vcpu === 2 ? { ...entry, hostCpu: -4 } : entry)) }), problem: /vCPU 2 is pinned to host CPU -4/ },
    { what: 'a pin to a fractional host CPU', edit: (plan) => ({ ...plan, vcpus: plan.vcpus.map((entry) => (entry.vcpu === 0 ? { ...entry, hostCpu: 1.5 } : entry)) }), problem: /vCPU 0 is pinned to host CPU 1.5/ },
    { what: 'some vCPUs pinned, others missing', edit: (plan) => ({ ...plan, vcpus: plan.vcpus.slice(0, 2) }), problem: /vCPUs 2,3 have no pin while others do/ },
    { what: 'emulatorpin to a negative CPU', edit: (plan) => ({ ...plan, emulator: [0, -1] }), problem: /emulatorpin to host CPU -1/ },
    { what: 'iothreadpin for an iothread not declared', edit: (plan) => ({ ...plan, iothreads: [...plan.iothreads, { id: 'io1', hostCpus: [1] }] }), problem: /iothreadpin for 2 iothreads, but the domain declares 1/ },
    { what: 'a declared iothread the plan does not list', edit: (plan) => ({ ...plan, spec: { ...plan.spec, iothreads: { ...plan.spec.iothreads, count: 2 } } }), problem: /the spec declares 2 iothreads, but the plan lists 1/ },
    { what: 'an iothread listed twice', edit: (plan) => ({ ...plan, spec: { ...plan.spec, iothreads: { ...plan.spec.iothreads, count: 2 } }, iothreads: [plan.iothreads[0]!, plan.iothreads[0]!] }), problem: /iothread "io0" is listed twice/ },
    { what: 'iothreadpin to a negative CPU', edit: (plan) => ({ ...plan, iothreads: [{ id: 'io0', hostCpus: [-2] }] }), problem: /iothread "io0" is pinned to host CPU -2/ },
    { what: 'a disk asking for an iothread when none is declared', edit: (plan) => ({ ...plan, spec: { ...plan.spec, iothreads: { ...plan.spec.iothreads, count: 0 } }, iothreads: [] }), problem: /a disk asks for an iothread, but the domain declares none/ },
    { what: 'an iothread serving a disk that does not exist', edit: (plan) => ({ ...plan, iothreads: [{ ...plan.iothreads[0]!, disks: [0, 3] }] }), problem: /iothread "io0" serves disk 3, but there are 1 disks/ },
    {
      what: 'an iothread serving a disk that asked for none',
      edit: (plan) => ({ ...plan, spec: { ...plan.spec, disks: [{ ...plan.spec.disks[0]!, iothread: false }] } }),
      problem: /iothread "io0" serves disk 0, which does not ask for an iothread/,
    },
    { what: 'a disk asking for an iothread that no iothread serves', edit: (plan) => ({ ...plan, iothreads: [{ ...plan.iothreads[0]!, disks: [] }] }), problem: /disk 0 asks for an iothread, but no planned iothread serves it/ },
    {
      what: 'a disk served by two iothreads',
      edit: (plan) => ({ ...plan, spec: { ...plan.spec, iothreads: { ...plan.spec.iothreads, count: 2 } }, iothreads: [plan.iothreads[0]!, { id: 'io1', hostCpus: [1], disks: [0] }] }),
      problem: /disk 0 is served by iothreads "io0" and "io1"/,
    },
    { what: 'guest topology that does not multiply to the vCPU count', edit: (plan) => ({ ...plan, spec: { ...plan.spec, vcpus: { ...plan.spec.vcpus, cores: 3 } } }), problem: /1 sockets x 1 dies x 3 cores x 2 threads != 4 vCPUs/ },
    {
      what: 'guest NUMA cells that do not add up to the memory size',
      edit: (plan) => ({ ...plan, memory: { ...plan.memory, guestNodes: [{ id: 0, vcpus: [0, 1], memMiB: 1024, hostNodes: [0] }, { id: 1, vcpus: [2, 3], memMiB: 1024, hostNodes: [0] }] } }),
      problem: /cells add up to 2048 MiB, but the guest has 4096 MiB/,
    },
    {
      what: 'a guest NUMA cell with a vCPU that does not exist',
      edit: (plan) => ({ ...plan, memory: { ...plan.memory, guestNodes: [{ id: 0, vcpus: [0, 1, 2, 3, 4], memMiB: 4096, hostNodes: [0] }] } }),
      problem: /guest NUMA cell 0 lists vCPU 4/,
    },
    {
      what: 'a vCPU in two guest NUMA cells, another in none',
      edit: (plan) => ({ ...plan, memory: { ...plan.memory, guestNodes: [{ id: 0, vcpus: [0, 1], memMiB: 2048, hostNodes: [0] }, { id: 1, vcpus: [1, 2], memMiB: 2048, hostNodes: [0] }] } }),
      problem: /vCPU 1 is in guest NUMA cells 0 and 1/,
    },
    {
      what: 'a vCPU in no guest NUMA cell',
      edit: (plan) => ({ ...plan, memory: { ...plan.memory, guestNodes: [{ id: 0, vcpus: [0, 1, 2], memMiB: 4096, hostNodes: [0] }] } }),
      problem: /vCPUs 3 are in no guest NUMA cell/,
    },
    { what: 'memory that is not a whole number of huge pages', edit: (plan) => ({ ...plan, memory: { ...plan.memory, backing: 'hugepages-1G', sizeMiB: 1536 } }), problem: /1536 MiB is not a multiple of the 1024 MiB huge page size/ },
    { what: 'host-passthrough under TCG', edit: (plan) => ({ ...plan, spec: { ...plan.spec, accel: 'tcg' } }), problem: /host-passthrough\) needs accel kvm/ },
    { what: 'cache passthrough with a named model', edit: (plan) => ({ ...plan, spec: { ...plan.spec, cpu: { model: 'EPYC', features: [], cachePassthrough: true } } }), problem: /cache passthrough needs cpu model "host" or "max"/ },
    { what: 'a feature name libvirt cannot parse', edit: (plan) => ({ ...plan, spec: { ...plan.spec, cpu: { ...plan.spec.cpu, features: ['+a b'] } } }), problem: /cpu feature "\+a b"/ },
    { what: 'aio native with a host page cache', edit: (plan) => ({ ...plan, spec: { ...plan.spec, disks: [{ ...plan.spec.disks[0]!, cache: 'writeback' }] } }), problem: /aio native needs cache none or directsync/ },
    { what: 'tap without an interface name', edit: (plan) => ({ ...plan, spec: { ...plan.spec, network: { ...plan.spec.network, mode: 'tap', ifname: null } } }), problem: /tap networking needs an interface name/ },
    { what: 'a plan that carries planner errors', edit: (plan) => ({ ...plan, errors: [{ code: 'not-enough-cpus', message: 'needs 4 CPUs, host has 2' }] }), problem: /plan has an error: not-enough-cpus: needs 4 CPUs/ },
  ];

  test('the unedited plan is accepted', () => {
    assert.equal(checkPlanForXml(base()), null);
    assert.deepEqual(findPlanXmlProblems(base()), []);
  });

  for (const { what, edit, problem } of cases) {
    test(what, () => {
      const plan = edit(base());
      assert.match(checkPlanForXml(plan) ?? '(accepted)', problem);
      assert.throws(
        () => buildDomainXml(plan),
        (error: unknown) => error instanceof DomainXmlError && error.problems.some((text) => problem.test(text)) && problem.test(error.message) && error.hint.length > 0,
      );
    });
  }
});

test('virtioDiskName follows the kernel: vda..vdz, vdaa..', () => {
  assert.deepEqual([0, 1, 25, 26, 27, 51, 52, 701, 702].map(virtioDiskName), ['vda', 'vdb', 'vdz', 'vdaa', 'vdab', 'vdaz', 'vdba', 'vdzz', 'vdaaa']);
});

