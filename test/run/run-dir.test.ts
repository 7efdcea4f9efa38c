/**
 * The per-VM run dir that every QEMU path (QMP socket, pid file, serial log) lives in: hostile
 * names never reach the path, two names never share a dir, and a socket path never silently
 * exceeds sun_path.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ActionError } from '../../src/errors.js';
import { ensureRunDir } from '../../src/run/run-dir.js';
import { assertSocketPathFits, runDirPaths, runtimeBase, UNIX_SOCKET_PATH_MAX, vmRunDir, vmSlug } from '../../src/shared/vm-paths.js';
import { HOSTILE_STRINGS } from '../helpers/qemu-plans.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-rundir-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('vmSlug', () => {
  it('keeps a readable ASCII part and adds a hash of the exact name', () => {
    assert.match(vmSlug('web-1'), /^web-1-[0-9a-f]{8}$/);
    assert.match(vmSlug('Web Server #1'), /^web-server-1-[0-9a-f]{8}$/);
    assert.match(vmSlug('日本語'), /^vm-[0-9a-f]{8}$/);
    assert.match(vmSlug('../../etc'), /^etc-[0-9a-f]{8}$/);
    assert.equal(vmSlug('a'.repeat(64)).length, 24 + 1 + 8);
    assert.equal(vmSlug('web-1'), vmSlug('web-1'), 'stable');
  });

  it('gives names that clean up alike different slugs', () => {
    const names = ['vm 1', 'vm_1', 'vm-1', 'vm/1', 'VM 1', 'vm 1 ', 'vm\n1', 'vm1', 'vm-1-'];
    const slugs = new Set(names.map(vmSlug));
    assert.equal(slugs.size, names.length);
  });

  for (const name of [...HOSTILE_STRINGS, '.', '..', '-', '']) {
    it(`makes a safe path component of ${JSON.stringify(name)}`, () => {
      const slug = vmSlug(name);
      assert.match(slug, /^[a-z0-9][a-z0-9._-]*$/);
      assert.ok(!slug.includes('..'));
      assert.equal(path.basename(vmRunDir(name, { uid: 0 })), slug);
    });
  }
});

describe('runtimeBase / vmRunDir', () => {
  it('uses /run/kvm-tui for root, XDG_RUNTIME_DIR for users, /tmp/kvm-tui-UID without one', () => {
    assert.equal(runtimeBase({ uid: 0, env: { XDG_RUNTIME_DIR: '/run/user/0' } }), '/run/kvm-tui/vms');
    assert.equal(runtimeBase({ uid: 1000, env: { XDG_RUNTIME_DIR: '/run/user/1000' } }), '/run/user/1000/kvm-tui/vms');
    assert.equal(runtimeBase({ uid: 1000, env: {} }), '/tmp/kvm-tui-1000/vms');
    assert.equal(runtimeBase({ uid: 1000, env: { XDG_RUNTIME_DIR: 'relative/dir' } }), '/tmp/kvm-tui-1000/vms', 'a relative XDG dir is invalid');
    assert.equal(vmRunDir('web', { uid: 0 }), `/run/kvm-tui/vms/${vmSlug('web')}`);
  });

  it('keeps both QMP sockets of the longest name well inside sun_path', () => {
    const paths = runDirPaths(vmRunDir('x'.repeat(64), { uid: 0 }));
    for (const socket of [paths.qmpSocket, paths.monitorSocket]) assert.ok(Buffer.byteLength(socket) < 80, socket);
    assert.deepEqual(runDirPaths('/r'), {
      dir: '/r',
      qmpSocket: '/r/qmp.sock',
      monitorSocket: '/r/monitor.sock',
      pidFile: '/r/qemu.pid',
      serialLog: '/r/serial.log',
      qemuLog: '/r/qemu.log',
      launchScript: '/r/launch.sh',
      vmRecord: '/r/vm.json',
      launchLock: '/r/launch.lock',
      tpmSocket: '/r/swtpm.sock',
      tpmPidFile: '/r/swtpm.pid',
      tpmLog: '/r/swtpm.log',
    });
  });
});

describe('assertSocketPathFits / ensureRunDir', () => {
  it(`refuses a socket path over ${UNIX_SOCKET_PATH_MAX} bytes (counted in UTF-8), with a hint`, () => {
    assertSocketPathFits('/' + 'a'.repeat(UNIX_SOCKET_PATH_MAX - 1));
    assert.throws(() => assertSocketPathFits('/' + 'a'.repeat(UNIX_SOCKET_PATH_MAX)), (error: unknown) => {
      assert.ok(error instanceof ActionError);
      assert.match(error.message, /108 bytes, over the 107-byte limit/);
      assert.match(error.hint ?? '', /shorter XDG_RUNTIME_DIR/);
      return true;
    });
    assert.throws(() => assertSocketPathFits('/' + 'é'.repeat(60)), ActionError);
  });

  it('creates the dir private (0700), also when it exists with a looser mode', () => {
    const dir = path.join(scratch, 'a', 'vm-12345678');
    const paths = ensureRunDir(dir, process.getuid?.() ?? 0);
    assert.equal(paths.qmpSocket, path.join(dir, 'qmp.sock'));
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    fs.chmodSync(dir, 0o755);
    ensureRunDir(dir, process.getuid?.() ?? 0);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  });

  it('refuses a run dir reached through a symlink, or owned by someone else', () => {
    const real = path.join(scratch, 'real');
    fs.mkdirSync(path.join(real, 'vms'), { recursive: true });
    const link = path.join(scratch, 'planted');
    fs.symlinkSync(real, link);
    assert.throws(() => ensureRunDir(path.join(link, 'vms', 'vm-1'), process.getuid?.() ?? 0), (error: unknown) => error instanceof ActionError && /planted is a symlink/.test(error.message));
    const owned = path.join(scratch, 'owned', 'vms');
    fs.mkdirSync(owned, { recursive: true });
    // Root may use root-owned dirs, so as root the dir is given to another user (uid 4242);
    // as a user, we run "as" uid 4242 and our own dirs are not theirs.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) fs.chownSync(owned, 4242, 4242);
    assert.throws(() => ensureRunDir(path.join(owned, 'vm-1'), asRoot ? 0 : 4242), (error: unknown) => {
      assert.ok(error instanceof ActionError);
      assert.match(error.message, /belongs to uid \d+, not to you/);
      assert.match(error.hint ?? '', /XDG_RUNTIME_DIR/);
      return true;
    });
  });

  it('fails with an ActionError when the dir cannot be made', () => {
    const file = path.join(scratch, 'plain-file');
    fs.writeFileSync(file, '');
    assert.throws(() => ensureRunDir(path.join(file, 'vm'), process.getuid?.() ?? 0), (error: unknown) => error instanceof ActionError && /cannot create run dir/.test(error.message));
  });
});
