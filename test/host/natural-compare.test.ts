/**
 * naturalCompare orders the names HostFs lists itself where it can (letters, digits, "_", "-",
 * "."), without building ICU's collator; every pair must compare as ICU's numeric collation does,
 * so listings keep ICU's order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSimpleName, naturalCompare } from '../../src/host/host-fs.js';

const icu = new Intl.Collator('en', { numeric: true });

function assertSameAsIcu(names: string[]): void {
  for (const a of names) {
    for (const b of names) {
      const want = Math.sign(icu.compare(a, b));
      if (naturalCompare(a, b) !== want) assert.fail(`naturalCompare(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${naturalCompare(a, b)}, ICU says ${want}`);
    }
  }
}

describe('naturalCompare', () => {
  it('orders every short name of letters, digits and punctuation as ICU does', () => {
    const alphabet = ['a', 'b', 'z', 'A', 'Z', '0', '1', '9', '_', '-', '.'];
    let layer = [''];
    const names = [''];
    for (let length = 1; length <= 3; length++) {
      layer = layer.flatMap((prefix) => alphabet.map((char) => prefix + char));
      names.push(...layer);
    }
    assert.ok(names.filter(isSimpleName).length > 1000);
    assertSameAsIcu(names);
  });

  it('orders real /sys and /proc names as ICU does, the simple ones without it', () => {
    const names = [
      'cpu0', 'cpu1', 'cpu2', 'cpu10', 'cpu100', 'cpufreq', 'cpuidle', 'crash_hotplug', 'enabled', 'hotplug', 'isolated', 'kernel_max',
      'modalias', 'nohz_full', 'offline', 'online', 'possible', 'power', 'present', 'smt', 'uevent', 'vulnerabilities', 'has_cpu',
      'has_generic_initiator', 'has_memory', 'has_normal_memory', 'node0', 'node1', 'node10', 'hugepages-1048576kB', 'hugepages-2048kB',
      'cpu_capacity', 'index0', 'index3', 'coherency_line_size', 'shared_cpu_list', 'ways_of_associativity', '1', '2', '10', '12345',
      'kvm-tui.json', 'a.json', 'a-b', 'a_b', 'a.b', 'ab', 'aB', 'Ab', 'AB', 'x86_64',
    ];
    assert.ok(names.every(isSimpleName));
    assertSameAsIcu(names);
    const shuffled = [...names].reverse();
    assert.deepEqual(shuffled.sort(naturalCompare), [...names].sort(icu.compare));
  });

  it('leaves other names to ICU (leading zeros, long numbers, spaces, other characters)', () => {
    const names = ['cpu01', 'cpu1', 'cpu001', '0', '00', '007', '7', '1234567890123456', '123456789012345', 'a b', 'a~b', 'é', 'e', 'f', 'ü', 'a:b', 'a', 'b'];
    for (const name of ['cpu01', '00', '007', '1234567890123456', 'a b', 'a~b', 'é', 'ü', 'a:b']) assert.equal(isSimpleName(name), false, name);
    assertSameAsIcu(names);
  });

  it('random names of simple characters compare as ICU does', () => {
    const chars = 'abcxyzABXYZ0123456789_-.';
    let seed = 13;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const names: string[] = [];
    while (names.length < 400) {
      let name = '';
      const length = Math.floor(random() * 12);
      for (let index = 0; index < length; index++) name += chars[Math.floor(random() * chars.length)];
      names.push(name);
    }
    assertSameAsIcu(names);
  });
});
