/**
 * The shipped file end to end: scripts/build.mjs bundles the CLI once into dist/kvm-tui.js, which
 * then runs as a user runs it (`node dist/kvm-tui.js ...`, from another directory, stdout a
 * pipe). The other CLI tests call main() in-process on the sources; only these prove that the
 * bundle starts, that its embedded bundles (plan, generate) load, and that bin.ts turns the
 * command's result into the process's exit code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { fixtureRoot, scratchDir } from '../helpers/fixture-root.js';
import { REPO, runCli, type CliResult } from '../helpers/run-cli.js';
import { BUNDLE, ensureBundle } from '../helpers/bundle.js';

const scratch = scratchDir('e2e-bundle');
// No user presets, and a runtime dir of our own: only the builtins and this test's paths are seen.
const ENV: NodeJS.ProcessEnv = {
  HOME: scratch,
  XDG_CONFIG_HOME: path.join(scratch, 'config'),
  XDG_CACHE_HOME: path.join(scratch, 'cache'),
  XDG_RUNTIME_DIR: path.join(scratch, 'xdg'),
};

/** `node dist/kvm-tui.js ARGS` in a child process, from a directory that is not the repository. */
function runBundle(args: string[]): CliResult {
  const result = spawnSync(process.execPath, [BUNDLE, ...args], {
    cwd: scratch,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...ENV },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the bundled CLI (dist/kvm-tui.js)', () => {
  before(() => {
    ensureBundle();
    assert.ok(fs.statSync(BUNDLE).isFile());
  });

  test('--version prints the package version', () => {
    const { code, stdout, stderr } = runBundle(['--version']);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `${JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version}\n`);
  });

  test('topology --json parses and equals the in-process output', async () => {
    // A captured host, so both runs read the same thing (a live host's hugepage pools change
    // while other test files run).
    const root = fixtureRoot('hwloc-offline-cpu0-node0');
    const shipped = runBundle(['--root', root, 'topology', '--json']);
    assert.equal(shipped.code, 0, shipped.stderr);
    assert.equal(shipped.stderr, '');
    const inProcess = await runCli(['--root', root, 'topology', '--json'], ENV);
    assert.equal(inProcess.code, 0, inProcess.stderr);
    assert.deepEqual(JSON.parse(shipped.stdout), JSON.parse(inProcess.stdout));
    assert.equal(shipped.stdout, inProcess.stdout);
    // And on this live host it runs and gives JSON with CPUs in it.
    const live = runBundle(['topology', '--json']);
    assert.equal(live.code, 0, live.stderr);
    assert.ok(JSON.parse(live.stdout).cpus.length > 0);
  });

  test('plan --preset tiny-test --json parses (the embedded plan bundle loads)', () => {
    const { code, stdout, stderr } = runBundle(['plan', '--preset', 'tiny-test', '--json']);
    assert.equal(code, 0, stderr);
    const plan = JSON.parse(stdout);
    assert.equal(plan.spec.name, 'tiny-test');
    assert.equal(plan.vcpus.length, plan.spec.vcpus.count);
    assert.deepEqual(plan.errors, []);
  });

  test('a bad flag exits 2 with a one-line error, in the light part and in an embedded bundle', () => {
    for (const args of [['topology', '--bogus-flag'], ['plan', '--preset', 'tiny-test', '--bogus-flag']]) {
      const { code, stdout, stderr } = runBundle(args);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.equal(stdout, '');
      assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
      assert.match(stderr, /^kvm-tui: .*bogus-flag/);
      assert.doesNotMatch(stderr, /\n\s+at /);
    }
  });

  test('generate --preset tiny-test --format qemu exits 0 with the command preview', () => {
    const { code, stdout, stderr } = runBundle(['generate', '--preset', 'tiny-test', '--format', 'qemu']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^# kvm-tui: QEMU command for VM "tiny-test"/);
    assert.match(stdout, /\nqemu-system-\S+ \\\n/);
  });
});
