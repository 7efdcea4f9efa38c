// The published artefact: one bundled file, zero runtime dependencies, installs offline, runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

test('npm pack gives a dependency-free tarball that installs offline and runs', { timeout: 180_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'kvm-tui-pack-'));
  try {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', work], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    )[0];
    const files = packed.files.map((file: { path: string }) => file.path).sort();
    assert.ok(files.includes('dist/kvm-tui.js'), `tarball lacks the bundle: ${files.join(', ')}`);
    assert.ok(files.includes('package.json'));
    const javascript = files.filter((path: string) => path.endsWith('.js'));
    assert.deepEqual(javascript, ['dist/kvm-tui.js'], 'exactly one JavaScript file is published');

    const tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz'))!);
    const manifest = JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    assert.equal(manifest.dependencies, undefined, 'no runtime dependencies');
    assert.equal(manifest.bin['kvm-tui'], 'dist/kvm-tui.js');

    const prefix = join(work, 'prefix');
    execFileSync('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, tarball], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_cache: join(work, 'empty-cache') },
    });
    const bin = resolve(prefix, 'bin', 'kvm-tui');
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
    assert.equal(version, manifest.version);
    const tree = execFileSync(bin, ['topology'], { encoding: 'utf8' });
    assert.match(tree, /CPUs online/);
    assert.match(tree, /node \d+/);
    const json = JSON.parse(execFileSync(bin, ['topology', '--json'], { encoding: 'utf8' }));
    assert.ok(Array.isArray(json.cpus) && json.cpus.length > 0);

    // plan, presets, generate and the wizard live in bundles embedded in the one file: each
    // must load from it, and their errors must keep their exit codes across that boundary.
    const presets = JSON.parse(execFileSync(bin, ['presets', '--json'], { encoding: 'utf8' }));
    assert.ok(presets.presets.some((preset: { name: string }) => preset.name === 'tiny-test'));
    const plan = JSON.parse(execFileSync(bin, ['plan', '--preset', 'tiny-test', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    assert.equal(plan.vcpus.length, plan.spec.vcpus.count);
    const xml = execFileSync(bin, ['generate', '--preset', 'tiny-test', '--format', 'xml'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(xml, /^<domain type="qemu">/);
    const badPreset = spawnSync(bin, ['plan', '--preset', 'no-such-preset'], { encoding: 'utf8' });
    assert.equal(badPreset.status, 2, badPreset.stderr);
    assert.equal(badPreset.stderr.trim().split('\n').length, 1, badPreset.stderr);
    assert.match(badPreset.stderr, /unknown preset "no-such-preset"/);
    const noTerminal = spawnSync(bin, [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(noTerminal.status, 2, noTerminal.stderr);
    assert.match(noTerminal.stderr, /^kvm-tui: the wizard needs an interactive terminal/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
