import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPresetOverrides } from '../../src/spec/resolve.js';
import { listPresets } from '../../src/spec/presets.js';
import { sizingOverrides } from '../../src/state/vm-sizing.js';

const tiny = listPresets({ userDir: '/nonexistent/kvm-tui-presets' }).find((preset) => preset.name === 'tiny-test')!;

describe('sizing keys', () => {
  it('step vCPUs, memory, huge pages, accel and network through the same validation as the flags', () => {
    let overrides = {};
    const press = (key: string) => {
      const next = sizingOverrides(key, applyPresetOverrides(tiny, overrides));
      if (next) overrides = { ...overrides, ...next };
      return applyPresetOverrides(tiny, overrides);
    };
    assert.equal(press('+').vcpus.count, 3);
    assert.equal(press('-').vcpus.count, 2);
    assert.equal(press(']').memory.sizeMiB, 512);
    assert.equal(press('[').memory.sizeMiB, 256);
    assert.equal(press('h').memory.backing, 'hugepages-2M');
    for (let i = 0; i < 2; i++) press(']');
    assert.equal(applyPresetOverrides(tiny, overrides).memory.sizeMiB, 1024);
    assert.equal(press('h').memory.backing, 'hugepages-1G');
    assert.equal(press('h').memory.backing, 'ram');
    assert.equal(sizingOverrides('n', tiny.spec), null, 'n opens the network choices (what the host offers), it is not a sizing key');
    assert.equal(press('a').accel, 'kvm', 'tiny-test is TCG: a switches to KVM');
    assert.equal(sizingOverrides('x', tiny.spec), null, 'not a sizing key');
  });

  it('o cycles the guest OS, and the platform follows it (the same as --guest)', () => {
    const balanced = listPresets({ userDir: '/nonexistent/kvm-tui-presets' }).find((preset) => preset.name === 'balanced')!;
    let overrides = {};
    const press = () => {
      overrides = { ...overrides, ...sizingOverrides('o', applyPresetOverrides(balanced, overrides)) };
      return applyPresetOverrides(balanced, overrides).guest;
    };
    assert.equal(applyPresetOverrides(balanced, {}).guest.os, 'linux');
    assert.deepEqual(press(), { os: 'windows', firmware: 'uefi', secureBoot: true, tpm: true, hyperv: true, clock: 'localtime' });
    assert.deepEqual(press(), { os: 'other', firmware: 'bios', secureBoot: false, tpm: false, hyperv: false, clock: 'utc' });
    assert.equal(press().os, 'linux');
    // The same OS keeps what the spec said of its platform (a cycle back to it loses nothing).
    const spec = { ...balanced, input: { ...balanced.input, guest: { os: 'linux', firmware: 'uefi' } } };
    assert.equal(applyPresetOverrides(spec, { guest: 'linux' }).guest.firmware, 'uefi');
    assert.equal(applyPresetOverrides(spec, { guest: 'windows' }).guest.secureBoot, true);
    assert.throws(() => applyPresetOverrides(balanced, { guest: 'macos' }), /^UsageError: --guest: expected linux, windows or other, got "macos"$|--guest: expected linux, windows or other, got "macos"/);
  });

  it('never goes below 1 vCPU or off the memory steps', () => {
    const one = applyPresetOverrides(tiny, { vcpus: '1', memory: '128M' });
    assert.equal(sizingOverrides('-', one), null);
    assert.equal(sizingOverrides('[', one), null);
  });

  it('a change the rules refuse is a one-line error naming it (1G pages need a whole number of GiB)', () => {
    assert.throws(() => applyPresetOverrides(tiny, { hugepages: '1G', memory: '512M' }), /memory\.size: 512 MiB is not a whole number of 1G pages/);
  });
});

describe('core-map editing', async () => {
  const { assignVcpu, cursorOrder } = await import('../../src/state/core-map-edit.js');
  it('assigning a vCPU to a CPU another vCPU holds swaps them: still one CPU per vCPU', () => {
    assert.deepEqual(assignVcpu([4, 5, 6], 0, 6), [6, 5, 4]);
    assert.deepEqual(assignVcpu([4, 5, 6], 1, 9), [4, 9, 6]);
  });

  it('a map from the editor goes through the spec rules like one written in a file', () => {
    const spec = applyPresetOverrides(tiny, { map: [1, 0] });
    assert.deepEqual(spec.pinning.map, [1, 0]);
    assert.throws(() => applyPresetOverrides(tiny, { map: [1] }), /pinning\.map: has 1 entries for 2 vCPUs/);
    const more = sizingOverrides('+', spec)!;
    assert.equal(more.map, null, 'a new vCPU count drops the manual map');
    assert.equal(applyPresetOverrides(tiny, { map: [1, 0], ...more }).pinning.map, null, 'back to automatic placement, even over a spec file\'s own map');
  });

  it('the cursor walks the CPUs as the map draws them (node, package, L3, core)', () => {
    const cpu = (n: number, node: number, core: number) => ({ cpu: n, online: true, socket: 0, die: 0, cluster: null, core, node, l3: 0, siblings: [n], kind: null, isolated: false, nohzFull: false });
    const topology = { cpus: [cpu(0, 0, 0), cpu(1, 1, 0), cpu(2, 0, 1), cpu(3, 1, 1)] } as unknown as Parameters<typeof cursorOrder>[0];
    assert.deepEqual(cursorOrder(topology), [0, 2, 1, 3]);
  });
});

describe('the editor on a plan that placed nothing', async () => {
  const { mapOfPlan } = await import('../../src/state/core-map-edit.js');
  it('starts every unplaced vCPU on its own CPU in map order, one entry per vCPU of the spec', () => {
    const spec = applyPresetOverrides(tiny, { vcpus: '3' });
    const plan = { spec, vcpus: [] } as unknown as Parameters<typeof mapOfPlan>[0];
    assert.deepEqual(mapOfPlan(plan, [4, 5]), [4, 5, 4]);
  });
});
