/**
 * `kvm-tui presets` as a user runs it (in-process through src/cli.tsx main): text and JSON, user presets from
 * XDG_CONFIG_HOME, a broken user preset as exit 2 naming its file; and the bundled CLI (one
 * esbuild file, like the published one) listing the builtins from another directory.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { scratchDir } from '../helpers/fixture-root.js';
import { runCli } from '../helpers/run-cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BUILTIN = ['balanced', 'high-performance', 'low-latency', 'numa-guest', 'desktop-passthrough', 'migration-compatible', 'tiny-test'];

const kvmTui = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { XDG_CONFIG_HOME: path.join(scratchDir('xdg'), 'empty'), ...env });

describe('kvm-tui presets', () => {
  test('text: one entry per preset with its description', async () => {
    const { code, stdout, stderr } = await kvmTui(['presets']);
    assert.equal(code, 0, stderr);
    const names = stdout.split('\n').map((line) => /^(\S+)\s{2,}/.exec(line)?.[1]).filter(Boolean);
    assert.deepEqual(names, BUILTIN);
    assert.match(stdout, /^tiny-test\s+TCG, 2 vCPUs, 256 MiB/m);
  });

  test('--json: name, description, reasoning, source and the resolved spec of each', async () => {
    const { code, stdout } = await kvmTui(['presets', '--json']);
    assert.equal(code, 0);
    const json = JSON.parse(stdout);
    assert.deepEqual(json.presets.map((preset: { name: string }) => preset.name), BUILTIN);
    for (const preset of json.presets) {
      assert.equal(preset.source, 'builtin');
      assert.equal(typeof preset.reasoning, 'string');
      assert.equal(typeof preset.spec.vcpus.count, 'number');
    }
  });

  test('user presets from XDG_CONFIG_HOME are listed; a broken one exits 2 naming file and field', async () => {
    const xdg = scratchDir('xdg-user');
    const dir = path.join(xdg, 'kvm-tui', 'presets');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'mine.json'), JSON.stringify({ name: 'mine', description: 'My own.', reasoning: 'Because.', spec: { vcpus: 2 } }));
    const listed = await kvmTui(['presets'], { XDG_CONFIG_HOME: xdg });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^mine\\s+My own\\.\\s+\\[${path.join(dir, 'mine.json').replace(/[.+]/g, '\\$&')}\\]$`, 'm'));

    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ name: 'bad', description: 'x', reasoning: 'y', spec: { memory: { size: '4G', backing: '2M' } } }));
    const broken = await kvmTui(['presets'], { XDG_CONFIG_HOME: xdg });
    assert.equal(broken.code, 2);
    assert.equal(broken.stdout, '');
    assert.equal(broken.stderr, `kvm-tui: ${path.join(dir, 'bad.json')}: spec.memory.backing: must be one of ram, hugepages-2M, hugepages-1G\n`);
  });

  test('takes no arguments', async () => {
    const { code, stderr } = await kvmTui(['presets', 'extra']);
    assert.equal(code, 2);
    assert.match(stderr, /unexpected argument "extra"/);
    assert.equal((await kvmTui(['presets', '--vcpus', '2'])).code, 2);
  });

  test('the bundled CLI carries the builtin presets (runs from another directory)', async () => {
    const out = path.join(scratchDir('bundle'), 'kvm-tui.mjs');
    await build({
      entryPoints: [path.join(REPO, 'src/bin.ts')],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      jsx: 'automatic',
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"', KVM_TUI_VERSION: '"0.0.0-test"' },
      alias: { 'react-devtools-core': path.join(REPO, 'scripts', 'empty-module.mjs') },
      banner: { js: "import { createRequire as __kvmCreateRequire } from 'node:module'; const require = __kvmCreateRequire(import.meta.url);" },
    });
    const result = spawnSync(process.execPath, [out, 'presets', '--json'], {
      cwd: '/',
      encoding: 'utf8',
      env: { ...process.env, XDG_CONFIG_HOME: path.join(scratchDir('xdg2'), 'none') },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout).presets.map((preset: { name: string }) => preset.name), BUILTIN);
  });
});
