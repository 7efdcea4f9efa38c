/**
 * Hardening (issue 14), in-process: a flag given twice is a usage error for every command; an
 * internal error is one line and where to report it (the trace only with --debug); text XML
 * cannot hold is refused in every spec field that reaches the libvirt XML; and the shell text
 * of every generator, built from hostile names and paths, passes `bash -n` and runs under a
 * PATH of stubs doing exactly what it says, nothing more.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { OPTION_TYPES } from '../../src/cli-args.js';
import { reportError } from '../../src/cli.js';
import { COMMAND_TABLE } from '../../src/commands/table.js';
import { buildSwtpmArgs } from '../../src/generate/swtpm.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { REPO } from '../helpers/run-cli.js';
import { runMain } from '../helpers/test-services.js';

const BARE = path.join(REPO, 'test/fixtures/hosts/bare');
const oneLine = (text: string) => text.trim().split('\n').length === 1;

describe('a flag given twice is a usage error, for every command', () => {
  const single = Object.entries(OPTION_TYPES).filter(([, type]) => !(type as { multiple?: boolean }).multiple);

  it('every command x every single-valued flag, both spellings: exit 2, one line naming the flag, nothing run', async () => {
    assert.ok(single.length > 20, 'the table was read');
    for (const { name: command } of COMMAND_TABLE) {
      for (const [flag, type] of single) {
        const words = type.type === 'boolean' ? [`--${flag}`, `--${flag}`] : [`--${flag}`, 'a', `--${flag}=b`];
        const args = command === '' ? words : [command, ...words];
        const result = await runMain(args, { env: { NO_COLOR: '1', HOME: '/nonexistent' } });
        assert.equal(result.code, 2, `kvm-tui ${args.join(' ')}: ${result.stderr}`);
        assert.equal(result.stderr, `kvm-tui: --${flag} given more than once\n`, `kvm-tui ${args.join(' ')}`);
        assert.equal(result.stdout, '');
      }
    }
  });

  it('--connect twice is refused for every command but monitor (the fleet view)', async () => {
    for (const { name: command } of COMMAND_TABLE.filter((entry) => entry.name !== 'monitor')) {
      const args = [...(command === '' ? [] : [command]), '--connect', 'qemu:///system', '--connect', 'qemu:///session'];
      const result = await runMain(args, { env: { NO_COLOR: '1', HOME: '/nonexistent' } });
      assert.equal(result.code, 2, `kvm-tui ${args.join(' ')}: ${result.stderr}`);
      assert.ok(oneLine(result.stderr) && /--connect given more than once/.test(result.stderr), result.stderr);
    }
  });
});

describe('an internal error', () => {
  // What the issue saw: a message carrying the embedded bundle's data: URL (3.4 MB).
  const huge = new TypeError(`Cannot read properties of undefined (reading 'x') at data:text/javascript;base64,${'A'.repeat(3_400_000)}\nsecond line`);

  it('is one line and where to report it; the trace only with --debug', () => {
    let text = '';
    const code = reportError(huge, { stderr: (chunk) => void (text += chunk), debug: false });
    assert.equal(code, 70);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 2, text.slice(0, 500));
    assert.match(lines[0]!, /^kvm-tui: internal error: Cannot read properties of undefined \(reading 'x'\)/);
    assert.ok(lines[0]!.length < 400, `the error line is cut (${lines[0]!.length} chars)`);
    assert.match(lines[1]!, /^hint: this is a bug in kvm-tui; run again with --debug for the full trace and report it with the output of kvm-tui dump-host$/);
    assert.doesNotMatch(text, /\n\s+at /, 'no stack frames');

    let debug = '';
    reportError(huge, { stderr: (chunk) => void (debug += chunk), debug: true });
    assert.match(debug, /\n\s+at /, '--debug prints the trace');
  });

  it('through main: a failure no command expects exits 70 with that line, not a trace', async () => {
    const result = await runMain(['--root', BARE, 'topology', '--json'], {
      stdout: () => {
        throw new TypeError('stdout broke');
      },
    });
    assert.equal(result.code, 70);
    assert.match(result.stderr, /^kvm-tui: internal error: stdout broke\nhint: this is a bug in kvm-tui; .*--debug/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});

describe('text XML cannot hold is refused before anything is generated', () => {
  it('in a disk path, an extra QEMU argument and the name: exit 2, one line, the field named', async () => {
    const dir = scratchDir('hardening-xml');
    const spec = (extraArgs: string[]) => {
      const file = path.join(dir, `spec-${extraArgs.join('').codePointAt(1)}.json`);
      fs.writeFileSync(file, JSON.stringify({ name: 'vm', accel: 'tcg', cpu: { model: 'qemu64' }, vcpus: 1, memory: '64M', network: 'none', extraArgs }));
      return file;
    };
    const cases: Array<[string[], RegExp]> = [
      [['--preset', 'tiny-test', '--disk', '/srv/a\uFFFFb.raw'], /disks\[0\]\.path: must not contain characters XML cannot hold/],
      [['--preset', 'tiny-test', '--disk', '/srv/a\uFFFEb.raw'], /disks\[0\]\.path: must not contain characters XML cannot hold/],
      [['--preset', 'tiny-test', '--name', 'vm\uFFFE'], /name: must not contain characters XML cannot hold/],
      [['--spec', spec(['-smbios', 'type=1,product=a\u0001b'])], /extraArgs\[1\]: must not contain characters XML cannot hold/],
      [['--spec', spec(['-smbios', 'type=1,product=a\uFFFFb'])], /extraArgs\[1\]: must not contain characters XML cannot hold/],
    ];
    for (const [args, why] of cases) {
      for (const command of [['plan'], ['generate', '--format', 'xml']]) {
        const result = await runMain(['--root', BARE, ...command, ...args], { env: { NO_COLOR: '1', HOME: dir } });
        assert.equal(result.code, 2, `${command[0]} ${args.join(' ')}: ${result.stderr}`);
        assert.ok(oneLine(result.stderr), result.stderr);
        assert.match(result.stderr, why);
        assert.equal(result.stdout, '');
      }
    }
    // Tab and newline are XML characters: an argument may still hold them.
    const fine = await runMain(['--root', BARE, 'generate', '--format', 'xml', '--spec', spec(['-smbios', 'type=1,product=a\tb'])], { env: { NO_COLOR: '1', HOME: dir } });
    assert.equal(fine.code, 0, fine.stderr);
  });
});

/** Every path under `dir` (names only), for "nothing else was made". */
function tree(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir).sort().flatMap((name) => {
    const full = path.join(dir, name);
    const entry = path.join(prefix, name);
    return fs.lstatSync(full).isDirectory() ? [entry, ...tree(full, entry)] : [entry];
  });
}

describe('shell text from every generator, built from hostile values, runs as written', () => {
  const NAME = `w "q" 'q' $(touch PWNED) \`touch PWNED\` ;& é`;
  const DISK = `/srv/d $(touch PWNED)/a'b"c.qcow2`;

  /** A sandbox whose run and state dirs hold shell syntax too, stubs that log their calls. */
  function sandbox(label: string) {
    const work = scratchDir(label);
    const bin = path.join(work, 'bin');
    const cwd = path.join(work, 'cwd');
    const home = path.join(work, `home $(touch PWNED) 'q'`);
    for (const dir of [bin, cwd, home]) fs.mkdirSync(dir, { recursive: true });
    const log = path.join(work, 'calls');
    const argvFile = path.join(work, 'qemu.argv');
    // Each stub writes its name and arguments NUL-separated, one call per record.
    const logCall = `printf '%s\\0' "\${0##*/}" "$@" >> ${JSON.stringify(log)}; printf '\\n' >> ${JSON.stringify(log)}`;
    const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    stub('qemu-system-x86_64', `${logCall}\nprintf '%s\\0' "$@" > ${JSON.stringify(argvFile)}`);
    stub('install', logCall);
    // swtpm's control socket appears where the script waits for it (in the run dir, its cwd).
    stub('setsid', `${logCall}\nexec /usr/bin/perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => "swtpm.sock", Listen => 1) or die "$!"'`);
    stub('perl', `${logCall}\nexit 1`);
    for (const tool of ['mkdir', 'ln', 'sleep', 'cat', 'grep', 'touch']) fs.symlinkSync(fs.existsSync(`/bin/${tool}`) ? `/bin/${tool}` : `/usr/bin/${tool}`, path.join(bin, tool));
    const env = { NO_COLOR: '1', HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_RUNTIME_DIR: path.join(home, 'run'), XDG_STATE_HOME: path.join(home, 'state') };
    const calls = () =>
      fs.existsSync(log)
        ? fs.readFileSync(log, 'utf8').split('\0\n').filter(Boolean).map((record) => record.split('\0'))
        : [];
    return { work, bin, cwd, home, env, calls, argv: () => fs.readFileSync(argvFile, 'utf8').replace(/\0$/, '').split('\0') };
  }

  // A user, not root: the run dir then follows XDG_RUNTIME_DIR into the sandbox.
  const identity = { uid: 4242, gid: 4242, groups: [], pid: process.pid };
  const vmArgs = ['--root', BARE, '--preset', 'desktop-passthrough', '--accel', 'tcg', '--vcpus', '2', '--memory', '1G', '--hugepages', 'none', '--name', NAME, '--disk', DISK];

  it('generate --format qemu (UEFI store, TPM, run dir): bash -n, then run: the exact argv reaches QEMU and nothing else runs', async () => {
    const box = sandbox('hardening-qemu');
    const json = await runMain(['generate', ...vmArgs, '--format', 'json'], { env: box.env, identity });
    assert.equal(json.code, 0, json.stderr);
    const generated = JSON.parse(json.stdout) as { argv: string[] };
    const preview = await runMain(['generate', ...vmArgs, '--format', 'qemu'], { env: box.env, identity });
    assert.equal(preview.code, 0, preview.stderr);
    assert.ok(preview.stdout.includes('swtpm') && preview.stdout.includes('uefi-vars'), 'the platform setup is in the preview');
    assert.equal(spawnSync('bash', ['-n'], { input: preview.stdout }).status, 0);

    const ran = spawnSync('/bin/bash', ['-c', preview.stdout], { cwd: box.cwd, env: { PATH: box.bin }, encoding: 'utf8', timeout: 10_000 });
    assert.equal(ran.status, 0, `${ran.stderr}${ran.error ? ran.error.message : ''}`);
    assert.deepEqual(box.argv(), generated.argv.slice(1), 'QEMU got the argv generate --format json names');
    const programs = box.calls().map((call) => call[0]);
    assert.deepEqual(programs, ['install', 'setsid', 'qemu-system-x86_64'], 'only the commands the preview names ran');
    assert.deepEqual(box.calls()[1]!.slice(1), buildSwtpmArgs());
    const runDir = path.join(box.env.XDG_RUNTIME_DIR, 'kvm-tui/vms');
    const [vm] = fs.readdirSync(runDir);
    assert.ok(fs.lstatSync(path.join(runDir, vm!, 'tpm-state')).isSymbolicLink(), 'the TPM state link is in the run dir, whose path holds $(...) and quotes');
    assert.deepEqual(fs.readdirSync(box.cwd), [], 'nothing was written in the working directory');
    assert.deepEqual(tree(box.work).filter((entry) => /PWNED$/.test(entry)), [], 'no injected command ran');
  });

  it('generate --format script (the pin script): bash -n, then run: it asks QMP at the exact socket and stops, running nothing else', async () => {
    const box = sandbox('hardening-pin');
    const script = await runMain(['generate', ...vmArgs, '--format', 'script'], { env: box.env, identity });
    assert.equal(script.code, 0, script.stderr);
    assert.equal(spawnSync('bash', ['-n'], { input: script.stdout }).status, 0);
    const file = path.join(box.work, 'pin.sh');
    fs.writeFileSync(file, script.stdout, { mode: 0o755 });
    const ran = spawnSync('/bin/bash', [file], { cwd: box.cwd, env: { PATH: box.bin }, encoding: 'utf8', timeout: 10_000 });
    assert.equal(ran.status, 2, ran.stderr);
    const socket = /socket: (.*)\)$/m.exec(ran.stderr)?.[1];
    assert.ok(socket?.startsWith(path.join(box.env.XDG_RUNTIME_DIR, 'kvm-tui/vms/')) && socket.endsWith('/qmp.sock'), ran.stderr);
    assert.deepEqual(box.calls().map((call) => [call[0], call[2]]), [['perl', socket]], 'perl was given the socket path as one exact word');
    assert.deepEqual(fs.readdirSync(box.cwd), []);
    assert.deepEqual(tree(box.work).filter((entry) => /PWNED$/.test(entry)), []);
  });
});
