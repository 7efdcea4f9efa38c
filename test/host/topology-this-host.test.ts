/**
 * On the machine running the tests, readTopology(new HostFs('/')) must agree with util-linux's
 * lscpu, an independent reader of the same sysfs files. lscpu numbers sockets, cores and caches
 * logically (its own ids), so those are compared as groupings; node ids are the kernel's in both.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology, topologyToJson } from '../../src/host/topology.js';
import { parseLscpu } from './lscpu.js';

function runLscpu(): string {
  try {
    return execFileSync('lscpu', ['-p=CPU,CORE,SOCKET,NODE,CACHE'], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Not a skip: the test setup installs util-linux, so a missing lscpu is a broken setup.
    throw new Error(
      code === 'ENOENT'
        ? 'lscpu not found: install util-linux (apt-get install util-linux); this test compares our reader with it'
        : `lscpu failed: ${(error as Error).message}`,
    );
  }
}

/** Canonical partition: groups sorted, ordered by first member. */
function grouping(pairs: [string, number][]): number[][] {
  const groups = new Map<string, number[]>();
  for (const [key, cpu] of pairs) {
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(cpu);
  }
  return [...groups.values()].map((cpus) => cpus.sort((a, b) => a - b)).sort((a, b) => a[0]! - b[0]!);
}

const rows = parseLscpu(runLscpu());
const topology = readTopology(new HostFs('/'));
const online = topology.cpus.filter((entry) => entry.online);

test('parseLscpu reads lscpu output with caches (this host may have none to show)', () => {
  // Shape of util-linux 2.38 output on a 2-socket SMT2 host with L3 per socket.
  const sample = [
    '# The following is the parsable format, which can be fed to other',
    '# CPU,Core,Socket,Node,L1d:L1i:L2:L3',
    '0,0,0,0,0:0:0:0',
    '1,1,1,1,1:1:1:1',
    '2,0,0,0,0:0:0:0',
    '3,1,1,1,1:1:1:1',
    '',
  ].join('\n');
  assert.deepEqual(parseLscpu(sample), [
    { cpu: 0, core: '0', socket: '0', node: 0, l3: '0' },
    { cpu: 1, core: '1', socket: '1', node: 1, l3: '1' },
    { cpu: 2, core: '0', socket: '0', node: 0, l3: '0' },
    { cpu: 3, core: '1', socket: '1', node: 1, l3: '1' },
  ]);
  // No L3 level (e.g. many ARM SoCs): no L3 ids; no cache column at all (VMs): same.
  assert.equal(parseLscpu('# CPU,Core,Socket,Node,L1d:L1i:L2\n0,0,0,0,0:0:0\n')[0]!.l3, null);
  assert.equal(parseLscpu('# CPU,Core,Socket,Node\n0,0,0,,\n')[0]!.l3, null);
  assert.equal(parseLscpu('# CPU,Core,Socket,Node\n0,0,0,\n')[0]!.node, null);
  // The other shape util-linux 2.38.1 prints (seen on a 2-CPU VM): one column per cache.
  assert.deepEqual(parseLscpu('# CPU,Core,Socket,Node,,L1d,L1i,L2,L3\n0,0,0,0,,0,0,0,0\n1,1,0,0,,1,1,1,0\n'), [
    { cpu: 0, core: '0', socket: '0', node: 0, l3: '0' },
    { cpu: 1, core: '1', socket: '0', node: 0, l3: '0' },
  ]);
});

test('this host: lscpu -p lists at least one CPU (the comparison below is not vacuous)', () => {
  assert.ok(rows.length > 0);
});

test('this host: online CPUs equal lscpu -p (which lists online CPUs only)', () => {
  assert.deepEqual(topology.online, rows.map((row) => row.cpu).sort((a, b) => a - b));
});

test('this host: CPUs grouped into sockets as lscpu groups them', () => {
  assert.deepEqual(
    grouping(online.map((entry) => [String(entry.socket), entry.cpu])),
    grouping(rows.map((row) => [row.socket, row.cpu])),
  );
});

test('this host: NUMA node of each CPU equals lscpu', () => {
  const byCpu = new Map(online.map((entry) => [entry.cpu, entry]));
  for (const row of rows) {
    // lscpu leaves NODE empty when the kernel has no NUMA; we then report one node 0.
    assert.equal(byCpu.get(row.cpu)?.node, row.node ?? 0, `cpu${row.cpu}`);
  }
});

test('this host: CPUs grouped into cores as lscpu groups them', () => {
  assert.deepEqual(
    grouping(online.map((entry) => [entry.siblings.join(','), entry.cpu])),
    grouping(rows.map((row) => [`${row.socket}/${row.core}`, row.cpu])),
  );
});

test('this host: L3 groups equal lscpu where it shows an L3, and none where it shows none', () => {
  const lscpuL3 = grouping(rows.filter((row) => row.l3 !== null).map((row) => [row.l3!, row.cpu]));
  const ourL3 = grouping(online.filter((entry) => entry.l3 !== null).map((entry) => [String(entry.l3), entry.cpu]));
  assert.deepEqual(ourL3, lscpuL3);
});

test('this host: `kvm-tui topology --json` prints this same reading (so it too agrees with lscpu)', () => {
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'src/bin.ts', 'topology', '--json'], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    encoding: 'utf8',
  });
  const printed = JSON.parse(stdout) as { cpus: unknown[] };
  // Per-CPU facts only: node hugepage counts are live state other test files change meanwhile.
  assert.deepEqual(printed.cpus, JSON.parse(JSON.stringify(topologyToJson(topology))).cpus);
});
