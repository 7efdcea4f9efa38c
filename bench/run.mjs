// `npm run bench`: how quick kvm-tui is next to what users compare it with, on this machine.
// Every figure is the median of several runs with its min and max, paired run by run with its
// reference (these machines are noisy: ratios, not absolute times, are what to read). Prints a
// table and writes bench/results/bench-<time>.json (not committed). Not a test: nothing fails on
// time; the targets are printed beside the figures.
//
// Measured here: start-up of the bundled CLI (--version, topology --json, plan --json, audit
// --json) against `node -e 0`, audit against `virt-host-validate qemu`, the TUI's first frame
// (header and first audit rows visible in tmux at 80x24) against `node -e 'console.log(1)'`'s
// first output in the same tmux, and the planner on the synthetic 512-thread host.
// Not yet: the monitor's CPU and memory against htop on a running VM (issue 13 lists it).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = path.join(REPO, 'dist', 'kvm-tui.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function stats(values) {
  return { medianMs: round(median(values)), minMs: round(Math.min(...values)), maxMs: round(Math.max(...values)), runs: values.length };
}

const round = (value) => Math.round(value * 10) / 10;

/** Wall time of one whole process run, ms. */
function timeRun(argv) {
  const started = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error) throw new Error(`${argv.join(' ')}: ${result.error.message}`);
  return ms;
}

/** Runs `subject` and `reference` alternately RUNS times (after one warm-up each). */
function paired(subject, reference) {
  timeRun(subject);
  timeRun(reference);
  const a = [];
  const b = [];
  for (let run = 0; run < RUNS; run++) {
    a.push(timeRun(subject));
    b.push(timeRun(reference));
  }
  return { subject: stats(a), reference: stats(b), ratio: round(median(a) / median(b)) };
}

function tmux(...args) {
  return spawnSync('tmux', args, { encoding: 'utf8' });
}

/** Time from starting `command` in a fresh 80x24 tmux pane until the pane shows `ready`, ms. */
function timeToScreen(command, ready) {
  const session = `kvmtui-bench-${process.pid}`;
  tmux('kill-session', '-t', session);
  const started = process.hrtime.bigint();
  tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `${command}; sleep 30`);
  let ms = null;
  for (;;) {
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (ready.test(tmux('capture-pane', '-p', '-t', session).stdout)) {
      ms = elapsed;
      break;
    }
    if (elapsed > 20_000) break;
  }
  tmux('kill-session', '-t', session);
  if (ms === null) throw new Error(`${command}: ${ready} never appeared in 20 s`);
  return ms;
}

function pairedScreen(subject, subjectReady, reference, referenceReady) {
  timeToScreen(subject, subjectReady);
  const a = [];
  const b = [];
  for (let run = 0; run < Math.min(RUNS, 5); run++) {
    a.push(timeToScreen(subject, subjectReady));
    b.push(timeToScreen(reference, referenceReady));
  }
  return { subject: stats(a), reference: stats(b), ratio: round(median(a) / median(b)) };
}

function which(binary) {
  const result = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

if (!fs.existsSync(BUNDLE)) execFileSync(process.execPath, [path.join(REPO, 'scripts/build.mjs')], { cwd: REPO, stdio: 'inherit' });
const node = process.execPath;
const nodeZero = [node, '-e', '0'];
const results = { when: new Date().toISOString(), node: process.version, runs: RUNS, figures: {} };
const rows = [];
const add = (key, label, figure, target) => {
  results.figures[key] = { ...figure, target };
  rows.push([label, `${figure.subject.medianMs} ms (${figure.subject.minMs}-${figure.subject.maxMs})`, `${figure.reference.medianMs} ms`, `${figure.ratio}x`, target]);
};

add('version', 'kvm-tui --version vs node -e 0', paired([node, BUNDLE, '--version'], nodeZero), '-');
add('topology', 'topology --json vs node -e 0', paired([node, BUNDLE, 'topology', '--json'], nodeZero), '-');
add('plan', 'plan --json vs node -e 0', paired([node, BUNDLE, 'plan', '--preset', 'tiny-test', '--json'], nodeZero), '<= 2x');
add('audit', 'audit --json vs node -e 0', paired([node, BUNDLE, 'audit', '--json'], nodeZero), '<= 2x');
const validate = which('virt-host-validate');
if (validate) add('auditVsValidate', 'audit --json vs virt-host-validate qemu', paired([node, BUNDLE, 'audit', '--json'], [validate, 'qemu']), '-');
else rows.push(['audit --json vs virt-host-validate qemu', 'not measured: virt-host-validate is not installed', '', '', '-']);
if (which('tmux')) {
  add('firstFrame', 'TUI first frame (80x24 tmux) vs node first output', pairedScreen(`${node} ${BUNDLE}`, /Host audit/, `${node} -e 'console.log("ready")'`, /ready/), '<= 3x');
} else {
  rows.push(['TUI first frame', 'not measured: tmux is not installed', '', '', '<= 3x']);
}
const plan512 = spawnSync(node, ['--import', 'tsx', path.join(REPO, 'test/plan/bench-512.ts')], { cwd: REPO, encoding: 'utf8' });
results.plan512 = plan512.stdout.trim().split('\n');

const widths = [0, 1, 2, 3, 4].map((column) => Math.max(...[['figure', 'kvm-tui median (min-max)', 'reference', 'ratio', 'target'], ...rows].map((row) => String(row[column]).length)));
const line = (row) => row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ');
console.log(line(['figure', 'kvm-tui median (min-max)', 'reference', 'ratio', 'target']));
for (const row of rows) console.log(line(row));
console.log('\n512-thread host (test/plan/bench-512.ts; target: a plan <= 5 ms):');
console.log(plan512.stdout.trim() || plan512.stderr.trim());
const dir = path.join(REPO, 'bench', 'results');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, `bench-${results.when.replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
console.log(`\nwrote ${path.relative(REPO, file)}`);
