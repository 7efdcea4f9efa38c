/**
 * `kvm-tui topology` as a user or a script runs it (in-process through src/cli.tsx main; the
 * shipped file is run in e2e-bundle.test.ts): exit codes, stdout/stderr separation, the JSON
 * contract in ../shared/CLI.md.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology, topologyToJson } from '../../src/host/topology.js';
import { fixtureRoot, scratchDir } from '../helpers/fixture-root.js';
import { writeSyntheticHost } from '../make-synthetic-host.js';
import { runCli } from '../helpers/run-cli.js';

async function runCliStatus(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await runCli(args);
  return { status: code, stdout, stderr };
}

/** A usage error is one line naming the problem, never a stack trace. */
function assertOneLineError(stderr: string, mentions: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, /^kvm-tui: /);
  assert.match(lines[0]!, mentions);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

const OFFLINE_HOST = 'hwloc-offline-cpu0-node0';

describe('kvm-tui topology --json', () => {
  test(`on ${OFFLINE_HOST}: the CLI.md shape, offline CPUs with null fields, exit 0`, async () => {
    const root = fixtureRoot(OFFLINE_HOST);
    const { status, stdout, stderr } = await runCliStatus(['--root', root, 'topology', '--json']);
    assert.equal(status, 0, stderr);
    assert.equal(stderr, '');
    const json = JSON.parse(stdout);
    assert.ok(Array.isArray(json.cpus) && Array.isArray(json.nodes));
    for (const cpu of json.cpus) {
      for (const key of ['cpu', 'online', 'socket', 'die', 'cluster', 'core', 'node', 'l3', 'siblings']) {
        assert.ok(key in cpu, `cpus[].${key} missing`);
      }
      assert.equal(typeof cpu.cpu, 'number');
      assert.equal(typeof cpu.online, 'boolean');
      assert.ok(Array.isArray(cpu.siblings));
      for (const key of ['socket', 'die', 'cluster', 'core', 'node', 'l3']) {
        assert.ok(cpu[key] === null || Number.isInteger(cpu[key]), `cpus[${cpu.cpu}].${key} = ${cpu[key]}`);
      }
    }
    const offline = json.cpus.filter((cpu: { online: boolean }) => !cpu.online);
    assert.deepEqual(offline.map((cpu: { cpu: number }) => cpu.cpu), [0, 1, 2, 3, 21, 22, 23]);
    for (const cpu of offline) {
      assert.deepEqual([cpu.socket, cpu.core, cpu.node, cpu.l3], [null, null, null, null]);
    }
    // Node 0 is offline on this host: only node 1 exists, holding the odd CPUs; the even ones
    // (node 0's) are online but have no node, and say so with null rather than a guess.
    assert.deepEqual(json.nodes.map((node: { id: number }) => node.id), [1]);
    assert.deepEqual(json.nodes[0].cpus, [5, 7, 9, 11, 13, 15, 17, 19]);
    assert.deepEqual(
      json.cpus.filter((cpu: { online: boolean; node: number | null }) => cpu.online && cpu.node === null).map((cpu: { cpu: number }) => cpu.cpu),
      [4, 6, 8, 10, 12, 14, 16, 18, 20],
    );
    assert.ok(Number.isInteger(json.nodes[0].memMiB) && json.nodes[0].memMiB > 60 * 1024);
    // The whole output is the reader's JSON, nothing added or lost on the way out.
    assert.deepEqual(json, JSON.parse(JSON.stringify(topologyToJson(readTopology(new HostFs(root))))));
  });

  test('on the synthetic 512-thread host: node hugepages keyed by KiB page size with total/free, distances by node id', async () => {
    const root = scratchDir('cli-synthetic');
    const host = writeSyntheticHost(root);
    const { status, stdout, stderr } = await runCliStatus(['--root', root, 'topology', '--json']);
    assert.equal(status, 0, stderr);
    const json = JSON.parse(stdout);
    assert.equal(json.cpus.length, 512);
    assert.deepEqual(json.cpus[0], {
      ...json.cpus[0],
      cpu: 0, online: true, socket: 0, die: 0, core: 0, node: 0, l3: 0, siblings: [0, 256],
    });
    assert.equal(json.nodes.length, 8);
    for (const [index, node] of json.nodes.entries()) {
      const want = host.nodes[index]!;
      assert.deepEqual(
        { id: node.id, cpus: node.cpus, memMiB: node.memMiB, distances: node.distances, hugepages: node.hugepages },
        { id: want.id, cpus: want.cpus, memMiB: want.memMiB, distances: want.distances, hugepages: want.hugepages },
      );
    }
    assert.deepEqual(Object.keys(json.nodes[0].hugepages).sort(), ['1048576', '2048']);
  });
});

describe('kvm-tui topology (text tree)', () => {
  test('on the Kunpeng 920 capture: node, package and L3 lines, compact, fits 80 columns', async () => {
    const { status, stdout, stderr } = await runCliStatus(['--root', fixtureRoot('hwloc-128arm-2pa2n8cluster4co'), 'topology']);
    assert.equal(status, 0, stderr);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^128 CPUs online, 4 NUMA nodes, 2 packages, 4 L3 groups, 128 cores, no SMT/);
    assert.equal(lines.filter((line) => /^node \d+ /.test(line)).length, 4);
    // One L3 per package per node here, so each package shares its line with its L3 group.
    assert.deepEqual(
      lines.filter((line) => /^\s+package /.test(line)),
      [
        '  package 36  L3 #0  cpus 0-31  32 cores x 1 thread',
        '  package 36  L3 #1  cpus 32-63  32 cores x 1 thread',
        '  package 8442  L3 #2  cpus 64-95  32 cores x 1 thread',
        '  package 8442  L3 #3  cpus 96-127  32 cores x 1 thread',
      ],
    );
    for (const line of lines) assert.ok(line.length <= 80, `longer than 80 columns: ${line}`);
    assert.ok(lines.length <= 12, `${lines.length} lines for a 128-CPU host:\n${stdout}`);
  });
});

describe('kvm-tui topology: bad input exits 2 with one line and no stack trace', () => {
  test('--root at a missing directory', async () => {
    const { status, stdout, stderr } = await runCliStatus(['--root', '/nonexistent', 'topology']);
    assert.equal(status, 2);
    assert.equal(stdout, '');
    assertOneLineError(stderr, /--root \/nonexistent: missing/);
  });

  test('--root at a directory without sys/devices/system/cpu', async () => {
    const dir = scratchDir('not-a-host');
    fs.writeFileSync(path.join(dir, 'README'), 'not a host\n');
    const { status, stderr } = await runCliStatus(['--root', dir, 'topology', '--json']);
    assert.equal(status, 2);
    assertOneLineError(stderr, /no sys\/devices\/system\/cpu/);
  });

  test('--root at a tree whose cpu dir has no CPUs in it', async () => {
    const dir = scratchDir('no-cpus');
    fs.mkdirSync(path.join(dir, 'sys/devices/system/cpu'), { recursive: true });
    const { status, stderr } = await runCliStatus(['--root', dir, 'topology']);
    assert.equal(status, 2);
    assertOneLineError(stderr, /no CPUs found/);
  });

  test('an unknown flag is named', async () => {
    const { status, stdout, stderr } = await runCliStatus(['topology', '--bogus-flag']);
    assert.equal(status, 2);
    assert.equal(stdout, '');
    assertOneLineError(stderr, /bogus-flag/);
  });

  test('an option of another command is named', async () => {
    const { status, stderr } = await runCliStatus(['topology', '--vcpus', '4']);
    assert.equal(status, 2);
    assertOneLineError(stderr, /topology: unknown option --vcpus/);
  });

  test('a stray argument is named', async () => {
    const { status, stderr } = await runCliStatus(['topology', 'extra']);
    assert.equal(status, 2);
    assertOneLineError(stderr, /"extra"/);
  });
});
