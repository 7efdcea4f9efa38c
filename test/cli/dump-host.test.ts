/**
 * `kvm-tui dump-host DIR` as a user runs it (in-process through src/cli.tsx main): a capture must replay with --root DIR to
 * exactly the topology of the host it was taken from, and a bad DIR must not be written into.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fixtureRoot, scratchDir } from '../helpers/fixture-root.js';
import { runCli, runCliProcess } from '../helpers/run-cli.js';

async function runCliStatus(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await runCli(args);
  return { status: code, stdout, stderr };
}

async function topologyJson(rootArgs: string[]): Promise<string> {
  const { status, stdout, stderr } = await runCliStatus([...rootArgs, 'topology', '--json']);
  assert.equal(status, 0, stderr);
  return stdout;
}

/** Every path under dir (relative), to prove that nothing was written. */
function listTree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('kvm-tui dump-host', () => {
  for (const name of ['hwloc-offline-cpu0-node0', 'hwloc-nvidiagpunumanodes']) {
    test(`capture of the ${name} fixture replays to the same topology JSON`, async () => {
      const root = fixtureRoot(name);
      const capture = path.join(scratchDir('dump'), 'capture');
      const dump = await runCliStatus(['--root', root, 'dump-host', capture]);
      assert.equal(dump.status, 0, dump.stderr);
      assert.match(dump.stdout, /wrote \d+ files to /);
      const original = await topologyJson(['--root', root]);
      assert.equal(await topologyJson(['--root', capture]), original);
      // Not vacuous: the capture holds the topology files themselves, and no staging dir is left.
      assert.ok(fs.existsSync(path.join(capture, 'sys/devices/system/cpu/online')));
      assert.deepEqual(fs.readdirSync(path.dirname(capture)), ['capture']);
    });
  }

  test('capture of this live host replays to the same topology JSON', async () => {
    // Hugepage pools are live state that other test files change while this one runs, so the
    // capture must equal the host as read just before or just after the dump; a few attempts
    // ride out a pool that changes during one.
    let lastReport = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      const capture = path.join(scratchDir('dump-live'), 'live');
      const before = await topologyJson([]);
      const dump = await runCliStatus(['dump-host', capture]);
      assert.equal(dump.status, 0, dump.stderr);
      const after = await topologyJson([]);
      const replayed = await topologyJson(['--root', capture]);
      if (replayed === before || replayed === after) return;
      lastReport = `attempt ${attempt}: replay\n${replayed}\nlive after\n${after}`;
    }
    assert.fail(`the capture never matched the live host:\n${lastReport}`);
  });

  test('an offline CPU whose dir has nothing readable still exists in the capture', async () => {
    // No cpu/present here, so the reader learns of cpu1 only from the cpu dir's listing; a dump
    // that copied read files only would lose it.
    const root = scratchDir('offline-empty');
    const cpuDir = path.join(root, 'sys/devices/system/cpu');
    fs.mkdirSync(path.join(cpuDir, 'cpu0/topology'), { recursive: true });
    fs.mkdirSync(path.join(cpuDir, 'cpu1'), { recursive: true });
    fs.writeFileSync(path.join(cpuDir, 'online'), '0\n');
    fs.writeFileSync(path.join(cpuDir, 'cpu0/topology/physical_package_id'), '0\n');
    fs.writeFileSync(path.join(cpuDir, 'cpu0/topology/core_id'), '0\n');
    const capture = path.join(scratchDir('dump-offline'), 'capture');
    const dump = await runCliStatus(['--root', root, 'dump-host', capture]);
    assert.equal(dump.status, 0, dump.stderr);
    const replayed = JSON.parse(await topologyJson(['--root', capture]));
    assert.deepEqual(replayed.cpus.map((cpu: { cpu: number; online: boolean }) => [cpu.cpu, cpu.online]), [[0, true], [1, false]]);
    assert.equal(await topologyJson(['--root', capture]), await topologyJson(['--root', root]));
  });

  test('into a non-empty directory: exit 2, one line, nothing written', async () => {
    const root = fixtureRoot('hwloc-nvidia-dgx-gb10');
    const dir = scratchDir('dump-nonempty');
    fs.writeFileSync(path.join(dir, 'precious.txt'), 'keep me\n');
    // The parent too: a staging dir left beside DIR would be "something written".
    const before = listTree(path.dirname(dir));
    const { status, stdout, stderr } = await runCliStatus(['--root', root, 'dump-host', dir]);
    assert.equal(status, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /^kvm-tui: dump-host: .* exists and is not empty\n$/);
    assert.deepEqual(listTree(path.dirname(dir)), before);
    assert.equal(fs.readFileSync(path.join(dir, 'precious.txt'), 'utf8'), 'keep me\n');
  });

  test('onto an existing file: exit 2, one line, the file untouched', async () => {
    const file = path.join(scratchDir('dump-file'), 'a-file');
    fs.writeFileSync(file, 'data\n');
    const { status, stderr } = await runCliStatus(['dump-host', file]);
    assert.equal(status, 2);
    assert.match(stderr, /^kvm-tui: dump-host: .* exists and is not a directory\n$/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'data\n');
  });

  test('without DIR: exit 2 naming what is missing', async () => {
    const { status, stderr } = await runCliStatus(['dump-host']);
    assert.equal(status, 2);
    assert.match(stderr, /^kvm-tui: dump-host: missing DIR.*\n$/);
  });

  test('where DIR cannot be created: exit 1 with one line, no stack trace, no hang', () => {
    // Node 20's recursive mkdir spins forever under /proc; dump-host must not use it there.
    // Spawned on purpose: that spin is a synchronous mkdirSync, which in this process would
    // freeze the test runner itself (no timeout can fire); a child process is killed at its
    // timeout, so a regression fails instead of hanging the suite.
    const { code: status, stderr } = runCliProcess(['dump-host', '/proc/kvm-tui-no-such-dir/capture']);
    assert.equal(status, 1);
    assert.match(stderr, /^kvm-tui: dump-host: could not write /);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });

  test('a hostile capture (".." mount points, links out of it, a FIFO) is copied only from inside it, only into DIR, without hanging', async () => {
    const work = scratchDir('dump-hostile');
    const root = path.join(work, 'root');
    fs.cpSync(fixtureRoot('hwloc-offline-cpu0-node0'), root, { recursive: true });
    const outside = path.join(work, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'cgroup.controllers'), 'cpuset secret\n');
    fs.mkdirSync(path.join(root, 'proc'), { recursive: true });
    // A cgroup2 mount at "../../outside": the audit reads files under the mount point.
    fs.writeFileSync(path.join(root, 'proc/mounts'), `cgroup2 /../../outside cgroup2 rw 0 0\nhugetlbfs /dev/hugepages hugetlbfs rw,pagesize=2M 0 0\n`);
    fs.symlinkSync(path.join(outside, 'cgroup.controllers'), path.join(root, 'proc/modules'));
    fs.rmSync(path.join(root, 'proc/cmdline'), { force: true });
    execFileSync('mkfifo', [path.join(root, 'proc/cmdline')]);
    const capture = path.join(work, 'capture');
    const dump = await runCliStatus(['--root', root, 'dump-host', capture]);
    assert.equal(dump.status, 0, dump.stderr);
    assert.deepEqual(fs.readdirSync(work).sort(), ['capture', 'outside', 'root'], 'nothing written beside DIR');
    assert.deepEqual(fs.readdirSync(outside), ['cgroup.controllers']);
    const copied = listTree(capture);
    assert.ok(!copied.some((entry) => entry.includes('outside')), copied.join(' '));
    assert.ok(!fs.existsSync(path.join(capture, 'proc/modules')), 'a link out of the capture is not followed');
    assert.ok(!fs.existsSync(path.join(capture, 'proc/cmdline')), 'a FIFO is not copied');
    const grep = copied.filter((entry) => fs.statSync(path.join(capture, entry)).isFile() && fs.readFileSync(path.join(capture, entry), 'utf8').includes('secret'));
    assert.deepEqual(grep, []);
  });
});
