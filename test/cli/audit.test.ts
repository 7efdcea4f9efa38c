/**
 * `kvm-tui audit` as a user runs it (in-process through src/cli.tsx main): exit codes, the JSON contract of
 * ../shared/CLI.md, text output, --only-problems, usage errors; and a check that the command's
 * import graph stays free of Ink and React (it must start fast and work without a TTY).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/run-cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const HOSTS = path.join(REPO, 'test/fixtures/hosts');

const kvmTui = (args: string[]) => runCli(args);

describe('kvm-tui audit', () => {
  test('--json on a well-tuned capture: the contract shape, exit 0', async () => {
    const { code, stdout, stderr } = await kvmTui(['--root', path.join(HOSTS, 'well-tuned'), 'audit', '--json']);
    assert.equal(code, 0, stderr);
    const json = JSON.parse(stdout);
    assert.ok(json.checks.length >= 25);
    for (const check of json.checks) {
      assert.deepEqual(
        ['id', 'title', 'category', 'status', 'evidence', 'why', 'fix', 'needsRoot'].filter((key) => !(key in check)),
        [],
        check.id,
      );
      assert.ok(['pass', 'warn', 'fail', 'info', 'skip'].includes(check.status));
      assert.ok(check.fix === null || typeof check.fix === 'string');
      assert.equal(typeof check.needsRoot, 'boolean');
      assert.ok(['virtualization', 'devices', 'memory', 'cpu', 'numa', 'storage', 'cgroups'].includes(check.category));
    }
    const kvm = json.checks.find((check: { id: string }) => check.id === 'kvm.device');
    assert.equal(kvm.status, 'pass');
    const summed = Object.values(json.summary as Record<string, number>).reduce((sum, value) => sum + value, 0);
    assert.equal(summed, json.checks.length);
    assert.equal(json.summary.fail, 0);
  });

  test('a failing check exits 1; text is grouped by category with fixes and a summary', async () => {
    const { code, stdout } = await kvmTui(['--root', path.join(HOSTS, 'bare'), 'audit']);
    assert.equal(code, 1);
    const categories = stdout.split('\n').filter((line) => /^[a-z]+$/.test(line));
    assert.deepEqual(categories, ['virtualization', 'devices', 'memory', 'cpu', 'numa', 'storage', 'cgroups']);
    assert.match(stdout, /^ {2}FAIL {2}\/dev\/kvm present and usable \[kvm\.device\]$/m);
    assert.match(stdout, /fix: now \(as root\): echo performance \| tee /);
    assert.match(stdout, /^35 checks: 0 pass, 9 warn, 5 fail, 14 info, 7 skip$/m);
  });

  test('--only-problems keeps warn and fail rows (JSON and text); the summary still counts all', async () => {
    const json = JSON.parse((await kvmTui(['--root', path.join(HOSTS, 'bare'), 'audit', '--json', '--only-problems'])).stdout);
    assert.ok(json.checks.length > 0);
    assert.ok(json.checks.every((check: { status: string }) => check.status === 'warn' || check.status === 'fail'));
    assert.equal(json.summary.info, 14);
    const text = await kvmTui(['--root', path.join(HOSTS, 'well-tuned'), 'audit', '--only-problems']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^no problems found$/m);
  });

  test('the kvm_pvm capture explains itself in JSON', async () => {
    const { code, stdout } = await kvmTui(['--root', path.join(HOSTS, 'pvm'), 'audit', '--json']);
    assert.equal(code, 0, 'warnings only: no failing check');
    const flags = JSON.parse(stdout).checks.find((check: { id: string }) => check.id === 'virt.cpu-flags');
    assert.equal(flags.status, 'warn');
    assert.match(flags.evidence, /kvm_pvm/);
    assert.equal(typeof flags.fix, 'string');
    assert.equal(typeof flags.fixDetail, 'object');
  });

  test('usage errors exit 2 with one line', async () => {
    for (const args of [['audit', '--bogus'], ['audit', 'extra'], ['audit', '--format', 'xml']]) {
      const { code, stderr, stdout } = await kvmTui(args);
      assert.equal(code, 2, args.join(' '));
      assert.equal(stdout, '');
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.doesNotMatch(stderr, /\n\s+at /);
    }
  });

  test('the audit command never imports Ink, React or components', () => {
    const seen = new Set<string>();
    const offenders: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = fs.readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
        const specifier = match[1] ?? match[2] ?? match[3]!;
        if (/^(ink|react)(\/|$)|^ink-/.test(specifier) || specifier.includes('components/')) offenders.push(`${path.relative(REPO, file)} -> ${specifier}`);
        if (!specifier.startsWith('.')) continue;
        const resolved = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '');
        const candidate = ['.ts', '.tsx'].map((ext) => resolved + ext).find((name) => fs.existsSync(name));
        if (candidate) visit(candidate);
      }
    };
    visit(path.join(REPO, 'src/commands/audit.ts'));
    assert.ok(seen.size > 10, `walked ${seen.size} modules`);
    assert.ok([...seen].some((file) => file.endsWith('src/audit/checks/cpu.ts')), 'the walk reaches the checks');
    assert.deepEqual(offenders, []);
  });
});
