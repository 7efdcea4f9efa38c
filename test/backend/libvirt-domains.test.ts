import assert from 'node:assert/strict';
import { formatHeldCpus } from '../../src/host/topology-text.js';
import { test } from 'node:test';
import { domainRates, formatPlanMetadata, heldByDomains, parseDomstats, parsePlanMetadata, type DomainInfo } from '../../src/backend/libvirt-domains.js';
import { pinDrift } from '../../src/backend/libvirt-backend.js';

const STATS = `Domain: 'it's "quoted"'
  state.state=1
  state.reason=1
  cpu.time=2000000000
  balloon.current=262144
  balloon.rss=46136
  vcpu.current=2
  vcpu.maximum=2
  vcpu.0.state=1
  vcpu.0.time=1000000000
  vcpu.0.wait=0
  vcpu.0.delay=2000000
  vcpu.1.state=1
  vcpu.1.time=500000000
  vcpu.1.wait=0
  vcpu.1.delay=0
  net.count=0
  block.count=1
  block.0.name=vda
  block.0.rd.bytes=1000
  block.0.wr.bytes=0

Domain: 'off'
  state.state=5
  state.reason=2
  vcpu.current=1
  block.count=0
`;

test('domstats: one entry per domain (a name with quotes kept whole), vcpu, balloon and block figures', () => {
  const stats = parseDomstats(STATS);
  assert.deepEqual(stats.map((entry) => [entry.name, entry.stateCode]), [[`it's "quoted"`, 1], ['off', 5]]);
  assert.deepEqual(stats[0]!.vcpus.map((vcpu) => [vcpu.timeNs, vcpu.delayNs]), [[1e9, 2e6], [5e8, 0]]);
  assert.equal(stats[0]!.balloonRssKiB, 46136);
  assert.deepEqual(stats[0]!.block, [{ name: 'vda', rdBytes: 1000, wrBytes: 0 }]);
  assert.equal(stats[1]!.vcpus[0]!.timeNs, null);
});

test('rates over two readings: CPU% of one host CPU, steal (vcpu delay) in ms/s, bytes/s; none from one reading', () => {
  const [first] = parseDomstats(STATS);
  const second = structuredClone(first!);
  second.cpuTimeNs = first!.cpuTimeNs! + 500_000_000; // 0.5 s over 1 s = 50%
  second.vcpus[0]!.timeNs = first!.vcpus[0]!.timeNs! + 250_000_000;
  second.vcpus[0]!.delayNs = first!.vcpus[0]!.delayNs! + 30_000_000; // 30 ms waited in 1 s
  second.block[0]!.rdBytes = 5096;
  const rates = domainRates(first, second, 1000);
  assert.equal(rates.state, 'running');
  assert.equal(rates.cpuPercent, 50);
  assert.deepEqual(rates.vcpus[0], { index: 0, cpuPercent: 25, stealMsPerSec: 30, waitMsPerSec: 0 });
  assert.equal(rates.blockReadBytesPerSec, 4096);
  const once = domainRates(undefined, second, 0);
  assert.equal(once.cpuPercent, null);
  assert.equal(once.vcpus[0]!.stealMsPerSec, null);
});

const domain = (name: string, state: string, vcpus: number[][], emulator: number[]): DomainInfo => ({
  name,
  state,
  vcpuPins: new Map(vcpus.map((cpus, index) => [index, cpus])),
  emulatorPins: emulator,
  iothreadPins: new Map(),
  plan: null,
});

test('held CPUs: pins of running and paused domains; a thread free on every CPU floats; shut-off and the named domain hold none', () => {
  const online = [0, 1, 2, 3];
  const held = heldByDomains(
    [
      domain('pinned', 'running', [[2], [3]], [1]),
      domain('paused', 'paused', [[0]], [0, 1, 2, 3]),
      domain('loose', 'running', [[0, 1, 2, 3]], [1]),
      domain('off', 'shut off', [[1]], [1]),
      domain('self', 'running', [[1]], [1]),
    ],
    online,
    'self',
  );
  assert.deepEqual([...held.held].sort(), [[0, 'paused'], [1, 'pinned'], [2, 'pinned'], [3, 'pinned']]);
  // Only a vCPU allowed everywhere is "floating"; an emulator allowed everywhere holds nothing.
  assert.deepEqual(held.floating, ['loose']);
});

test('the plan kvm-tui records in the domain round-trips, and drift names each thread off its plan', () => {
  const plan = { vcpus: [[3], [], [4, 5]], emulator: [0, 1], iothreads: [[2]] };
  const text = formatPlanMetadata(plan);
  assert.deepEqual(parsePlanMetadata(`\n${text.replace(/'/g, '"')}\n`), plan);
  assert.equal(parsePlanMetadata('<other/>'), null);
  const info = { vcpuPins: new Map([[0, [3]], [1, [0, 1, 2, 3, 4, 5]], [2, [4]]]), emulatorPins: [0, 1], iothreadPins: new Map([[1, [2]]]) };
  assert.deepEqual(pinDrift(plan, info), ['vCPU 2 on 4, planned 4,5']);
  info.iothreadPins.set(1, [0]);
  assert.equal(pinDrift(plan, info).length, 2);
});

test('held CPUs as text: one line per VM, its CPUs as a list, its name quoted whole', () => {
  const lines = formatHeldCpus(new Map([[3, 'web'], [1, 'web'], [2, 'db\n"x" $(y)'], [0, 'web']]));
  assert.deepEqual(lines, ['  "web"  CPUs 0,1,3', '  "db\\n\\"x\\" $(y)"  CPU 2']);
  assert.deepEqual(formatHeldCpus(new Map()), []);
});
