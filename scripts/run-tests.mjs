// Runs tests with Node's test runner (Node 20's --test does not expand globs, so the files are
// found here): with no arguments the fast suite (everything but test/real/); `--real` the
// real-component tests (QEMU, libvirt, virt-host-validate: test/real/); or the files and folders given.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
const result = spawnSync(
  process.execPath,
  // The real tests share one libvirtd and one host's CPUs: a domain one file starts is held CPUs
  // (or a vanished domain) to another's plan, so they run one file at a time.
  ['--import', 'tsx', '--test', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? (real ? 1 : 2)}`, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
