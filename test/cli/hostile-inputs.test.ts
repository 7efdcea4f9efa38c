/**
 * Hostile captures and inputs against the shipped bundle, each run in a child process with a time
 * limit: FIFOs, devices and huge files where kvm-tui expects small text, links and ".." out of a
 * capture, absurd cpulists and counts, names the kernel or XML cannot take, and shell text built
 * from host strings. Each asserts the exit code, a one-line error where there is one, and that
 * nothing outside what was asked is read, written or run.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { scratchDir } from '../helpers/fixture-root.js';
import { REPO } from '../helpers/run-cli.js';
import { BUNDLE, ensureBundle } from '../helpers/bundle.js';

const BARE = path.join(REPO, 'test/fixtures/hosts/bare');
const LIMIT_MS = 15_000;

before(() => {
  ensureBundle();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function kvmTui(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const started = Date.now();
  const home = scratchDir('hostile-home');
  const result = spawnSync(process.execPath, [BUNDLE, ...args], {
    encoding: 'utf8',
    timeout: LIMIT_MS,
    env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache'), NO_COLOR: '1', ...env },
    cwd: home,
  });
  const ms = Date.now() - started;
  assert.notEqual(result.signal, 'SIGTERM', `kvm-tui ${args.join(' ')} hung (killed after ${LIMIT_MS} ms)`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, ms };
}

/** A copy of the bare fixture host to spoil. */
function capture(label: string): string {
  const root = path.join(scratchDir(`hostile-${label}`), 'root');
  fs.cpSync(BARE, root, { recursive: true });
  return root;
}

const oneLine = (text: string) => text.trim().split('\n').length === 1;

describe('hostile files where kvm-tui expects small text', () => {
  it('a FIFO, /dev/zero or a directory as --spec: exit 2, one line, at once', () => {
    const fifo = path.join(scratchDir('hostile-spec'), 'spec.json');
    execFileSync('mkfifo', [fifo]);
    for (const [spec, why] of [[fifo, /is a FIFO, not a regular file/], ['/dev/zero', /is not a regular file/], ['/tmp', /is a directory/]] as const) {
      const run = kvmTui(['plan', '--spec', spec]);
      assert.equal(run.code, 2, run.stderr);
      assert.ok(oneLine(run.stderr), run.stderr);
      assert.match(run.stderr, why);
    }
  });

  it('a FIFO as a user preset: exit 2 naming it, not a hang', () => {
    const home = scratchDir('hostile-presets');
    const dir = path.join(home, 'kvm-tui', 'presets');
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('mkfifo', [path.join(dir, 'evil.json')]);
    const run = kvmTui(['presets'], { XDG_CONFIG_HOME: home });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /evil\.json.*is a FIFO/);
  });

  it('FIFOs and a link to /dev/zero inside a capture: audit and topology finish, reading none of them', () => {
    const root = capture('fifo');
    fs.rmSync(path.join(root, 'proc/cmdline'));
    execFileSync('mkfifo', [path.join(root, 'proc/cmdline')]);
    fs.rmSync(path.join(root, 'proc/cpuinfo'));
    fs.symlinkSync('/dev/zero', path.join(root, 'proc/cpuinfo'));
    const audit = kvmTui(['--root', root, 'audit', '--json']);
    assert.ok(audit.code === 0 || audit.code === 1, audit.stderr);
    const checks = (JSON.parse(audit.stdout) as { checks: Array<{ id: string; status: string; evidence: string }> }).checks;
    assert.equal(checks.find((check) => check.id === 'virt.cpu-flags')!.status, 'skip', 'cpuinfo unreadable is unknown, not an answer');
    assert.match(checks.find((check) => check.id === 'cpu.isolation')!.evidence, /cmdline/);
    const topology = kvmTui(['--root', root, 'topology', '--json']);
    assert.equal(topology.code, 0, topology.stderr);
  });

  it('a FIFO as cpu/online: topology exits 2 with one line, at once', () => {
    const root = capture('online-fifo');
    const online = path.join(root, 'sys/devices/system/cpu/online');
    fs.rmSync(online, { force: true });
    execFileSync('mkfifo', [online]);
    const run = kvmTui(['--root', root, 'topology']);
    assert.ok(run.code === 0 || run.code === 2, run.stderr);
    if (run.code === 2) assert.ok(oneLine(run.stderr), run.stderr);
  });
});

describe('a program that ignores SIGTERM and leaves children', () => {
  it('as qemu-system-x86_64 on PATH: audit --json is cut at its deadline and exits (not at the child\'s 60 s), naming the timeout', () => {
    const bin = path.join(scratchDir('hostile-term'), 'bin');
    fs.mkdirSync(bin);
    // A wrapper that will not die on TERM, with a child holding its output open.
    fs.writeFileSync(path.join(bin, 'qemu-system-x86_64'), "#!/bin/sh\ntrap '' TERM\nsleep 60 &\nwait\n", { mode: 0o755 });
    const run = kvmTui(['audit', '--json'], { PATH: `${bin}:${process.env.PATH}` });
    assert.ok(run.code === 0 || run.code === 1, run.stderr);
    const row = (JSON.parse(run.stdout) as { checks: Array<{ id: string; status: string; evidence: string }> }).checks.find((check) => check.id === 'qemu.binary')!;
    assert.equal(row.status, 'skip', JSON.stringify(row));
    assert.match(row.evidence, /timed out/);
    // kvmTui fails the test if the process hangs past 15 s; the wrapper's child would hold it 60 s.
    assert.ok(run.ms < LIMIT_MS, `exited after ${run.ms} ms`);
  });
});

describe('kvm-tui\'s own caches are read like any untrusted file', () => {
  it('a FIFO, a link to /dev/zero or an oversized file as versions.json or cpu-models.json: audit and plan finish, a FIFO or link is left as it was', () => {
    const fill = (dir: string, name: string, kind: string) => {
      const file = path.join(dir, name);
      if (kind === 'fifo') execFileSync('mkfifo', [file]);
      else if (kind === 'zero') fs.symlinkSync('/dev/zero', file);
      else fs.writeFileSync(file, `{"k":"${'x'.repeat(5 * 1024 * 1024)}"}`);
      return file;
    };
    for (const kind of ['fifo', 'zero', 'huge']) {
      const cache = path.join(scratchDir(`hostile-cache-${kind}`), 'cache');
      const dir = path.join(cache, 'kvm-tui');
      fs.mkdirSync(dir, { recursive: true });
      const files = ['versions.json', 'cpu-models.json'].map((name) => fill(dir, name, kind));
      const before = files.map((file) => fs.lstatSync(file));
      // The live host: a captured root (--root) asks no binary, so reads no cache.
      const audit = kvmTui(['audit', '--json'], { XDG_CACHE_HOME: cache });
      assert.ok(audit.code === 0 || audit.code === 1, `${kind}: ${audit.stderr}`);
      assert.ok(JSON.parse(audit.stdout).checks.length > 10);
      const plan = kvmTui(['plan', '--preset', 'tiny-test', '--json'], { XDG_CACHE_HOME: cache });
      assert.ok(plan.code === 0 || plan.code === 1, `${kind}: ${plan.stderr}`);
      files.forEach((file, index) => {
        const now = fs.lstatSync(file);
        if (kind === 'huge' && now.ino !== before[index]!.ino) {
          // A regular file of kvm-tui's own that is not a cache may be replaced by a good one.
          assert.ok(now.isFile() && now.size < 1024 * 1024, `${kind}: ${path.basename(file)} replaced by a cache`);
          JSON.parse(fs.readFileSync(file, 'utf8'));
          return;
        }
        assert.equal(now.ino, before[index]!.ino, `${kind}: ${path.basename(file)} was not replaced`);
        assert.equal(now.mode, before[index]!.mode);
      });
    }
  });
});

describe('a capture is a boundary', () => {
  it('links out of it and ".." in its /proc/mounts are not followed: nothing of the real host is read or printed', () => {
    const root = capture('escape');
    const secret = path.join(path.dirname(root), 'secret');
    fs.mkdirSync(secret);
    fs.writeFileSync(path.join(secret, 'cgroup.controllers'), 'cpuset KVMTUI-SECRET\n');
    fs.rmSync(path.join(root, 'proc/modules'));
    fs.symlinkSync('/etc/passwd', path.join(root, 'proc/modules'));
    fs.appendFileSync(path.join(root, 'proc/mounts'), `cgroup2 /../../secret cgroup2 rw 0 0\n`);
    const audit = kvmTui(['--root', root, 'audit', '--json']);
    assert.ok(audit.code === 0 || audit.code === 1, audit.stderr);
    assert.doesNotMatch(audit.stdout, /root:x:0:0|KVMTUI-SECRET/);
  });
});

describe('absurd numbers and names', () => {
  it('a cpulist naming CPU 65536 costs nothing: the reader refuses the list at once', () => {
    const root = capture('cpulist');
    fs.writeFileSync(path.join(root, 'sys/devices/system/cpu/online'), '0-65536\n');
    for (const args of [['topology', '--json'], ['plan', '--preset', 'balanced', '--json'], ['audit', '--json']]) {
      const run = kvmTui(['--root', root, ...args]);
      assert.ok(run.ms < 5000, `${args[0]} took ${run.ms} ms`);
      if (run.code === 2) assert.ok(oneLine(run.stderr), run.stderr);
      // The bad list is not taken as 65537 CPUs: the CPUs the capture has are what counts.
      if (args[0] === 'topology') assert.ok((JSON.parse(run.stdout) as { cpus: unknown[] }).cpus.length < 100);
    }
  });

  it('a negative nr_hugepages is not read as a reserved pool', () => {
    const root = capture('hugepages');
    const dir = path.join(root, 'sys/kernel/mm/hugepages/hugepages-2048kB');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'nr_hugepages'), '-5\n');
    fs.writeFileSync(path.join(dir, 'free_hugepages'), '-5\n');
    for (const node of fs.readdirSync(path.join(root, 'sys/devices/system/node')).filter((name) => /^node\d+$/.test(name))) {
      const nodeDir = path.join(root, 'sys/devices/system/node', node, 'hugepages/hugepages-2048kB');
      if (fs.existsSync(nodeDir)) fs.writeFileSync(path.join(nodeDir, 'nr_hugepages'), '-5\n');
    }
    const audit = kvmTui(['--root', root, 'audit', '--json']);
    const check = (JSON.parse(audit.stdout) as { checks: Array<{ id: string; status: string }> }).checks.find((entry) => entry.id === 'mem.hugepages')!;
    assert.notEqual(check.status, 'pass');
  });

  it('interface names the kernel refuses, and names XML cannot hold: exit 2, one line', () => {
    for (const [args, why] of [
      [['--net', 'tap:.'], /network\.ifname: cannot be "\."/],
      [['--net', 'tap:..'], /network\.ifname: cannot be "\.\."/],
      [['--net', `tap:${'é'.repeat(8)}`], /must be 1-15 bytes/],
      [['--name', 'vm\uFFFF'], /name: must not contain characters XML cannot hold/],
    ] as const) {
      const run = kvmTui(['--root', BARE, 'plan', '--preset', 'balanced', ...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.ok(oneLine(run.stderr), run.stderr);
      assert.match(run.stderr, why);
    }
  });
});

describe('writes go only where asked', () => {
  it('dump-host into a symlink to an empty folder fills that folder', () => {
    const work = scratchDir('hostile-dump');
    const real = path.join(work, 'real');
    fs.mkdirSync(real);
    const link = path.join(work, 'link');
    fs.symlinkSync(real, link);
    const run = kvmTui(['--root', BARE, 'dump-host', link]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the link is kept');
    assert.ok(fs.existsSync(path.join(real, 'sys/devices/system/cpu')), 'the capture is in the folder it names');
    assert.deepEqual(fs.readdirSync(work).sort(), ['link', 'real']);
  });

  it('dump-host leaves out a file larger than any host file it reads (16 MiB), copying the rest', () => {
    const root = capture('dump-big');
    // Sparse: 17 MiB that cost nothing on disk; the probes refuse it as they read it.
    fs.truncateSync(path.join(root, 'proc/cpuinfo'), 17 * 1024 * 1024);
    const out = path.join(scratchDir('hostile-dump-big'), 'capture');
    const run = kvmTui(['--root', root, 'dump-host', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!fs.existsSync(path.join(out, 'proc/cpuinfo')), 'the oversized file is not copied');
    assert.ok(fs.existsSync(path.join(out, 'proc/meminfo')) && fs.existsSync(path.join(out, 'sys/devices/system/cpu/online')), 'the rest is');
  });

  it('generate --out onto a FIFO, a symlink or a 0600 file: each left as it was (a device is refused in generate.test.ts)', () => {
    const work = scratchDir('hostile-out');
    const fifo = path.join(work, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const target = path.join(work, 'target.txt');
    fs.writeFileSync(target, 'keep\n');
    const link = path.join(work, 'link');
    fs.symlinkSync(target, link);
    const secret = path.join(work, 'secret.xml');
    fs.writeFileSync(secret, 'mine\n', { mode: 0o600 });
    for (const out of [fifo, link, secret]) {
      const run = kvmTui(['--root', BARE, 'generate', '--preset', 'tiny-test', '--format', 'xml', '--out', out, ...(out === secret ? [] : ['--force'])]);
      assert.equal(run.code, 2, `${out}: ${run.stderr}`);
      assert.ok(oneLine(run.stderr), run.stderr);
    }
    assert.ok(fs.lstatSync(fifo).isFIFO());
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(target, 'utf8'), 'keep\n');
    assert.equal(fs.readFileSync(secret, 'utf8'), 'mine\n');
    assert.equal(fs.statSync(secret).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(work).sort(), ['fifo', 'link', 'secret.xml', 'target.txt'], 'no temp file left');
  });
});

describe('--out as root onto what is not the user\'s to replace', { skip: process.getuid?.() !== 0 ? 'needs root (mknod, chown)' : false }, () => {
  it('a character device (a /dev/null of our own) with --force: exit 2, one line, the node unchanged', () => {
    const work = scratchDir('hostile-out-dev');
    const device = path.join(work, 'null');
    execFileSync('mknod', ['-m', '0666', device, 'c', '1', '3']);
    const before = fs.lstatSync(device);
    const run = kvmTui(['--root', BARE, 'generate', '--preset', 'tiny-test', '--format', 'qemu', '--out', device, '--force']);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(oneLine(run.stderr), run.stderr);
    assert.match(run.stderr, /is a character device, not a regular file/);
    const after = fs.lstatSync(device);
    assert.ok(after.isCharacterDevice());
    assert.deepEqual([after.ino, after.rdev, after.mode], [before.ino, before.rdev, before.mode]);
    assert.deepEqual(fs.readdirSync(work), ['null'], 'no temp file left');
  });

  it('another user\'s 0600 file with --force: replaced whole, keeping its mode and owner', () => {
    const work = scratchDir('hostile-out-owner');
    const file = path.join(work, 'vm.xml');
    fs.writeFileSync(file, 'theirs\n', { mode: 0o600 });
    fs.chownSync(file, 4242, 4343);
    const run = kvmTui(['--root', BARE, 'generate', '--preset', 'tiny-test', '--format', 'xml', '--out', file, '--force']);
    assert.equal(run.code, 0, run.stderr);
    const stat = fs.statSync(file);
    assert.deepEqual([stat.mode & 0o7777, stat.uid, stat.gid], [0o600, 4242, 4343]);
    assert.match(fs.readFileSync(file, 'utf8'), /^<domain /);
    assert.deepEqual(fs.readdirSync(work), ['vm.xml']);
  });
});

describe('shell text built from hostile values runs nothing it should not', () => {
  it('a --spec path with a newline and $() stays inside the preview\'s comment', () => {
    const dir = path.join(scratchDir('hostile-header'), 'a\ntouch PWNED $(touch PWNED2)');
    fs.mkdirSync(dir);
    const spec = path.join(dir, 'vm.json');
    fs.writeFileSync(spec, JSON.stringify({ name: 'vm', accel: 'tcg', cpu: { model: 'qemu64' }, vcpus: 1, memory: '64M', network: 'none' }));
    const run = kvmTui(['--root', BARE, 'generate', '--spec', spec, '--format', 'qemu']);
    assert.equal(run.code, 0, run.stderr);
    const header = run.stdout.split('\n')[0]!;
    assert.match(header, /^# kvm-tui: QEMU command for VM "vm" \(.*a\\ntouch PWNED \$\(touch PWNED2\).*\)/);
    const sandbox = scratchDir('hostile-run');
    const stub = path.join(sandbox, 'bin');
    fs.mkdirSync(stub);
    for (const name of ['qemu-system-x86_64', 'mkdir']) fs.writeFileSync(path.join(stub, name), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const ran = spawnSync('/bin/bash', ['-c', run.stdout], { cwd: sandbox, env: { PATH: stub }, encoding: 'utf8' });
    assert.equal(ran.status, 0, ran.stderr);
    assert.deepEqual(fs.readdirSync(sandbox), ['bin'], 'nothing but the stubs ran');
  });
});
