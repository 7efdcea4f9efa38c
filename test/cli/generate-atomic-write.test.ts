/** writeFileAtomic, which `generate --out` uses: readers see the old file or the new, never a part. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ActionError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/run/atomic-write.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-atomic-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('creates, then replaces by rename (a reader holding the old file keeps the old content)', () => {
    const target = path.join(scratch, 'vm.args');
    writeFileAtomic(target, 'first\n');
    assert.equal(fs.readFileSync(target, 'utf8'), 'first\n');
    const inodeBefore = fs.statSync(target).ino;
    const reader = fs.openSync(target, 'r');
    writeFileAtomic(target, 'second\n');
    assert.equal(fs.readFileSync(target, 'utf8'), 'second\n');
    assert.notEqual(fs.statSync(target).ino, inodeBefore, 'a new file was renamed over the old one');
    assert.equal(fs.readFileSync(reader, 'utf8'), 'first\n');
    fs.closeSync(reader);
    assert.deepEqual(fs.readdirSync(scratch), ['vm.args'], 'no temp file left');
  });

  it('sets the mode exactly, whatever the umask', () => {
    const old = process.umask(0o077);
    try {
      const script = path.join(scratch, 'pin.sh');
      writeFileAtomic(script, '#!/bin/bash\n', 0o755);
      assert.equal(fs.statSync(script).mode & 0o777, 0o755);
      const data = path.join(scratch, 'data.json');
      writeFileAtomic(data, Buffer.from('{}'));
      assert.equal(fs.statSync(data).mode & 0o777, 0o644);
    } finally {
      process.umask(old);
    }
  });

  it('leaves the target and the dir untouched when the rename fails, and says why', () => {
    const dir = path.join(scratch, 'fail');
    fs.mkdirSync(dir);
    const target = path.join(dir, 'is-a-dir');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'x');
    assert.throws(() => writeFileAtomic(target, 'data'), (error: unknown) => error instanceof ActionError && /cannot write .*is-a-dir/.test(error.message));
    assert.deepEqual(fs.readdirSync(dir), ['is-a-dir'], 'the temp file was removed');
    assert.deepEqual(fs.readdirSync(target), ['keep']);
  });

  it('names the missing directory in its hint', () => {
    assert.throws(() => writeFileAtomic(path.join(scratch, 'nope', 'x'), 'data'), (error: unknown) => {
      assert.ok(error instanceof ActionError);
      assert.match(error.hint ?? '', /create the directory .*nope/);
      return true;
    });
  });
});
