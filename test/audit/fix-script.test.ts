/**
 * The fix script, built from real checks on captured hosts, as a user runs it: valid bash, host
 * strings (a mount point with an encoded newline) kept inside quotes or comments, and idempotent:
 * run twice against a fake root with stub commands, every config line is there once, every
 * command shared by two checks runs once per run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ALL_CHECKS } from '../../src/audit/checks/index.js';
import { buildFixScript } from '../../src/audit/fix-script.js';
import { buildProbeContext } from '../../src/audit/probe-context.js';
import { runChecks } from '../../src/audit/run-checks.js';
import { HostFs } from '../../src/host/host-fs.js';
import { realClock } from '../../src/run/real-services.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { REPO } from '../helpers/run-cli.js';

async function scriptFor(root: string): Promise<string> {
  const ctx = buildProbeContext({ clock: realClock, hostFs: new HostFs(root), capturedRoot: true, env: {} });
  return buildFixScript(await runChecks(ALL_CHECKS, ctx), new Date(0));
}

/** The script with its absolute host paths moved under `fake`, and only live lines' effects. */
function underFakeRoot(script: string, fake: string): string {
  return script.replace(/(^|[\s'"=>])\/(etc|sys|dev|proc)\//gm, (_, lead: string, top: string) => `${lead}${fake}/${top}/`);
}

function runTwice(script: string, label: string): { fake: string; log: string[]; sandbox: string } {
  const work = scratchDir(label);
  const fake = path.join(work, 'root');
  const stub = path.join(work, 'bin');
  const sandbox = path.join(work, 'cwd');
  for (const dir of [fake, stub, sandbox, path.join(fake, 'etc/sysctl.d'), path.join(fake, 'etc/modules-load.d'), path.join(fake, 'etc/security/limits.d'), path.join(fake, 'etc/modprobe.d'), path.join(fake, 'etc/udev/rules.d')]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(fake, 'etc/fstab'), '# fake fstab\n');
  const log = path.join(work, 'calls.log');
  // Every command that would change the host is a recorder; the shell's own builtins and the
  // file tools (grep, mkdir, tee, printf) run for real, inside the fake root.
  for (const name of ['mount', 'modprobe', 'sysctl', 'usermod', 'systemctl', 'update-grub', 'grub-mkconfig', 'udevadm', 'mknod', 'chgrp', 'chmod', 'rm', 'cpupower', 'tuned-adm', 'service']) {
    fs.writeFileSync(path.join(stub, name), `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> ${JSON.stringify(log)}\nexit 0\n`, { mode: 0o755 });
  }
  fs.writeFileSync(path.join(stub, 'mountpoint'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  for (const name of ['grep', 'mkdir', 'tee', 'printf', 'cat']) fs.symlinkSync(`/bin/${name}`, path.join(stub, name));
  const file = path.join(work, 'fixes.sh');
  fs.writeFileSync(file, underFakeRoot(script, fake), { mode: 0o755 });
  for (let run = 0; run < 2; run++) {
    spawnSync('/bin/bash', [file], { cwd: sandbox, env: { PATH: stub }, encoding: 'utf8' });
  }
  return { fake, log: fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [], sandbox };
}

describe('fix scripts', () => {
  for (const host of ['bare', 'pvm', 'hugepages-one-node']) {
    it(`${host}: bash -n clean, idempotent when run twice, each shared command once per run`, async () => {
      const script = await scriptFor(path.join(REPO, 'test/fixtures/hosts', host));
      assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
      const live = script.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#') && line !== 'set -eu' && !line.startsWith('#!'));
      assert.equal(new Set(live).size, live.length, `a live command appears twice:\n${live.join('\n')}`);
      const { fake } = runTwice(script, `fix-${host}`);
      const fstab = fs.readFileSync(path.join(fake, 'etc/fstab'), 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));
      assert.equal(new Set(fstab).size, fstab.length, `fstab lines doubled:\n${fstab.join('\n')}`);
    });
  }

  it('a mount point with an encoded newline stays one quoted word: nothing after the newline runs', async () => {
    const root = path.join(scratchDir('fix-hostile'), 'root');
    fs.cpSync(path.join(REPO, 'test/fixtures/hosts/bare'), root, { recursive: true });
    const mounts = fs.readFileSync(path.join(root, 'proc/mounts'), 'utf8').split('\n').filter((line) => line && !/cgroup/.test(line));
    mounts.push('cgroup2 /sys/fs/cgroup\\012touch\\040PWNED cgroup2 rw 0 0');
    fs.writeFileSync(path.join(root, 'proc/mounts'), mounts.join('\n') + '\n');
    const script = await scriptFor(root);
    assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
    assert.doesNotMatch(script, /^[^#]*PWNED/m, 'the hostile mount point reaches no live line');
    const { sandbox } = runTwice(script, 'fix-hostile-run');
    assert.deepEqual(fs.readdirSync(sandbox), [], 'the injected touch never ran');
  });
});
