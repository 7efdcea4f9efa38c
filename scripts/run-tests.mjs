// Runs tests with Node's test runner (Node 20's --test does not expand globs, so the files are
// found here): with no arguments the fast suite (everything but test/real/); `--real` the
// real-component tests (QEMU, libvirt, virt-host-validate: test/real/); or the files and folders given.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === 'fixtures' || name === 'golden' || name === 'node_modules') continue;
      collect(join(path, name), out);
    }
  } else if (/\.test\.tsx?$/.test(path)) {
    out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const real = args[0] === '--real';
const roots = real ? ['test/real', ...args.slice(1)] : args;
const files = (roots.length ? roots : ['test'])
  .flatMap((root) => collect(root, []))
  .filter((file) => roots.length > 0 || !file.startsWith(join('test', 'real')));
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
// Test files share a process per folder (per half folder for the big ones): Node 20's runner
// starts one process per file, and starting tsx with the app's modules (Ink and React for the
// screens) costs 0.3-1.3 s each, most of the suite's time on 2 cores. Each batch is a file that
// imports its folder's test files; the runner reports them as usual. A file keeps a process of
// its own when it changes what is process-wide: the environment before Ink loads (scrollback:
// CI), colour (no-color: chalk's level), or spawns and times whole runs of the executable
// (hostile-inputs, hardening, e2e-bundle, npm-pack); the real-component tests too.
// KVM_TUI_TEST_BATCH=0 runs every file alone.
const SHARED_FOLDERS = ['app', 'audit', 'backend', 'cli', 'components', 'generate', 'host', 'monitor', 'package', 'plan', 'registry', 'run', 'shared', 'spec', 'state'];
const OWN_PROCESS = new Set([
  'components/scrollback.test.tsx',
  'components/no-color.test.tsx',
  'cli/hostile-inputs.test.ts',
  'cli/hardening.test.ts',
  'cli/e2e-bundle.test.ts',
  'package/npm-pack.test.ts',
].map((file) => join('test', file)));
/** Folders whose batch is split in two, so both cores work on them. */
const HALVED = new Set(['components', 'plan']);
const batchable = (file) => !real && process.env.KVM_TUI_TEST_BATCH !== '0' && !OWN_PROCESS.has(file) && SHARED_FOLDERS.some((folder) => file.startsWith(join('test', folder) + sep));
let batchDir = null;
const removeBatches = () => {
  if (batchDir) rmSync(batchDir, { recursive: true, force: true });
};
// spawnSync blocks this process: an interrupt reaches the runner and the tests (one process
// group) and ends them; the batch files go with it.
process.on('SIGINT', () => {
  removeBatches();
  process.exit(130);
});
const groups = new Map();
for (const file of files.filter(batchable)) {
  const folder = file.split(sep)[1];
  if (!groups.has(folder)) groups.set(folder, []);
  groups.get(folder).push(file);
}
/** Entries with their test files' size, a rough cost: the runner starts them in this order. */
const weighed = files.filter((file) => !batchable(file)).map((file) => ({ entry: file, bytes: statSync(file).size }));
for (const [folder, members] of groups) {
  if (members.length === 1) {
    weighed.push({ entry: members[0], bytes: statSync(members[0]).size });
    continue;
  }
  const parts = HALVED.has(folder) && members.length >= 4 ? [members.filter((_, i) => i % 2 === 0), members.filter((_, i) => i % 2 === 1)] : [members];
  batchDir ??= mkdtempSync(join(tmpdir(), 'kvm-tui-test-batches-'));
  parts.forEach((part, index) => {
    const batch = join(batchDir, `${folder}${parts.length > 1 ? `-${index + 1}` : ''}.test.mjs`);
    writeFileSync(batch, part.map((file) => `await import(${JSON.stringify(pathToFileURL(resolve(file)).href)});`).join('\n') + '\n');
    weighed.push({ entry: batch, bytes: part.reduce((sum, file) => sum + statSync(file).size, 0) });
  });
}
// The biggest first, so that two processes finish near together instead of one long batch
// starting last while the other core idles.
const entries = (real ? weighed : weighed.sort((a, b) => b.bytes - a.bytes)).map((item) => item.entry);
// The bundle the end-to-end tests run, built once here (test/helpers/bundle.ts): files that run
// at the same time then never rebuild dist/ under each other, and none tests a stale one.
const build = spawnSync(process.execPath, [join('scripts', 'build.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
if (build.status !== 0) {
  removeBatches();
  console.error('run-tests: scripts/build.mjs failed');
  process.exit(1);
}
let result;
try {
  result = spawnSync(
    process.execPath,
    // The real tests share one libvirtd and one host's CPUs: a domain one file starts is held CPUs
    // (or a vanished domain) to another's plan, so they run one file at a time.
    ['--import', 'tsx', '--test', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? (real ? 1 : 2)}`, ...entries],
    { stdio: 'inherit', env: { ...process.env, KVM_TUI_TEST_BUNDLE_BUILT: '1' } },
  );
} finally {
  removeBatches();
}
process.exit(result.status ?? 1);
