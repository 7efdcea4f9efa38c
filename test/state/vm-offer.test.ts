import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostInterface } from '../../src/app/host-offer.js';
import { checkIfname } from '../../src/shared/ifname.js';
import { applyPresetOverrides } from '../../src/spec/resolve.js';
import { listPresets } from '../../src/spec/presets.js';
import { networkChoices, networkNote, netValue, proposedTapName } from '../../src/state/vm-offer.js';

const iface = (name: string, kind: HostInterface['kind'], extra: Partial<HostInterface> = {}): HostInterface => ({ name, kind, bridge: null, up: true, ip4: null, isDefault: false, ...extra });

test('user-mode first, a tap per bridge (the one on it, or a new one with how to make it), lone taps, none last', () => {
  const host = [
    iface('lo', 'loopback'),
    iface('eno1', 'other', { isDefault: true, bridge: 'br0' }),
    iface('br0', 'bridge', { ip4: '192.0.2.10' }),
    iface('tap0', 'tap', { bridge: 'br0' }),
    iface('virbr0', 'bridge'),
    iface('tap9', 'tap'),
  ];
  const choices = networkChoices(host, 'web server');
  assert.deepEqual(choices.map((choice) => choice.value), ['user', 'tap:tap0', 'tap:kt-webserver', 'tap:tap9', 'none']);
  assert.match(choices[0]!.label, /out via eno1/);
  assert.match(choices[1]!.label, /tap tap0 on bridge br0 \(192\.0\.2\.10\)/);
  assert.equal(choices[1]!.setup, null, 'already there');
  assert.match(choices[2]!.setup!, /ip tuntap add dev kt-webserver mode tap user \$USER && ip link set kt-webserver master virbr0 up/);
  assert.match(choices[3]!.label, /on no bridge/);
  assert.equal(networkNote(host), null);
});

test('every value is one the spec takes (the --net shorthands, names the kernel allows)', () => {
  const tiny = listPresets({ userDir: '/nonexistent/kvm-tui-presets' }).find((preset) => preset.name === 'tiny-test')!;
  for (const name of ['a', 'a-very-long-vm-name-with-spaces and/slashes', '日本']) {
    const tap = proposedTapName(name);
    assert.equal(checkIfname(tap), null, tap);
    for (const choice of networkChoices([iface('br0', 'bridge')], name)) {
      const spec = applyPresetOverrides(tiny, { net: choice.value });
      assert.equal(netValue(spec.network), choice.value);
    }
  }
});

test('a host without a bridge says so, naming the uplink', () => {
  const host = [iface('lo', 'loopback'), iface('eth0', 'other', { isDefault: true })];
  assert.deepEqual(networkChoices(host, 'vm').map((choice) => choice.value), ['user', 'none']);
  assert.match(networkNote(host)!, /no bridge on this host: .*br0 over eth0/);
});
