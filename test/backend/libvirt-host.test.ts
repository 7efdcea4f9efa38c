import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { cpuInfoFromCapabilities, cpuModelsFromDomcapabilities, LibvirtParseError, parseFreecell, parseFreepages, parseVersion, topologyFromCapabilities, UNNAMED_BLOCKERS, withFreeMemory } from '../../src/backend/libvirt-host.js';
import { guestDomainTypes, guestEmulator } from '../../src/backend/libvirt-backend.js';

const fixture = (name: string) => fs.readFileSync(new URL(`../fixtures/libvirt/${name}`, import.meta.url), 'utf8');

test('a two-socket SMT host with an offline CPU: nodes, sockets, cores, siblings, L3 banks, pools, distances', () => {
  const topology = topologyFromCapabilities(fixture('capabilities-2socket.xml'));
  assert.deepEqual(topology.online, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(topology.nodes.map((node) => [node.id, node.cpus, node.memMiB, node.distances]), [
    [0, [0, 1, 4, 5], 16384, { '0': 10, '1': 21 }],
    [1, [2, 3, 6], 16384, { '0': 21, '1': 10 }],
  ]);
  assert.deepEqual(topology.nodes[0]!.hugepages, { '2048': { total: 1024, free: 1024 } });
  const cpu = (n: number) => topology.cpus.find((entry) => entry.cpu === n)!;
  assert.deepEqual([cpu(4).socket, cpu(4).core, cpu(4).node, cpu(4).siblings, cpu(4).l3], [0, 0, 0, [0, 4], 0]);
  // CPU 7 is offline: listed by id only; its sibling 3 no longer counts it.
  assert.equal(cpu(7).online, false);
  assert.deepEqual(cpu(3).siblings, [3]);
  assert.deepEqual(topology.l3Groups.map((group) => group.cpus), [[0, 1, 4, 5], [2, 3, 6]]);
  assert.deepEqual(topology.isolated, []);
  assert.match(topology.notes.join(' '), /isolated and nohz_full CPUs.*not reported/);
});

test('free memory and free pages per node go into the topology', () => {
  const freecell = parseFreecell('    0:     5349508 KiB\n    1:     1048576 KiB\n--------------------\nTotal:     6398084 KiB\n');
  assert.deepEqual([...freecell], [[0, 5224], [1, 1024]]);
  const freepages = parseFreepages('Node 0:\n4KiB: 1337451\n2048KiB: 10\n\nNode 1:\n4KiB: 5\n2048KiB: 512\n');
  const topology = withFreeMemory(topologyFromCapabilities(fixture('capabilities-2socket.xml')), freecell, freepages);
  assert.deepEqual(topology.nodes.map((node) => [node.freeMiB, node.hugepages['2048']]), [
    [5224, { total: 1024, free: 10 }],
    [1024, { total: 512, free: 512 }],
  ]);
});

test('host CPU: vendor, and 1 GiB pages from the page sizes, not from a feature list that omits the model baseline', () => {
  const small = cpuInfoFromCapabilities(fixture('capabilities-2socket.xml'));
  assert.equal(small.vendor, 'intel');
  assert.equal(small.flags.has('pdpe1gb'), false);
  const here = cpuInfoFromCapabilities(fixture('capabilities-2cpu.xml'));
  assert.equal(here.flags.has('pdpe1gb'), true);
  assert.equal(here.modelName, 'Broadwell');
});

test('accelerators and the emulator path come from the guest section', () => {
  assert.deepEqual([...guestDomainTypes(fixture('capabilities-2socket.xml'))].sort(), ['kvm', 'qemu']);
  assert.equal(guestEmulator(fixture('capabilities-2socket.xml')), '/usr/libexec/qemu-kvm');
});

test('versions from virsh version --daemon', () => {
  const text = 'Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.22\nRunning against daemon: 9.0.0\n';
  assert.deepEqual(parseVersion(text), { libvirt: '9.0.0', daemon: '9.0.0', qemu: '7.2.22' });
});

test('what a daemon never prints is refused: a DTD (entities), no host, no CPUs, not XML', () => {
  const bomb = '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><capabilities><host>&b;</host></capabilities>';
  assert.throws(() => topologyFromCapabilities(bomb), (error: Error) => error instanceof LibvirtParseError && /DTD/.test(error.message));
  assert.throws(() => topologyFromCapabilities('<capabilities/>'), /no <host>/);
  assert.throws(() => topologyFromCapabilities('<capabilities><host><topology><cells/></topology></host></capabilities>'), /no CPUs/);
  assert.throws(() => topologyFromCapabilities('<capabilities><host>'), LibvirtParseError);
});

test('CPU models from domcapabilities: usable ones, and the blockers where libvirt names them', () => {
  const xml = `<domainCapabilities><cpu>
    <mode name='host-passthrough' supported='yes'/>
    <mode name='custom' supported='yes'>
      <model usable='yes' vendor='unknown'>qemu64</model>
      <model usable='no' vendor='Intel' canonical='Skylake-Server-v1'>Skylake-Server</model>
      <model usable='no' vendor='AMD'>EPYC</model>
      <model usable='yes' deprecated='yes' vendor='unknown'>kvm32</model>
      <blockers model='Skylake-Server'><feature name='avx512f'/><feature name='hle'/></blockers>
    </mode></cpu></domainCapabilities>`;
  const facts = cpuModelsFromDomcapabilities(xml, 'tcg');
  assert.equal(facts.accel, 'tcg');
  assert.deepEqual(facts.models.get('qemu64'), { unavailable: [], aliasOf: null, deprecated: false });
  assert.deepEqual(facts.models.get('Skylake-Server'), { unavailable: ['avx512f', 'hle'], aliasOf: 'Skylake-Server-v1', deprecated: false });
  assert.deepEqual(facts.models.get('EPYC')!.unavailable, [UNNAMED_BLOCKERS]);
  assert.equal(facts.models.get('kvm32')!.deprecated, true);
  assert.throws(() => cpuModelsFromDomcapabilities('<domainCapabilities/>', 'kvm'), LibvirtParseError);
});
