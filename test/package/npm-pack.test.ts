// The published artefact: the bundled CLI (dist/kvm-tui.js and the modules it loads on first use,
// dist/lib/*.js), zero runtime dependencies, installs offline, runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';

/** Relative module specifiers ("./lib/x.js", "./chunk-y.js") a bundled file imports, statically or by import(). */
function relativeImports(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)["'](\.{1,2}\/[^"']+)["']/g)].map((match) => match[1]!);
}

test('npm pack gives a dependency-free tarball that installs offline and runs', { timeout: 180_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'kvm-tui-pack-'));
  try {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', work], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    )[0];
    const files: string[] = packed.files.map((file: { path: string }) => file.path).sort();
    assert.ok(files.includes('dist/kvm-tui.js'), `tarball lacks the bundle: ${files.join(', ')}`);
    assert.ok(files.includes('package.json'));
    // The JavaScript published is exactly what the build (prepack) left in dist/: the entry and
    // its chunks, nothing stale, no source, no dependency.
    const javascript = files.filter((path) => path.endsWith('.js'));
    const built = ['dist/kvm-tui.js', ...readdirSync('dist/lib').map((name) => `dist/lib/${name}`)].sort();
    assert.deepEqual(javascript, built, 'the tarball holds the built entry and chunks, and only those');
    assert.ok(built.length > 1, 'the commands are chunks of their own in dist/lib');
    for (const path of javascript) assert.match(path, /^dist\/(kvm-tui\.js|lib\/[\w.-]+\.js)$/);
    // Every module a published file imports is published: walked from the entry through every
    // static and dynamic import, so a command's chunk cannot be left out of "files".
    const reached = new Set<string>();
    const walk = (path: string) => {
      if (reached.has(path)) return;
      assert.ok(files.includes(path), `${[...reached].at(-1) ?? 'the entry'} imports ${path}, which is not in the tarball`);
      reached.add(path);
      for (const specifier of relativeImports(readFileSync(path, 'utf8'))) walk(posix.join(posix.dirname(path), specifier));
    };
    walk('dist/kvm-tui.js');
    for (const chunk of ['plan', 'generate', 'audit', 'run-wizard', 'run-monitor']) {
      assert.ok([...reached].some((path) => new RegExp(`^dist/lib/${chunk}-\\w+\\.js$`).test(path)), `no ${chunk} chunk reached from the entry: ${[...reached].join(', ')}`);
    }

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

    // Every command is a chunk the entry imports on first use, found next to the installed entry
    // (through npm's bin link): each must load, and its errors keep their exit codes.
    const presets = JSON.parse(execFileSync(bin, ['presets', '--json'], { encoding: 'utf8' }));
    assert.ok(presets.presets.some((preset: { name: string }) => preset.name === 'tiny-test'));
    const plan = JSON.parse(execFileSync(bin, ['plan', '--preset', 'tiny-test', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    assert.equal(plan.vcpus.length, plan.spec.vcpus.count);
    const xml = execFileSync(bin, ['generate', '--preset', 'tiny-test', '--format', 'xml'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(xml, /^<domain type="qemu">/);
    const status = JSON.parse(execFileSync(bin, ['status', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_RUNTIME_DIR: join(work, 'run') } }));
    assert.ok(Array.isArray(status.vms));
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
