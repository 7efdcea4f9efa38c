/**
 * The VM step's host offer (src/app/host-offer.ts) over a written /sys/class/net tree and a fake
 * systeminformation: bridges, taps and their bridge from sysfs, addresses and the default route
 * from systeminformation; a disk path's filesystem is the longest mount holding it; a captured
 * host never asks systeminformation (it would describe this machine); failures are answers.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { buildHostOffer, mountHolding, type SystemInfo } from '../../src/app/host-offer.js';
import { HostFs } from '../../src/host/host-fs.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-offer-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeNet(root: string): void {
  const net = path.join(root, 'sys/class/net');
  const add = (name: string, files: Record<string, string>, master?: string) => {
    fs.mkdirSync(path.join(net, name), { recursive: true });
    for (const [file, text] of Object.entries(files)) {
      if (file.endsWith('/')) fs.mkdirSync(path.join(net, name, file), { recursive: true });
      else fs.writeFileSync(path.join(net, name, file), text);
    }
    if (master) fs.symlinkSync(`../${master}`, path.join(net, name, 'master'));
  };
  add('lo', { operstate: 'unknown\n' });
  add('eno1', { operstate: 'up\n' }, 'br0');
  add('br0', { operstate: 'up\n', 'bridge/': '' });
  add('tap0', { operstate: 'down\n', tun_flags: '0x1002\n' }, 'br0');
  add('tun0', { operstate: 'up\n', tun_flags: '0x1001\n' });
}

const fakeSi = (calls: string[], overrides: Partial<SystemInfo> = {}): SystemInfo => ({
  networkInterfaces: async () => {
    calls.push('networkInterfaces');
    return [
      { iface: 'lo', ip4: '127.0.0.1', operstate: 'unknown', default: false, internal: true },
      { iface: 'br0', ip4: '192.0.2.10', operstate: 'up', default: true, internal: false },
      { iface: 'wg0', ip4: '10.0.0.1', operstate: 'up', default: false, internal: false },
    ];
  },
  fsSize: async () => {
    calls.push('fsSize');
    return [
      { fs: '/dev/vda', type: 'ext4', size: 100 * 2 ** 30, available: 40 * 2 ** 30, mount: '/' },
      { fs: '/dev/vdb', type: 'xfs', size: 500 * 2 ** 30, available: 321 * 2 ** 30, mount: fs.realpathSync(dir) },
    ];
  },
  mem: async () => {
    calls.push('mem');
    return { total: 32 * 2 ** 30, available: 20 * 2 ** 30 };
  },
  blockDevices: async () => {
    calls.push('blockDevices');
    return [
      { name: 'vda', type: 'disk', physical: 'HDD', model: '', device: '/dev/vda' },
      { name: 'vdb', type: 'disk', physical: 'SSD', model: 'Virtio Block ', device: '/dev/vdb' },
    ];
  },
  ...overrides,
});

test('interfaces: kinds and bridges from sysfs, addresses and the default route from systeminformation', async () => {
  const root = path.join(dir, 'live');
  writeNet(root);
  const calls: string[] = [];
  const offer = buildHostOffer({ systemInfo: async () => fakeSi(calls), hostFs: new HostFs(root), capturedRoot: false, cwd: dir });
  const { interfaces, note } = await offer.interfaces();
  assert.equal(note, null);
  const byName = Object.fromEntries(interfaces.map((entry) => [entry.name, entry]));
  assert.deepEqual(Object.keys(byName).sort(), ['br0', 'eno1', 'lo', 'tap0', 'tun0', 'wg0']);
  assert.deepEqual([byName.br0!.kind, byName.br0!.ip4, byName.br0!.isDefault], ['bridge', '192.0.2.10', true]);
  assert.deepEqual([byName.tap0!.kind, byName.tap0!.bridge, byName.tap0!.up], ['tap', 'br0', false]);
  assert.equal(byName.tun0!.kind, 'tun');
  assert.equal(byName.eno1!.bridge, 'br0');
  assert.equal(byName.lo!.kind, 'loopback');
  assert.equal(byName.wg0!.kind, 'other', 'known to systeminformation only');
  assert.deepEqual(calls, ['networkInterfaces']);
});

test('disk space: the longest mount holding the path (symlinks resolved), whether the image exists, its size', async () => {
  const calls: string[] = [];
  const offer = buildHostOffer({ systemInfo: async () => fakeSi(calls), hostFs: new HostFs(dir), capturedRoot: false, cwd: dir });
  fs.writeFileSync(path.join(dir, 'disk.raw'), Buffer.alloc(4096));
  const there = await offer.diskSpace('disk.raw');
  assert.ok(!('unknown' in there), JSON.stringify(there));
  assert.deepEqual([there.exists, there.sizeBytes, there.fsType, there.availableBytes], [true, 4096, 'xfs', 321 * 2 ** 30]);
  assert.deepEqual(there.device, { name: 'vdb', physical: 'SSD', model: 'Virtio Block' }, 'the block device under the filesystem (blockDevices)');
  const blind = buildHostOffer({ systemInfo: async () => fakeSi([], { blockDevices: async () => { throw new Error('lsblk: not found'); } }), hostFs: new HostFs(dir), capturedRoot: false, cwd: dir });
  const unseen = await blind.diskSpace(there.file);
  assert.ok(!('unknown' in unseen) && unseen.device === null, 'no block device known is still an answer');
  const fresh = await offer.diskSpace('images/new/vm.qcow2');
  assert.ok(!('unknown' in fresh));
  assert.deepEqual([fresh.exists, fresh.sizeBytes, fresh.mount], [false, null, fs.realpathSync(dir)]);
  const elsewhere = await offer.diskSpace('/nonexistent-kvm-tui/vm.qcow2');
  assert.ok(!('unknown' in elsewhere));
  assert.equal(elsewhere.mount, '/');
  const folder = await offer.diskSpace('.');
  assert.ok('unknown' in folder && /is a directory/.test(folder.unknown));
  assert.deepEqual(await offer.memory(), { totalMiB: 32768, availableMiB: 20480 });
});

test('mountHolding: "/srv" does not hold "/srvx"; the deepest mount wins', () => {
  const mounts = [{ mount: '/' }, { mount: '/srv' }, { mount: '/srv/vm/' }];
  assert.equal(mountHolding('/srvx/a', mounts)!.mount, '/');
  assert.equal(mountHolding('/srv/a', mounts)!.mount, '/srv');
  assert.equal(mountHolding('/srv/vm/a.qcow2', mounts)!.mount, '/srv/vm/');
  assert.equal(mountHolding('/a', []), null);
});

test('a captured host: only its own /sys/class/net, never systeminformation; failures are answers', async () => {
  const root = path.join(dir, 'captured');
  writeNet(root);
  const calls: string[] = [];
  const captured = buildHostOffer({ systemInfo: async () => fakeSi(calls), hostFs: new HostFs(root), capturedRoot: true, cwd: dir });
  assert.deepEqual((await captured.interfaces()).interfaces.map((entry) => entry.name).sort(), ['br0', 'eno1', 'lo', 'tap0', 'tun0']);
  assert.match((await captured.diskSpace('x.qcow2') as { unknown: string }).unknown, /captured host/);
  assert.ok('unknown' in (await captured.memory()));
  assert.deepEqual(calls, [], 'systeminformation describes this machine, not the capture');
  const empty = buildHostOffer({ systemInfo: async () => fakeSi(calls), hostFs: new HostFs(path.join(dir, 'nothing')), capturedRoot: true, cwd: dir });
  assert.match((await empty.interfaces()).note!, /holds no \/sys\/class\/net/);

  const broken = buildHostOffer({
    systemInfo: async () => fakeSi(calls, { networkInterfaces: async () => { throw new Error('ip: not found'); }, fsSize: async () => [], mem: async () => { throw new Error('no /proc'); } }),
    hostFs: new HostFs(root),
    capturedRoot: false,
    cwd: dir,
  });
  const listed = await broken.interfaces();
  assert.equal(listed.interfaces.length, 5, 'sysfs still answers');
  assert.match(listed.note!, /could not list the interfaces: ip: not found/);
  assert.match((await broken.diskSpace('a.raw') as { unknown: string }).unknown, /no mounted filesystem listed/);
  assert.deepEqual(await broken.memory(), { unknown: 'no /proc' });
});
