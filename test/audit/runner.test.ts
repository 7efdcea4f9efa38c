/**
 * How the audit behaves when things go wrong: a throwing check, a hanging command, an unreadable
 * file, a failing or slow process. Plus the pieces around it: the version cache, the command
 * runner, applying a fix, the fix script, and dump-host capturing every file the checks read.
 */
import assert from 'node:assert/strict';
import { realClock } from '../../src/run/real-services.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { makeApplyFix } from '../../src/audit/apply-fix.js';
import { ALL_CHECKS } from '../../src/audit/checks/index.js';
import { makeFix, stepToShell, writeFileStep } from '../../src/audit/fix.js';
import { buildFixScript, FixScriptExists, writeFixScript } from '../../src/audit/fix-script.js';
import { buildProbeContext } from '../../src/audit/probe-context.js';
import { countStatuses, runCheck, runChecks } from '../../src/audit/run-checks.js';
import type { Check, CheckResult } from '../../src/audit/types.js';
import { makeVersionOf } from '../../src/audit/version-cache.js';
import { HostFs } from '../../src/host/host-fs.js';
import { runCommand, type CommandResult, type RunCommand } from '../../src/run/run-command.js';
import { HOSTS_DIR } from './fixture-hosts.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-audit-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function copyFixture(name: string): string {
  const target = fs.mkdtempSync(path.join(scratch, `${name}-`));
  fs.cpSync(path.join(HOSTS_DIR, name), target, { recursive: true });
  return target;
}

const OK = (stdout: string): CommandResult => ({ ok: true, stdout, stderr: '', exitCode: 0, timedOut: false, error: null });

function liveishContext(root: string, run: RunCommand, which: (name: string) => string | null = (name) => `/usr/bin/${name}`) {
  // A fixture root read as if live, so command checks run against a fake runner and PATH.
  return buildProbeContext({ clock: realClock, hostFs: new HostFs(root), capturedRoot: false, env: {}, run, which, versionCacheFile: null });
}

describe('check isolation', () => {
  test('a check that throws becomes skip with the error, and the others still run', async () => {
    const boom: Check = { id: 't.boom', title: 'boom', category: 'cpu', needsRoot: false, why: 'test', run: () => { throw new Error('kaput'); } };
    const fine: Check = { id: 't.fine', title: 'fine', category: 'cpu', needsRoot: false, why: 'test', run: () => ({ status: 'pass', evidence: 'ok', fix: null }) };
    const ctx = buildProbeContext({ clock: realClock, hostFs: new HostFs(path.join(HOSTS_DIR, 'pvm')), capturedRoot: true, env: {} });
    const seen: string[] = [];
    const results = await runChecks([boom, fine], ctx, (result) => seen.push(result.id));
    assert.deepEqual(results.map((result) => [result.id, result.status]), [['t.boom', 'skip'], ['t.fine', 'pass']]);
    assert.match(results[0]!.evidence, /check failed: kaput/);
    assert.deepEqual(seen.sort(), ['t.boom', 't.fine']);
  });

  test('a command check that hangs is cut by its deadline and becomes skip', async () => {
    const hang: Check = {
      id: 't.hang', title: 'hang', category: 'cpu', needsRoot: false, why: 'test', runsCommands: true,
      run: () => new Promise(() => undefined),
    };
    const ctx = buildProbeContext({ clock: realClock, hostFs: new HostFs(path.join(HOSTS_DIR, 'pvm')), capturedRoot: true, env: {} });
    const started = Date.now();
    const result = await runCheck(hang, ctx, 100);
    assert.equal(result.status, 'skip');
    assert.match(result.evidence, /timed out after 100 ms/);
    assert.ok(Date.now() - started < 1000);
  });

  test('a version query that times out makes qemu.binary skip with the reason', async () => {
    const run: RunCommand = async () => ({ ok: false, stdout: '', stderr: '', exitCode: null, timedOut: true, error: 'timed out after 2000 ms' });
    const results = await runChecks(ALL_CHECKS.filter((check) => check.runsCommands), liveishContext(path.join(HOSTS_DIR, 'pvm'), run));
    const qemu = results.find((result) => result.id === 'qemu.binary')!;
    assert.equal(qemu.status, 'skip');
    assert.match(qemu.evidence, /--version: timed out after 2000 ms/);
  });

  test('command checks read versions from the runner and report a missing binary', async () => {
    const calls: string[][] = [];
    const run: RunCommand = async (argv) => {
      calls.push([...argv]);
      return OK(argv[0]!.includes('qemu') ? 'QEMU emulator version 5.2.0 (Debian 1:5.2+dfsg-11)\nCopyright' : '9.0.0');
    };
    const results = await runChecks(ALL_CHECKS.filter((check) => check.runsCommands), liveishContext(path.join(HOSTS_DIR, 'pvm'), run, (name) => (name === 'numactl' ? null : `/usr/bin/${name}`)));
    const byId = new Map(results.map((result) => [result.id, result]));
    assert.equal(byId.get('qemu.binary')!.status, 'warn', 'QEMU 5.2 is older than 6.0');
    assert.match(byId.get('qemu.binary')!.evidence, /QEMU 5\.2\.0/);
    assert.equal(byId.get('libvirt.virsh')!.status, 'pass');
    assert.equal(byId.get('numa.numactl')!.status, 'warn');
    assert.deepEqual(calls.sort(), [['/usr/bin/qemu-system-x86_64', '--version'], ['/usr/bin/virsh', '--version']].sort());
  });

  test('an unreadable file makes its check report unknown with the reason, not a guess', async () => {
    const root = copyFixture('well-tuned');
    fs.rmSync(path.join(root, 'proc/sys/vm/swappiness'));
    fs.mkdirSync(path.join(root, 'proc/sys/vm/swappiness'));
    fs.rmSync(path.join(root, 'proc/mounts'));
    const ctx = buildProbeContext({ clock: realClock, hostFs: new HostFs(root), capturedRoot: true, env: {} });
    const results = new Map((await runChecks(ALL_CHECKS, ctx)).map((result) => [result.id, result]));
    assert.equal(results.get('mem.swappiness')!.status, 'skip');
    assert.equal(results.get('mem.swappiness')!.evidence, 'unknown: /proc/sys/vm/swappiness: is a directory');
    for (const id of ['mem.hugetlbfs', 'cgroups.version', 'cgroups.controllers', 'cgroups.cpuset']) {
      assert.equal(results.get(id)!.status, 'skip', id);
      assert.equal(results.get(id)!.evidence, 'unknown: /proc/mounts: missing', id);
    }
  });

  test('a root without any CPU information still audits (topology unknown), without throwing', async () => {
    const root = fs.mkdtempSync(path.join(scratch, 'empty-'));
    const ctx = buildProbeContext({ clock: realClock, hostFs: new HostFs(root), capturedRoot: true, env: {} });
    assert.ok(ctx.topologyError);
    const results = await runChecks(ALL_CHECKS, ctx);
    assert.equal(results.length, ALL_CHECKS.length);
    assert.equal(results.find((result) => result.id === 'numa.nodes')!.status, 'skip');
    assert.match(results.find((result) => result.id === 'virt.cpu-flags')!.evidence, /^unknown: \/proc\/cpuinfo: missing/);
    assert.equal(countStatuses(results).fail > 0, true, 'no /dev/kvm is still a finding');
  });
});

describe('live /dev/kvm access', () => {
  test('a device this user cannot open fails with the group to join', async () => {
    // Root opens anything, so the host's answer is faked: a char device of group kvm (gid 108
    // in the fixture's /etc/group) that access(2) refuses to uid 1000 (alice in /etc/passwd).
    class RefusingHostFs extends HostFs {
      override canAccess(): boolean {
        return false;
      }
      override stat(hostPath: string): fs.Stats | null {
        if (hostPath !== '/dev/kvm') return super.stat(hostPath);
        return { isCharacterDevice: () => true, rdev: (10 << 8) | 232, mode: 0o20660, gid: 108 } as unknown as fs.Stats;
      }
    }
    const ctx = buildProbeContext({
      clock: realClock,
      hostFs: new RefusingHostFs(path.join(HOSTS_DIR, 'well-tuned')),
      capturedRoot: false,
      env: {},
      run: null,
      user: { uid: 1000, gid: 1000, groups: [1000] },
    });
    const result = await runCheck(ALL_CHECKS.find((check) => check.id === 'kvm.device')!, ctx);
    assert.equal(result.status, 'fail');
    assert.equal(result.evidence, '/dev/kvm: char device 10:232, mode 660, group kvm: not read-write for uid 1000 (not in group kvm)');
    assert.deepEqual(result.fix!.persistent, ['usermod -aG kvm alice', '# then log out and in again (group membership is read at login)']);
  });
});

describe('version cache', () => {
  test('a second query for the same binary is served from the cache file, no spawn', async () => {
    const cacheFile = path.join(scratch, 'cache', 'versions.json');
    let spawns = 0;
    const run: RunCommand = async () => {
      spawns++;
      return OK('QEMU emulator version 7.2.22');
    };
    const binary = process.execPath; // any existing file: the key is its size, mtime and inode
    const first = await makeVersionOf(run, 'off', cacheFile)(binary, [binary, '--version']);
    const second = await makeVersionOf(run, 'off', cacheFile)(binary, [binary, '--version']);
    assert.deepEqual([first.cached, second.cached, spawns], [false, true, 1]);
    assert.equal(second.text, 'QEMU emulator version 7.2.22');
    const other = await makeVersionOf(run, 'off', cacheFile)(binary, [binary, '-V']);
    assert.equal(other.cached, false, 'another argv is another key');
  });

  test('no runner: the reason comes back and nothing is cached', async () => {
    const answer = await makeVersionOf(null, 'captured host: command not run', null)('/bin/true', ['/bin/true']);
    assert.deepEqual(answer, { text: null, error: 'captured host: command not run', cached: false });
  });
});

describe('runCommand (real processes)', () => {
  test('ok, failing, missing, stdin and timeout all come back as data', async () => {
    const ok = await runCommand(['echo', 'hello']);
    assert.deepEqual([ok.ok, ok.stdout, ok.exitCode], [true, 'hello', 0]);
    const failing = await runCommand(['sh', '-c', 'echo oops >&2; exit 3']);
    assert.deepEqual([failing.ok, failing.exitCode, failing.error], [false, 3, 'exit status 3: oops']);
    const missing = await runCommand(['/nonexistent/kvm-tui-binary']);
    assert.equal(missing.ok, false);
    assert.match(missing.error!, /not found|ENOENT/);
    const fed = await runCommand(['cat'], { input: 'through stdin\n' });
    assert.equal(fed.stdout, 'through stdin');
    const started = Date.now();
    const slow = await runCommand(['sleep', '5'], { timeoutMs: 150 });
    assert.deepEqual([slow.ok, slow.timedOut, slow.error], [false, true, 'timed out after 150 ms']);
    assert.ok(Date.now() - started < 2000, 'killed promptly');
  });
});

describe('fixes', () => {
  test('shell text is derived from the argv steps, quoted', () => {
    assert.equal(stepToShell({ argv: ['sysctl', '-w', 'vm.nr_hugepages=512'] }), 'sysctl -w vm.nr_hugepages=512');
    assert.equal(stepToShell(writeFileStep(['/sys/a b/x'], 'performance')), "echo performance | tee '/sys/a b/x' >/dev/null");
  });

  test('a guarded step reads GUARD || STEP, and applyFix skips it when the guard succeeds', async () => {
    const mount = { argv: ['mount', '-t', 'hugetlbfs', 'hugetlbfs', '/dev/hugepages'], unless: ['mountpoint', '-q', '/dev/hugepages'] };
    assert.equal(stepToShell(mount), 'mountpoint -q /dev/hugepages || mount -t hugetlbfs hugetlbfs /dev/hugepages');
    assert.equal(stepToShell({ ...writeFileStep(['/sys/x'], 'on'), unless: ['grep', '-qx', 'on', '/sys/x'] }), 'grep -qx on /sys/x || echo on | tee /sys/x >/dev/null');
    const calls: string[] = [];
    const mounted = (answer: boolean): RunCommand => async (argv) => {
      calls.push(argv.join(' '));
      return argv[0] === 'mountpoint' && !answer ? { ok: false, stdout: '', stderr: '', exitCode: 1, timedOut: false, error: 'exit status 1' } : OK('');
    };
    const fix = makeFix({ steps: [{ argv: ['mkdir', '-p', '/dev/hugepages'] }, mount], applicable: true });
    const first = await makeApplyFix(mounted(false))(fix);
    assert.equal(first.ok, true);
    assert.deepEqual(calls.splice(0), ['mkdir -p /dev/hugepages', 'mountpoint -q /dev/hugepages', 'mount -t hugetlbfs hugetlbfs /dev/hugepages']);
    const again = await makeApplyFix(mounted(true))(fix);
    assert.equal(again.ok, true);
    assert.deepEqual(calls, ['mkdir -p /dev/hugepages', 'mountpoint -q /dev/hugepages'], 'no second mount');
    assert.equal(again.log.at(-1), 'already done: mountpoint -q /dev/hugepages || mount -t hugetlbfs hugetlbfs /dev/hugepages');
  });

  test('applyFix runs only the apply steps, in order, and stops at the first failure', async () => {
    const calls: { argv: readonly string[]; input?: string }[] = [];
    const run: RunCommand = async (argv, options) => {
      calls.push({ argv, input: options?.input });
      return argv[0] === 'mount'
        ? { ok: false, stdout: '', stderr: 'mount: permission denied', exitCode: 32, timedOut: false, error: 'exit status 32: mount: permission denied' }
        : OK('');
    };
    const fix = makeFix({
      steps: [{ argv: ['mkdir', '-p', '/dev/hugepages'] }, { argv: ['mount', '-t', 'hugetlbfs', 'hugetlbfs', '/dev/hugepages'] }, { argv: ['true'] }],
      persistent: ["echo 'x' >> /etc/fstab"],
      applicable: true,
    });
    const outcome = await makeApplyFix(run)(fix);
    assert.equal(outcome.ok, false);
    assert.deepEqual(calls.map((call) => call.argv[0]), ['mkdir', 'mount']);
    assert.match(outcome.error!, /mount -t hugetlbfs .*permission denied/);
    const notApplicable = await makeApplyFix(run)(makeFix({ runtime: ['# by hand'] }));
    assert.equal(notApplicable.ok, false);
    assert.equal(calls.length, 2, 'nothing ran for a non-applicable fix');
  });

  test('the fix script holds every fix with its flags, and is never overwritten silently', async () => {
    const ctx = buildProbeContext({ clock: realClock, hostFs: new HostFs(path.join(HOSTS_DIR, 'bare')), capturedRoot: true, env: {} });
    const results: CheckResult[] = await runChecks(ALL_CHECKS, ctx);
    const script = buildFixScript(results, new Date('2026-01-02T03:04:05Z'));
    assert.match(script, /^#!\/bin\/sh\n# kvm-tui host fixes, generated 2026-01-02T03:04:05.000Z/);
    assert.match(script, /# --- cpu.governor \[warn\] CPU frequency governor \(needs root\)\n/);
    assert.match(script, /echo performance \| tee \/sys\/devices\/system\/cpu\/cpu0\/cpufreq\/scaling_governor/);
    assert.match(script, /# --- virt.firmware \[fail\] .*reboot needed/);
    assert.match(script, /\nmkdir -p \/etc\/modules-load.d; echo vhost_net > \/etc\/modules-load.d\/vhost_net.conf\n/);
    // Info rows are trade-offs: their commands are present but commented out.
    assert.match(script, /# --- mem\.ksm \[info\][^\n]*\n(?:# [^\n]*\n)*# optional \(not a problem\): uncomment to apply\n# now:\n# echo 0 \| tee \/sys\/kernel\/mm\/ksm\/run >\/dev\/null\n/);
    for (const result of results.filter((entry) => entry.fix && entry.status !== 'pass')) {
      assert.ok(script.includes(`# --- ${result.id} `), `${result.id} in the script`);
    }
    const file = path.join(scratch, 'fixes.sh');
    assert.equal(writeFixScript(file, script), file);
    assert.equal(fs.readFileSync(file, 'utf8'), script);
    assert.equal(fs.statSync(file).mode & 0o777, 0o755);
    assert.throws(() => writeFixScript(file, 'other'), FixScriptExists);
    assert.equal(fs.readFileSync(file, 'utf8'), script, 'untouched after the refusal');
    writeFixScript(file, 'replaced\n', { overwrite: true });
    assert.equal(fs.readFileSync(file, 'utf8'), 'replaced\n');
    assert.deepEqual(fs.readdirSync(scratch).filter((name) => name.includes('.tmp')), [], 'no temp file left');
  });
});

describe('dump-host captures what the checks read', () => {
  test('a capture of each fixture host replays to the same audit', async () => {
    const { runMain } = await import('../helpers/test-services.js');
    for (const name of ['well-tuned', 'bare', 'pvm', 'hugepages-one-node']) {
      const capture = path.join(scratch, `capture-${name}`);
      const { code } = await runMain(['--root', path.join(HOSTS_DIR, name), 'dump-host', capture]);
      assert.equal(code, 0);
      const audit = async (root: string) => {
        const ctx = buildProbeContext({ clock: realClock, hostFs: new HostFs(root), capturedRoot: true, env: {} });
        return (await runChecks(ALL_CHECKS, ctx)).map((result) => `${result.id} ${result.status} ${result.evidence}`);
      };
      assert.deepEqual(await audit(capture), await audit(path.join(HOSTS_DIR, name)), name);
    }
  });
});
