/** writeFileAtomic, the one write behind generate --out, the fix script and the caches. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ActionError } from '../../src/errors.js';
import { writeFileAtomic, WriteTargetError } from '../../src/run/atomic-write.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-atomic-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function freshDir(name: string): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  return dir;
}

describe('writeFileAtomic', () => {
  it('creates, then with overwrite replaces by rename (a reader holding the old file keeps the old content)', () => {
    const dir = freshDir('replace');
    const target = path.join(dir, 'vm.args');
    assert.equal(writeFileAtomic(target, 'first\n'), target);
    assert.equal(fs.readFileSync(target, 'utf8'), 'first\n');
    const inodeBefore = fs.statSync(target).ino;
    const reader = fs.openSync(target, 'r');
    writeFileAtomic(target, 'second\n', { overwrite: true });
    assert.equal(fs.readFileSync(target, 'utf8'), 'second\n');
    assert.notEqual(fs.statSync(target).ino, inodeBefore, 'a new file was renamed over the old one');
    assert.equal(fs.readFileSync(reader, 'utf8'), 'first\n');
    fs.closeSync(reader);
    assert.deepEqual(fs.readdirSync(dir), ['vm.args'], 'no temp file left');
  });

  it('refuses an existing file without overwrite, leaving it and the dir as they were', () => {
    const dir = freshDir('exists');
    const target = path.join(dir, 'keep.txt');
    fs.writeFileSync(target, 'mine\n');
    assert.throws(
      () => writeFileAtomic(target, 'theirs\n'),
      (error: unknown) => error instanceof WriteTargetError && error.refusal === 'exists' && /already exists/.test(error.message) && /--force/.test(error.hint ?? ''),
    );
    assert.equal(fs.readFileSync(target, 'utf8'), 'mine\n');
    assert.deepEqual(fs.readdirSync(dir), ['keep.txt']);
  });

  it('gives a new file the mode less the umask, as any program would', () => {
    const dir = freshDir('umask');
    const old = process.umask(0o077);
    try {
      writeFileAtomic(path.join(dir, 'pin.sh'), '#!/bin/bash\n', { mode: 0o755 });
      assert.equal(fs.statSync(path.join(dir, 'pin.sh')).mode & 0o777, 0o700);
      writeFileAtomic(path.join(dir, 'data.json'), Buffer.from('{}'));
      assert.equal(fs.statSync(path.join(dir, 'data.json')).mode & 0o777, 0o600);
    } finally {
      process.umask(old);
    }
    const old2 = process.umask(0o022);
    try {
      writeFileAtomic(path.join(dir, 'open.sh'), 'x', { mode: 0o755 });
      assert.equal(fs.statSync(path.join(dir, 'open.sh')).mode & 0o777, 0o755);
    } finally {
      process.umask(old2);
    }
  });

  it('keeps the mode of a file it replaces (a 0600 file stays 0600)', () => {
    const dir = freshDir('keep-mode');
    const target = path.join(dir, 'secret.xml');
    fs.writeFileSync(target, 'old', { mode: 0o600 });
    fs.chmodSync(target, 0o600);
    writeFileAtomic(target, 'new', { mode: 0o644, overwrite: true });
    assert.equal(fs.statSync(target).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(target, 'utf8'), 'new');
  });

  it('never replaces what is not a regular file, even with overwrite: device, FIFO, directory, symlink', () => {
    const dir = freshDir('special');
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const sub = path.join(dir, 'is-a-dir');
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'keep'), 'x');
    const real = path.join(dir, 'real.txt');
    fs.writeFileSync(real, 'real\n');
    const link = path.join(dir, 'link');
    fs.symlinkSync(real, link);
    const cases: Array<[string, RegExp]> = [
      ['/dev/null', /a character device/],
      [fifo, /a FIFO/],
      [sub, /a directory/],
      [link, /a symlink/],
    ];
    for (const [target, kind] of cases) {
      assert.throws(
        () => writeFileAtomic(target, 'data', { overwrite: true }),
        (error: unknown) => error instanceof WriteTargetError && error.refusal === 'not-regular' && kind.test(error.message),
        target,
      );
    }
    assert.ok(fs.statSync('/dev/null').isCharacterDevice(), '/dev/null is still a device');
    assert.ok(fs.lstatSync(fifo).isFIFO());
    assert.deepEqual(fs.readdirSync(sub), ['keep']);
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(real, 'utf8'), 'real\n');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['fifo', 'is-a-dir', 'link', 'real.txt'], 'no temp file left');
    assert.deepEqual(fs.readdirSync('/dev').filter((name) => name.endsWith('.tmp')), [], 'nothing written in /dev');
  });

  it('names the missing directory in its hint', () => {
    assert.throws(() => writeFileAtomic(path.join(scratch, 'nope', 'x'), 'data'), (error: unknown) => {
      assert.ok(error instanceof ActionError);
      assert.match(error.hint ?? '', /create the directory .*nope/);
      return true;
    });
  });
});
