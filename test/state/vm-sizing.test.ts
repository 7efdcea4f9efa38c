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
    assert.equal(press('n').network.mode, 'user');
    assert.equal(press('a').accel, 'kvm', 'tiny-test is TCG: a switches to KVM');
    assert.equal(sizingOverrides('x', tiny.spec), null, 'not a sizing key');
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
