/**
 * Presets: the bundled list matches presets/*.json, each builtin is what its description says
 * (checked field by field against the spec it resolves to), and user presets from the XDG
 * config dir are listed, can replace a builtin, and are reported - file and field - when broken.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/errors.js';
import { BUILTIN_PRESET_FILES } from '../../src/spec/builtin-presets.js';
import { findPreset, listPresets, userPresetDir } from '../../src/spec/presets.js';
import { SpecError } from '../../src/spec/vm-spec.js';
import { scratchDir } from '../helpers/fixture-root.js';

const PRESET_DIR = fileURLToPath(new URL('../../presets/', import.meta.url));

function userDir(files: Record<string, unknown>): string {
  const dir = scratchDir('user-presets');
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}
const EMPTY = { userDir: path.join(scratchDir('no-presets'), 'missing') };

describe('builtin presets', () => {
  test('every presets/*.json is bundled, with the same content', () => {
    const files = fs.readdirSync(PRESET_DIR).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -5)).sort();
    assert.deepEqual(BUILTIN_PRESET_FILES.map((entry) => entry.file).sort(), files);
    for (const entry of BUILTIN_PRESET_FILES) {
      assert.deepEqual(entry.data, JSON.parse(fs.readFileSync(path.join(PRESET_DIR, `${entry.file}.json`), 'utf8')), entry.file);
      assert.equal((entry.data as { name: string }).name, entry.file, 'file name = preset name');
    }
  });

  test('each has a one-line description and its reasoning', () => {
    for (const preset of listPresets(EMPTY)) {
      assert.equal(preset.source, 'builtin');
      assert.ok(preset.description.length > 20 && !preset.description.includes('\n'), preset.name);
      assert.ok(preset.reasoning.length > preset.description.length, preset.name);
    }
  });

  test('high-performance is the guide\'s config', () => {
    const { spec } = findPreset('high-performance', EMPTY);
    assert.equal(spec.name, 'high-perf-vm');
    assert.equal(spec.cpu.model, 'host');
    assert.equal(spec.vcpus.count, 8);
    assert.deepEqual(spec.memory, { sizeMiB: 16384, backing: 'hugepages-2M', prealloc: true, lock: false, share: true });
    assert.equal(spec.numa.length, 1, 'one guest NUMA node backed by the hugepage memory (the guide\'s -numa node,memdev=mem)');
    assert.equal(spec.pinning.strategy, 'compact');
    assert.deepEqual(spec.network, { mode: 'tap', ifname: 'tap0', vhost: true, queues: 8, mac: null });
    assert.equal(spec.emulator.placement, 'housekeeping');
  });

  test('the others match their descriptions', () => {
    const balanced = findPreset('balanced', EMPTY).spec;
    assert.equal(balanced.memory.backing, 'ram');
    assert.equal(balanced.network.mode, 'user');
    assert.equal(balanced.pinning.strategy, 'compact');

    const migration = findPreset('migration-compatible', EMPTY).spec;
    assert.notEqual(migration.cpu.model, 'host');
    assert.match(migration.machine, /^pc-q35-\d+\.\d+$/);

    const lowLatency = findPreset('low-latency', EMPTY).spec;
    assert.equal(lowLatency.memory.backing, 'hugepages-1G');
    assert.equal(lowLatency.memory.lock, true);
    assert.equal(lowLatency.pinning.preferIsolated, true);
    assert.equal(lowLatency.emulator.placement, 'housekeeping');
    assert.equal(lowLatency.iothreads.placement, 'dedicated');

    const numaGuest = findPreset('numa-guest', EMPTY).spec;
    assert.equal(numaGuest.numa.length, 2);

    const desktop = findPreset('desktop-passthrough', EMPTY).spec;
    assert.equal(desktop.cpu.cachePassthrough, true);
    assert.equal(desktop.vcpus.autoTopology, true, 'guest threads follow the host SMT width');

    const tiny = findPreset('tiny-test', EMPTY).spec;
    assert.equal(tiny.accel, 'tcg');
    assert.ok(tiny.vcpus.count >= 1 && tiny.vcpus.count <= 2);
    assert.ok(tiny.memory.sizeMiB >= 128 && tiny.memory.sizeMiB <= 256);
    assert.deepEqual(tiny.disks, []);
    assert.ok(['user', 'none'].includes(tiny.network.mode));
    assert.equal(tiny.pinning.requireDedicated, false);
  });

  test('an unknown name lists the valid ones', () => {
    assert.throws(() => findPreset('fast', EMPTY), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, '--preset: unknown preset "fast" (valid: balanced, high-performance, low-latency, numa-guest, desktop-passthrough, migration-compatible, tiny-test)');
      return true;
    });
  });
});

describe('user presets', () => {
  const mine = { name: 'build-box', description: 'A big builder.', reasoning: 'Compiles want cores, not hugepages.', spec: { vcpus: 16, memory: '32G' } };

  test('are listed after the builtins, with their file as source', () => {
    const dir = userDir({ 'build-box.json': mine, 'notes.txt': 'not a preset' });
    const presets = listPresets({ userDir: dir });
    assert.equal(presets.length, 8);
    const last = presets[7]!;
    assert.equal(last.name, 'build-box');
    assert.equal(last.source, path.join(dir, 'build-box.json'));
    assert.equal(last.spec.name, 'build-box', 'the VM name defaults to the preset name');
    assert.equal(last.spec.vcpus.count, 16);
    assert.equal(findPreset('build-box', { userDir: dir }).spec.memory.sizeMiB, 32768);
  });

  test('one named like a builtin replaces it', () => {
    const dir = userDir({ 'balanced.json': { ...mine, name: 'balanced' } });
    const presets = listPresets({ userDir: dir });
    assert.equal(presets.filter((preset) => preset.name === 'balanced').length, 1);
    assert.equal(findPreset('balanced', { userDir: dir }).spec.vcpus.count, 16);
  });

  test('a broken one is reported with its file and field', () => {
    const cases: Array<[unknown, string]> = [
      [{ ...mine, spec: { disks: [{ path: 'a', aio: 'posix' }] } }, 'spec.disks[0].aio: must be one of native, io_uring, threads'],
      [{ ...mine, description: undefined }, 'description: must be a string'],
      [{ ...mine, name: 'has space' }, 'name: must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit'],
      [{ ...mine, color: 'red' }, 'color: unknown field'],
      ['{ "name": ', 'not valid JSON'],
    ];
    for (const [content, expected] of cases) {
      const dir = userDir({ 'broken.json': content });
      assert.throws(() => listPresets({ userDir: dir }), (error: unknown) => {
        assert.ok(error instanceof SpecError);
        assert.ok(error.message.startsWith(`${path.join(dir, 'broken.json')}: ${expected}`), error.message);
        return true;
      });
    }
  });

  test('a "__proto__" key in its spec is left out, as before (zod\'s record left it out), and changes nothing', () => {
    const dir = userDir({ 'build-box.json': '{"name":"build-box","description":"A big builder.","reasoning":"r","spec":{"__proto__":{"vcpus":99,"color":"red"},"vcpus":16,"memory":"32G"}}' });
    const preset = findPreset('build-box', { userDir: dir });
    assert.equal(preset.spec.vcpus.count, 16);
    assert.equal(preset.spec.memory.sizeMiB, 32768);
    assert.equal(Object.hasOwn(preset.input ?? {}, '__proto__'), false);
    assert.equal(({} as Record<string, unknown>).vcpus, undefined, 'no prototype was touched');
  });

  test('two user files with one name are an error', () => {
    const dir = userDir({ 'a.json': mine, 'b.json': mine });
    assert.throws(() => listPresets({ userDir: dir }), /b\.json: name: "build-box" is also the name of .*a\.json/);
  });

  test('the directory follows XDG_CONFIG_HOME, else HOME/.config', () => {
    assert.equal(userPresetDir({ XDG_CONFIG_HOME: '/x/conf', HOME: '/home/u' }, null), '/x/conf/kvm-tui/presets');
    assert.equal(userPresetDir({ HOME: '/home/u' }, '/home/other'), '/home/u/.config/kvm-tui/presets');
    assert.equal(userPresetDir({ XDG_CONFIG_HOME: 'relative', HOME: '/home/u' }, null), '/home/u/.config/kvm-tui/presets');
    const dir = userDir({});
    fs.mkdirSync(path.join(dir, 'kvm-tui', 'presets'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'kvm-tui', 'presets', 'x.json'), JSON.stringify({ ...mine, name: 'from-env' }));
    assert.ok(listPresets({ env: { XDG_CONFIG_HOME: dir } }).some((preset) => preset.name === 'from-env'));
  });

  test('without HOME the directory is under the home the context gives; with no home there are no user presets', () => {
    assert.equal(userPresetDir({}, '/home/pw'), '/home/pw/.config/kvm-tui/presets');
    assert.equal(userPresetDir({}, null), null);
    assert.ok(listPresets({ env: {}, home: null }).some((preset) => preset.name === 'balanced'));
  });
});
