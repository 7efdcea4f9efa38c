/** /dev/kvm and /dev/vhost-net as the planner sees them: read from the host, warned about per spec. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readHostDevices } from '../../src/host/devices.js';
import { HostFs } from '../../src/host/host-fs.js';
import { checkHostDevices } from '../../src/plan/check-host-devices.js';
import { checkHostSupport } from '../../src/plan/check-host-support.js';
import { reserveCommands } from '../../src/plan/check-memory.js';
import { buildHostView } from '../../src/plan/host-view.js';
import { buildTopology, x86CpuInfo } from './_topology-builder.js';
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

describe('a TPM and a comma in the VM name', () => {
  it('is warned for libvirt (swtpm cannot take the paths libvirt makes of the name)', () => {
    const view = buildHostView(buildTopology());
    const messages = createPlanMessages();
    const spec = qemuSpec({ name: 'desk,top', guest: { os: 'windows', firmware: 'uefi', secureBoot: false, tpm: true, hyperv: false, clock: 'localtime' } });
    checkHostSupport(view, x86CpuInfo('intel'), spec, messages);
    assert.deepEqual(messages.warnings.map((warning) => warning.code), ['tpm-name-comma']);
    const plain = createPlanMessages();
    checkHostSupport(view, x86CpuInfo('intel'), { ...spec, name: 'desktop' }, plain);
    assert.deepEqual(plain.warnings, []);
  });
});

describe('the hugepage reservation hint', () => {
  it('names every node the memory is bound to, each with its pool size plus what it lacks of its share', () => {
    const view = buildHostView(buildTopology({ sockets: 2, free2M: 100 }));
    // 1000 pages over nodes 0 and 1: 500 each; each has 100 (all free), so 400 more each.
    assert.equal(
      reserveCommands(view, [0, 1], 'hugepages-2M', 1000),
      'echo 500 > /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages; echo 500 > /sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages',
    );
    assert.equal(reserveCommands(view, [1], 'hugepages-2M', 50), '', 'enough free there: nothing to do');
  });
});
