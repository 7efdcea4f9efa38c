/**
 * `kvm-tui generate` as a user runs it, on a captured host (--root) so the plans are the same
 * everywhere. Most cases call the command in-process (spawning a process costs far more on a small
 * machine); the exit-code wiring of the real executable is checked by spawning it too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import { vmRunDir } from '../../src/shared/vm-paths.js';
import type { Plan } from '../../src/spec/types.js';
import { fixtureRoot } from '../helpers/fixture-root.js';
import { runCliProcess } from '../helpers/run-cli.js';
import { runMain } from '../helpers/test-services.js';

const ROOT = fixtureRoot('hwloc-32intel64-2p8co2t+8ve');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-gen-cli-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

// A home without user presets, and a runtime dir of our own, so only the builtins and this
// test's paths are seen.
const ENV = { ...process.env, HOME: scratch, XDG_CONFIG_HOME: path.join(scratch, 'config'), XDG_RUNTIME_DIR: path.join(scratch, 'xdg') };

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The command in-process through the entry point (src/cli.tsx main), output captured. */
const generateInProcess = (args: string[]): Promise<Result> => runMain(['generate', ...args], { env: ENV });

/**
 * The real executable (the built bundle), kept spawned: its test checks the exit code as
 * bin.ts sets it (process.exitCode), which an in-process main() never reaches.
 */
const kvmTui = (args: string[]): Result => runCliProcess(args, ENV);

const generate = (...args: string[]) => generateInProcess(['--root', ROOT, ...args]);

describe('kvm-tui generate', async () => {
  let json: Result;
  let generated: { argv: string[]; xml: string; script: string; plan: Plan };
  before(async () => {
    json = await generate('--preset', 'balanced', '--disk', '/srv/vm disk.qcow2', '--format', 'json');
    generated = JSON.parse(json.stdout);
  });

  it('--format json gives argv, xml, script and the plan, all of the same VM', async () => {
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(Object.keys(generated), ['argv', 'xml', 'script', 'plan']);
    const runDir = vmRunDir('balanced', { env: ENV, uid: process.getuid?.() ?? 0 });
    assert.deepEqual(generated.argv, buildQemuArgs(generated.plan, { runDir }));
    assert.equal(generated.argv[0], 'qemu-system-x86_64');
    assert.ok(generated.argv.includes(`socket,id=qmp0,path=${runDir}/qmp.sock,server=on,wait=off`));
    // The capture records no /dev/kvm: the preset's accel auto is TCG there, in both outputs.
    assert.match(generated.xml, /^<domain type="qemu"/);
    assert.ok(generated.argv.includes('tcg,thread=multi'), generated.argv.join(' '));
    assert.match(generated.xml, /<name>balanced<\/name>/);
    assert.match(generated.script, /^#!\/bin\/bash\n/);
    assert.equal(generated.plan.spec.name, 'balanced');
    assert.equal(generated.plan.vcpus.length, 4);
    assert.equal(generated.plan.spec.disks[0]!.path, '/srv/vm disk.qcow2');
    assert.deepEqual(generated.plan.errors, []);
  });

  it('--format qemu prints a preview that, pasted into bash, runs exactly that argv', async () => {
    const result = await generate('--preset', 'balanced', '--disk', '/srv/vm disk.qcow2', '--format', 'qemu');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^# kvm-tui: QEMU command for VM "balanced" \(preset balanced\)\. It starts paused \(-S\):\n/);
    assert.match(result.stdout, /\nmkdir -p -m 0700 -- \S+\nqemu-system-x86_64 \\\n  -name guest=balanced,debug-threads=on \\\n/);
    const fakeBin = path.join(scratch, 'fakebin');
    fs.mkdirSync(fakeBin, { recursive: true });
    fs.writeFileSync(path.join(fakeBin, 'qemu-system-x86_64'), '#!/bin/bash\nprintf \'%s\\0\' "$@"\n', { mode: 0o755 });
    fs.writeFileSync(path.join(fakeBin, 'mkdir'), '#!/bin/bash\nprintf \'mkdir\\0%s\\0\' "$@"\n', { mode: 0o755 });
    const ran = spawnSync('bash', ['-c', result.stdout], { env: { PATH: `${fakeBin}:/usr/bin:/bin` }, encoding: 'utf8' });
    assert.equal(ran.status, 0, ran.stderr);
    const words = ran.stdout.slice(0, -1).split('\0');
    assert.deepEqual(words.slice(0, 6), ['mkdir', '-p', 'mkdir', '-m', 'mkdir', '0700'], 'the run dir is created first');
    const qemuArgs = words.slice(words.lastIndexOf('mkdir') + 2);
    assert.deepEqual(qemuArgs, generated.argv.slice(1));
  });

  it('--format xml and --format script print just that artefact', async () => {
    const xml = await generate('--preset', 'tiny-test', '--format', 'xml');
    assert.equal(xml.code, 0, xml.stderr);
    assert.match(xml.stdout, /^<domain type="qemu"[^]*<\/domain>\n$/);
    const script = await generate('--preset', 'tiny-test', '--format', 'script');
    assert.equal(script.code, 0, script.stderr);
    assert.match(script.stdout, /^#!\/bin\/bash\n/);
    assert.equal(spawnSync('bash', ['-n'], { input: script.stdout }).status, 0);
  });

  it('keeps a hostile --name exact in the argv', async () => {
    const name = `x "q" 'q' $(id) ;& é,1 <a>`;
    const result = await generate('--preset', 'tiny-test', '--name', name, '--format', 'json');
    assert.equal(result.code, 0, result.stderr);
    const argv = (JSON.parse(result.stdout) as { argv: string[] }).argv;
    assert.equal(argv[argv.indexOf('-name') + 1], `guest=${name.replace(',', ',,')},debug-threads=on`);
  });

  it('reads --spec FILE', async () => {
    const specFile = path.join(scratch, 'vm.json');
    fs.writeFileSync(specFile, JSON.stringify({ name: 'from-file', accel: 'tcg', cpu: { model: 'qemu64' }, vcpus: 2, memory: '512M', network: 'none' }));
    const result = await generate('--spec', specFile, '--format', 'json');
    assert.equal(result.code, 0, result.stderr);
    const argv = (JSON.parse(result.stdout) as { argv: string[] }).argv;
    assert.equal(argv[argv.indexOf('-m') + 1], '512M');
    assert.equal(argv[argv.indexOf('-accel') + 1], 'tcg,thread=multi');
  });

  it('--out writes the file atomically (script executable), prints nothing on stdout, leaves no temp file', async () => {
    const dir = path.join(scratch, 'out');
    fs.mkdirSync(dir);
    const target = path.join(dir, 'pin.sh');
    const old = process.umask(0o022);
    try {
      const result = await generate('--preset', 'tiny-test', '--format', 'script', '--out', target);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /wrote .*pin\.sh/);
      assert.match(fs.readFileSync(target, 'utf8'), /^#!\/bin\/bash\n/);
      assert.equal(fs.statSync(target).mode & 0o777, 0o755);
      const argsFile = path.join(dir, 'vm.json');
      assert.equal((await generate('--preset', 'tiny-test', '--format', 'json', '--out', argsFile)).code, 0);
      assert.equal(fs.statSync(argsFile).mode & 0o777, 0o644);
    } finally {
      process.umask(old);
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), ['pin.sh', 'vm.json']);
  });

  it('--out never replaces an existing file without --force (exit 2), and with it keeps the file\'s mode', async () => {
    const dir = path.join(scratch, 'out-existing');
    fs.mkdirSync(dir);
    const target = path.join(dir, 'vm.xml');
    fs.writeFileSync(target, 'old content');
    fs.chmodSync(target, 0o600);
    const refused = await generate('--preset', 'tiny-test', '--format', 'xml', '--out', target);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^kvm-tui: generate: --out .*vm\.xml already exists \(add --force to replace it\)\n$/);
    assert.equal(fs.readFileSync(target, 'utf8'), 'old content');
    const forced = await generate('--preset', 'tiny-test', '--format', 'xml', '--out', target, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(fs.readFileSync(target, 'utf8'), /^<domain /);
    assert.equal(fs.statSync(target).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir), ['vm.xml']);
    const stray = await generate('--preset', 'tiny-test', '--format', 'xml', '--force');
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /--force only applies with --out/);
  });

  it('--out /dev/null --force is refused (exit 2): a device is never replaced by a file', async () => {
    const result = await generate('--preset', 'tiny-test', '--format', 'qemu', '--out', '/dev/null', '--force');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^kvm-tui: generate: --out \/dev\/null is a character device, not a regular file/);
    assert.ok(fs.statSync('/dev/null').isCharacterDevice());
  });

  it('--out into a missing directory fails (exit 1) with a hint and writes nothing', async () => {
    const target = path.join(scratch, 'no-such-dir', 'vm.xml');
    const result = await generate('--preset', 'tiny-test', '--format', 'xml', '--out', target);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot write .*vm\.xml/);
    assert.match(result.stderr, /hint: create the directory/);
    assert.ok(!fs.existsSync(path.dirname(target)));
  });

  it('exits 1 with the plan errors, and writes nothing, when the plan fails', async () => {
    const target = path.join(scratch, 'refused.json');
    const result = await generate('--preset', 'balanced', '--vcpus', '64', '--format', 'json', '--out', target);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /\[not-enough-cpus\]/);
    assert.ok(!fs.existsSync(target));
  });

  it('refuses aio=native without O_DIRECT before planning (exit 2, the field named), writing nothing', async () => {
    // The spec schema and the generators hold the same rule (QEMU would refuse it at start);
    // the schema catches it first, so the user sees the field to fix.
    const specFile = path.join(scratch, 'bad-aio.json');
    fs.writeFileSync(specFile, JSON.stringify({ name: 'bad-aio', disks: [{ path: '/d.raw', format: 'raw', cache: 'writeback', aio: 'native' }] }));
    const target = path.join(scratch, 'bad-aio.args');
    const result = await generate('--spec', specFile, '--format', 'qemu', '--out', target);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /disks\[0\]\.aio: native needs cache none or directsync/);
    assert.ok(!fs.existsSync(target));
  });

  it('exits 2 with one line for bad usage', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--preset', 'tiny-test', '--format', 'yaml'], /--format must be one of qemu, xml, script, json, got "yaml"/],
      [['--preset', 'tiny-test'], /--format is required/],
      [['--format', 'qemu'], /exactly one of --preset NAME or --spec FILE/],
      [['--preset', 'tiny-test', '--format', 'qemu', '--json'], /unknown option --json/],
      [['--preset', 'tiny-test', '--format', 'qemu', 'extra'], /unexpected argument "extra"/],
      [['--preset', 'no-such-preset', '--format', 'qemu'], /no-such-preset/],
      [['--spec', path.join(scratch, 'missing.json'), '--format', 'qemu'], /no such file/],
    ];
    for (const [args, message] of cases) {
      const result = await generate(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
      assert.equal(result.stdout, '');
    }
  });

  it('the real executable exits 0 / 1 / 2 as the command says', () => {
    const ok = kvmTui(['generate', '--root', ROOT, '--preset', 'tiny-test', '--format', 'json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(Object.keys(JSON.parse(ok.stdout)), ['argv', 'xml', 'script', 'plan']);
    const refused = kvmTui(['generate', '--root', ROOT, '--preset', 'balanced', '--vcpus', '64', '--format', 'qemu']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /\[not-enough-cpus\]/);
    const usage = kvmTui(['generate', '--root', ROOT, '--preset', 'tiny-test', '--format', 'yaml']);
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr, 'kvm-tui: generate: --format must be one of qemu, xml, script, json, got "yaml"\n');
  });
});

describe('generate writes for the host it reads', () => {
  const HOSTS = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/hosts');
  it('a preset (accel auto) on a host without /dev/kvm: TCG in the argv and the XML, said on stderr, exit 0', async () => {
    const run = await generateInProcess(['--root', path.join(HOSTS, 'bare'), '--preset', 'balanced', '--format', 'json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^kvm-tui: accel auto: this host has no \/dev\/kvm, so the VM runs under TCG/m);
    const out = JSON.parse(run.stdout) as { argv: string[]; xml: string };
    assert.equal(out.argv[out.argv.indexOf('-accel') + 1], 'tcg,thread=multi', out.argv.join(' '));
    assert.match(out.xml, /^<domain type="qemu"/);
    // --accel kvm asked for: KVM it is, with the warning that this host cannot run it.
    const asked = await generateInProcess(['--root', path.join(HOSTS, 'bare'), '--preset', 'balanced', '--accel', 'kvm', '--format', 'qemu']);
    assert.match(asked.stdout, /-accel kvm/);
    assert.match(asked.stderr, /\[kvm-unavailable\]/);
  });

  it('a tap with vhost auto on a host without /dev/vhost-net: no vhost=on, said on stderr', async () => {
    const run = await generateInProcess(['--root', path.join(HOSTS, 'pvm-no-kvm'), '--preset', 'high-performance', '--vcpus', '1', '--hugepages', 'none', '--memory', '1G', '--format', 'json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /network vhost auto: this host has no \/dev\/vhost-net/);
    const out = JSON.parse(run.stdout) as { argv: string[] };
    const netdev = out.argv[out.argv.indexOf('-netdev') + 1]!;
    assert.match(netdev, /^tap,/);
    assert.doesNotMatch(netdev, /vhost=on/);
  });
});

describe('generate writes for the QEMU and libvirt it is told (--qemu-version, --libvirt-version)', () => {
  const specFile = path.join(scratch, 'spread.json');
  fs.writeFileSync(
    specFile,
    JSON.stringify({ name: 'spread', accel: 'tcg', cpu: { model: 'qemu64' }, vcpus: { count: 4 }, memory: { size: '1G' }, disks: [{ path: '/var/lib/spread.raw', iothread: true }], iothreads: { count: 3 }, network: { mode: 'none' } }),
  );

  it('QEMU 9.0 / libvirt 10.0: one disk spread over its three iothreads in both outputs, no note', async () => {
    const argv = await generateInProcess(['--root', ROOT, '--spec', specFile, '--format', 'json', '--qemu-version', '9.0', '--libvirt-version', '10.0']);
    assert.equal(argv.code, 0, argv.stderr);
    const out = JSON.parse(argv.stdout) as { argv: string[]; xml?: string };
    const device = out.argv.find((arg) => arg.includes('iothread-vq-mapping'));
    assert.ok(device, 'the disk is a JSON -device with iothread-vq-mapping');
    assert.deepEqual((JSON.parse(device) as { 'iothread-vq-mapping': unknown })['iothread-vq-mapping'], [{ iothread: 'io0' }, { iothread: 'io1' }, { iothread: 'io2' }]);
    // libvirt 10.0 spreads a disk only over a QEMU that can (9.0): both are said.
    const xml = await generateInProcess(['--root', ROOT, '--spec', specFile, '--format', 'xml', '--libvirt-version', '10.0', '--qemu-version', '9.0']);
    assert.equal(xml.code, 0, xml.stderr);
    assert.match(xml.stdout, /<iothreads>\s*<iothread id="1"\/>\s*<iothread id="2"\/>\s*<iothread id="3"\/>\s*<\/iothreads>/);
    assert.doesNotMatch(argv.stderr + xml.stderr, /serve no disk/);
  });

  it('under --root without versions: one iothread per disk, and a note on the two that idle', async () => {
    const result = await generateInProcess(['--root', ROOT, '--spec', specFile, '--format', 'qemu']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /virtio-blk-pci,id=virtio-disk0,drive=disk0,iothread=io0,/);
    assert.match(result.stderr, /note: iothreads io1, io2 serve no disk: spreading a disk over several iothreads needs QEMU >= 9\.0 .*an unknown QEMU \(--qemu-version X\.Y\)/);
  });

  it('a version that is not one is exit 2, one line naming the flag', async () => {
    const result = await generateInProcess(['--root', ROOT, '--spec', specFile, '--format', 'xml', '--libvirt-version', 'ten']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /--libvirt-version must be a version such as 10\.0 or 9\.0\.0, got "ten"/);
  });
});

describe('generate --guest', () => {
  it('windows: UEFI with secure boot, a TPM and local time in both outputs; a bad OS is exit 2', async () => {
    const run = await generateInProcess(['--root', ROOT, '--preset', 'balanced', '--guest', 'windows', '--format', 'json']);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { argv: string[]; xml: string };
    const argv = out.argv.join(' ');
    assert.match(argv, /OVMF_CODE_4M\.ms\.fd|OVMF_CODE_4M\.secboot\.fd/, 'the secure-boot OVMF build');
    assert.match(argv, /tpm-crb/);
    assert.match(argv, /-rtc base=localtime/);
    assert.match(out.xml, /<loader [^>]*secure="yes"/);
    assert.match(out.xml, /<clock offset="localtime"/);
    const bad = await generateInProcess(['--root', ROOT, '--preset', 'balanced', '--guest', 'macos', '--format', 'qemu']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim(), 'kvm-tui: --guest: expected linux, windows or other, got "macos"');
  });
});
