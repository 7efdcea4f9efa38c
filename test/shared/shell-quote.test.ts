import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import { formatArgLines, formatShellPreview, quoteShellCommand, quoteShellWord } from '../../src/shared/shell-quote.js';
import { HOSTILE_STRINGS, qemuPlan, qemuSpec } from '../helpers/qemu-plans.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-shell-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

// A stand-in for qemu-system-x86_64 that prints the argv it got, NUL-separated (NUL is the only
// byte an argument cannot contain, so the split is exact).
const fakeBin = path.join(scratch, 'bin');
fs.mkdirSync(fakeBin);
fs.writeFileSync(path.join(fakeBin, 'qemu-system-x86_64'), '#!/bin/bash\nprintf \'%s\\0\' "$@"\n', { mode: 0o755 });

/** Runs text with bash -c and returns the argv the fake qemu received. */
function argvFromBash(text: string): string[] {
  const out = execFileSync('bash', ['-c', text], {
    env: { PATH: `${fakeBin}:${process.env.PATH}`, HOME: '/nonexistent-home' },
    cwd: scratch,
    encoding: 'utf8',
  });
  assert.ok(out.endsWith('\0'), 'the fake qemu ran');
  return out.slice(0, -1).split('\0');
}

describe('quoteShellWord', () => {
  it('leaves plain words bare and quotes everything else', () => {
    assert.equal(quoteShellWord('-smp'), '-smp');
    assert.equal(quoteShellWord('4,sockets=1,cores=2'), '4,sockets=1,cores=2');
    assert.equal(quoteShellWord('/run/kvm-tui/vms/vm1-1a2b3c4d/qmp.sock'), '/run/kvm-tui/vms/vm1-1a2b3c4d/qmp.sock');
    assert.equal(quoteShellWord(''), "''");
    assert.equal(quoteShellWord('a b'), "'a b'");
    assert.equal(quoteShellWord("it's"), "'it'\\''s'");
    assert.equal(quoteShellWord('~root'), "'~root'");
    assert.equal(quoteShellWord('$HOME'), "'$HOME'");
    assert.equal(quoteShellWord('a\nb'), "'a\nb'");
  });

  it('leaves NAME=value arguments bare but quotes one in command position (bash would assign it)', () => {
    assert.equal(quoteShellWord('guest=vm1,debug-threads=on'), 'guest=vm1,debug-threads=on');
    assert.deepEqual(argvFromBash(`qemu-system-x86_64 ${quoteShellWord('FOO=bar')}`), ['FOO=bar']);
    assert.equal(quoteShellCommand('FOO=bar'), "'FOO=bar'");
    assert.equal(quoteShellCommand('/usr/bin/qemu-system-x86_64'), '/usr/bin/qemu-system-x86_64');
    assert.equal(quoteShellCommand('a b'), "'a b'");
    assert.equal(formatArgLines(['A=1', '-x', 'B=2'])[0], "'A=1'");
    // Unquoted, bash runs no program at all: it assigns A and exits 0 without output.
    const fake = path.join(fakeBin, 'A=1');
    fs.writeFileSync(fake, '#!/bin/bash\nprintf \'%s\\0\' "$@"\n', { mode: 0o755 });
    assert.deepEqual(argvFromBash(`cd ${quoteShellWord(fakeBin)} && PATH=.:$PATH ${formatShellPreview(['A=1', '-x', 'B=2'])}`), ['-x', 'B=2']);
  });

  it('refuses a NUL byte rather than truncating the word', () => {
    assert.throws(() => quoteShellWord('a\0b'), /NUL/);
  });

  it('round-trips every hostile string through bash exactly', () => {
    const words = [...HOSTILE_STRINGS, "'", "''", '\\', '"', '!', '!!', '#hash', 'a#b', ' ', '\n', '-'];
    const command = ['qemu-system-x86_64', ...words].map(quoteShellWord).join(' ');
    assert.deepEqual(argvFromBash(command), words);
    assert.ok(!fs.existsSync('/tmp/kvm-tui-pwned'), 'no command substitution ran');
  });
});

describe('formatShellPreview', () => {
  it('puts the program alone, then one option with its value per line', () => {
    const preview = formatShellPreview(['qemu-system-x86_64', '-name', 'guest=a b,debug-threads=on', '-S', '-display', 'none', '-nodefaults']);
    assert.equal(
      preview,
      "qemu-system-x86_64 \\\n  -name 'guest=a b,debug-threads=on' \\\n  -S \\\n  -display none \\\n  -nodefaults\n",
    );
    assert.deepEqual(formatArgLines(['q', '-a', '-b', 'x', 'y']), ['q', '-a', '-b x', 'y']);
  });

  for (const name of HOSTILE_STRINGS) {
    it(`pasted into bash, gives the exact argv for a VM named ${JSON.stringify(name)}`, () => {
      const spec = qemuSpec({
        name,
        disks: [{ path: `/srv/${name}/disk.qcow2`, format: 'qcow2', cache: 'none', aio: 'native', iothread: true, readonly: false }],
        iothreads: { count: 1 },
        extraArgs: ['-append', name],
      });
      const argv = buildQemuArgs(qemuPlan(spec), { runDir: `/tmp/run ${name}` });
      assert.deepEqual(argvFromBash(formatShellPreview(argv)), argv.slice(1));
    });
  }
});
