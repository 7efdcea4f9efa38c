/**
 * resolveSpec: --preset or --spec, then overrides merged into the spec as written, so what
 * depends on them is derived again; bad values are usage errors naming the flag.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { specRequestFromArgs, type ParsedArgs } from '../../src/cli-args.js';
import { UsageError } from '../../src/errors.js';
import { applyPresetOverrides, resolveSpec, specInputWithOverrides } from '../../src/spec/resolve.js';
import { findPreset } from '../../src/spec/presets.js';
import { SpecError } from '../../src/spec/vm-spec.js';
import { scratchDir } from '../helpers/fixture-root.js';

const OPTS = { userDir: path.join(scratchDir('resolve-presets'), 'none') };
const args = (values: ParsedArgs['values']): ParsedArgs => ({ command: 'plan', positionals: [], values });
const resolve = (values: ParsedArgs['values']) => resolveSpec(specRequestFromArgs(args(values)), OPTS);
const usageMessage = (values: ParsedArgs['values']): string => {
  try {
    resolve(values);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.message;
  }
  return 'no error';
};

describe('resolveSpec', () => {
  test('exactly one of --preset and --spec', () => {
    assert.equal(usageMessage({}), 'plan: give exactly one of --preset NAME or --spec FILE');
    assert.equal(usageMessage({ preset: 'balanced', spec: 'x.json' }), 'plan: give exactly one of --preset NAME or --spec FILE');
  });

  test('a preset without overrides is the preset', () => {
    const spec = resolve({ preset: 'balanced' });
    assert.equal(spec.name, 'balanced');
    assert.equal(spec.vcpus.count, 4);
  });

  test('overrides apply and derived values follow', () => {
    const spec = resolve({
      preset: 'high-performance', name: 'db "main" $(x)', vcpus: '4', memory: '8G', hugepages: '1G', disk: ['/a b.qcow2', '/c.raw'],
      net: 'tap:vm-db', strategy: 'spread',
    });
    assert.equal(spec.name, 'db "main" $(x)');
    assert.equal(spec.vcpus.count, 4);
    assert.equal(spec.vcpus.autoTopology, true);
    assert.deepEqual(spec.memory, { sizeMiB: 8192, backing: 'hugepages-1G', prealloc: true, lock: false, share: true });
    assert.deepEqual(spec.numa, [{ vcpus: [0, 1, 2, 3], memMiB: 8192, hostNode: null }], 'the guest node follows --vcpus and --memory');
    assert.deepEqual(spec.disks.map((disk) => [disk.path, disk.cache, disk.aio, disk.iothread]), [
      ['/a b.qcow2', 'none', 'native', true],
      ['/c.raw', 'none', 'native', true],
    ], 'the preset\'s disk defaults apply to --disk');
    assert.equal(spec.iothreads.count, 2);
    assert.deepEqual(spec.network, { mode: 'tap', ifname: 'vm-db', vhost: true, queues: 4, mac: null });
    assert.equal(spec.pinning.strategy, 'spread');
  });

  test('--net forms', () => {
    assert.deepEqual(resolve({ preset: 'high-performance', net: 'user' }).network, { mode: 'user', ifname: null, vhost: false, queues: 1, mac: null });
    assert.equal(resolve({ preset: 'high-performance', net: 'tap' }).network.ifname, 'tap0', 'tap alone keeps the spec\'s interface');
    assert.equal(resolve({ preset: 'balanced', net: 'none' }).network.mode, 'none');
    assert.equal(usageMessage({ preset: 'balanced', net: 'tap' }), '--net: tap needs an interface name: tap:IFNAME');
    assert.equal(usageMessage({ preset: 'balanced', net: 'bridge' }), '--net: expected user, none or tap:IFNAME, got "bridge"');
    assert.match(usageMessage({ preset: 'balanced', net: 'tap:a/b' }), /^preset balanced with overrides: network\.ifname: must not contain "\/", ":", spaces or control characters$/);
  });

  test('--accel tcg turns host passthrough into max', () => {
    const spec = resolve({ preset: 'desktop-passthrough', accel: 'tcg' });
    assert.equal(spec.accel, 'tcg');
    assert.equal(spec.cpu.model, 'max');
    assert.equal(spec.cpu.cachePassthrough, false);
    assert.equal(resolve({ preset: 'migration-compatible', accel: 'tcg' }).cpu.model, 'Skylake-Server', 'a named model stays');
  });

  test('--hugepages none gives plain RAM', () => {
    const spec = resolve({ preset: 'low-latency', hugepages: 'none' });
    assert.equal(spec.memory.backing, 'ram');
    assert.equal(spec.memory.prealloc, false, 'prealloc was for the hugepages');
    assert.equal(spec.memory.lock, true, 'the rest of the preset stays');
  });

  test('bad override values name the flag', () => {
    assert.equal(usageMessage({ preset: 'balanced', memory: 'lots' }), '--memory: expected a size like 4G or 4096M, got "lots"');
    assert.equal(usageMessage({ preset: 'balanced', vcpus: '0' }), '--vcpus: expected a whole number from 1 to 4096, got "0"');
    assert.equal(usageMessage({ preset: 'balanced', vcpus: '2x' }), '--vcpus: expected a whole number from 1 to 4096, got "2x"');
    assert.equal(usageMessage({ preset: 'balanced', hugepages: '4M' }), '--hugepages: expected none, 2M or 1G, got "4M"');
    assert.equal(usageMessage({ preset: 'balanced', accel: 'hvf' }), '--accel: expected auto, kvm or tcg, got "hvf"');
    assert.equal(usageMessage({ preset: 'balanced', strategy: 'tight' }), '--strategy: expected compact, spread or none, got "tight"');
    assert.match(usageMessage({ preset: 'balanced', name: 'a/b' }), /^--name: must not contain "\/"/);
    assert.match(usageMessage({ preset: 'balanced', name: 'a\nb' }), /^--name: must not contain control characters/);
    assert.equal(usageMessage({ preset: 'balanced', disk: [''] }), '--disk: expected a file path');
    // Valid flags whose combination the spec rejects are reported against the merged spec.
    assert.equal(usageMessage({ preset: 'low-latency', memory: '1536M' }), 'preset low-latency with overrides: memory.size: 1536 MiB is not a whole number of 1G pages');
  });

  test('--spec files: read, validated, overridden; missing and broken files', () => {
    const dir = scratchDir('resolve-specs');
    const file = path.join(dir, 'vm.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'from-file', vcpus: { count: 4, threads: 2 }, pinning: { map: [1, 2, 3, 4] } }));
    const spec = resolve({ spec: file });
    assert.equal(spec.name, 'from-file');
    assert.deepEqual(spec.pinning.map, [1, 2, 3, 4]);
    const overridden = resolve({ spec: file, strategy: 'compact' });
    assert.equal(overridden.pinning.map, null, '--strategy replaces a written map');
    assert.throws(() => resolve({ spec: file, vcpus: '2' }), (error: unknown) => {
      assert.ok(error instanceof SpecError);
      assert.equal(error.message, `${file} with overrides: pinning.map: has 4 entries for 2 vCPUs (one host CPU per vCPU)`);
      return true;
    });
    assert.equal(usageMessage({ spec: path.join(dir, 'missing.json') }), `--spec ${path.join(dir, 'missing.json')}: no such file`);
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{ "name": ');
    assert.match(usageMessage({ spec: broken }), new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid JSON \\(`));
  });

  test('the core map\'s overrides: a map given with a strategy wins; emulator and iothread CPUs by hand', () => {
    const preset = findPreset('balanced', OPTS);
    const count = preset.spec.vcpus.count;
    const map = Array.from({ length: count }, (_, vcpu) => vcpu + 2);
    const spec = applyPresetOverrides(preset, { disks: ['a.qcow2'], strategy: 'spread', map, emulatorCpus: [1], iothreadCpus: [0, 1] });
    assert.deepEqual(spec.pinning.map, map, 'map edits after an auto-assign are kept');
    assert.equal(spec.pinning.strategy, 'spread');
    assert.deepEqual(spec.emulator.cpus, [1]);
    assert.deepEqual(spec.iothreads.cpus, [0, 1]);
    const back = applyPresetOverrides(preset, { disks: ['a.qcow2'], strategy: 'spread', map: null, emulatorCpus: null, iothreadCpus: null });
    assert.equal(back.pinning.map, null);
    assert.equal(back.emulator.cpus, null);
    assert.equal(back.iothreads.cpus ?? null, null);
    // Saved, they read back as written.
    const saved = specInputWithOverrides(preset, { emulatorCpus: [1] }) as { emulator: { cpus: number[] } };
    assert.deepEqual(saved.emulator.cpus, [1]);
  });
});
