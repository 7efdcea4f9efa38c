/** /dev/kvm and /dev/vhost-net as the planner sees them: read from the host, warned about per spec. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readHostDevices } from '../../src/host/devices.js';
import { HostFs } from '../../src/host/host-fs.js';
import { checkHostDevices } from '../../src/plan/check-host-devices.js';
import { createPlanMessages } from '../../src/plan/plan-messages.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { qemuSpec } from '../helpers/qemu-plans.js';

function codes(devices: Parameters<typeof checkHostDevices>[0], spec = qemuSpec({})): string[] {
  const messages = createPlanMessages();
  checkHostDevices(devices, spec, messages);
  return messages.warnings.map((warning) => warning.code);
}

describe('checkHostDevices', () => {
  it('warns for accel kvm without a usable /dev/kvm, naming the way out', () => {
    assert.deepEqual(codes({ kvm: 'usable', vhostNet: 'usable' }), []);
    assert.deepEqual(codes({ kvm: 'missing', vhostNet: 'usable' }), ['kvm-unavailable']);
    const messages = createPlanMessages();
    checkHostDevices({ kvm: 'no-access', vhostNet: 'usable' }, qemuSpec({}), messages);
    assert.match(messages.warnings[0]!.message, /does not open read-write for this user: add the user to the kvm group/);
    assert.deepEqual(codes({ kvm: 'missing', vhostNet: 'missing' }, qemuSpec({ accel: 'tcg', cpu: { model: 'max' } })), [], 'TCG needs no /dev/kvm');
    assert.deepEqual(codes(undefined), [], 'not checked when the devices are not known');
  });

  it('warns for a vhost tap without /dev/vhost-net, not for a tap without vhost', () => {
    const tap = (vhost: boolean) => qemuSpec({ network: { mode: 'tap', ifname: 'tap0', vhost, queues: 1, mac: null } });
    assert.deepEqual(codes({ kvm: 'usable', vhostNet: 'missing' }, tap(true)), ['vhost-unavailable']);
    assert.deepEqual(codes({ kvm: 'usable', vhostNet: 'missing' }, tap(false)), []);
  });
});

describe('readHostDevices', () => {
  it('on a captured root, a recorded node is usable and an absent one missing', () => {
    const root = scratchDir('devices');
    fs.mkdirSync(path.join(root, 'dev'));
    fs.writeFileSync(path.join(root, 'dev/kvm'), '');
    assert.deepEqual(readHostDevices(new HostFs(root), true), { kvm: 'usable', vhostNet: 'missing' });
  });

  it('on the live host, a node counts when it opens read-write (as root /dev/kvm does where it exists)', () => {
    const live = readHostDevices(new HostFs('/'), false);
    const expected = fs.existsSync('/dev/kvm') ? (process.getuid?.() === 0 ? 'usable' : live.kvm) : 'missing';
    assert.equal(live.kvm, expected);
    assert.ok(['usable', 'missing', 'no-access'].includes(live.vhostNet));
  });
});
