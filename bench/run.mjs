// `npm run bench`: how quick kvm-tui is next to what users compare it with, on this machine.
// Every figure is the median of several runs with its min and max, paired run by run with its
// reference (these machines are noisy: ratios, not absolute times, are what to read). Prints a
// table and writes bench/results/bench-<time>.json (not committed). Not a test: nothing fails on
// time; the targets are printed beside the figures.
//
// Measured here:
//   startup: the bundled CLI (--version, topology --json, plan --json, audit --json, generate) against
//     `node -e 0`, audit against `virt-host-validate qemu`, the TUI's first frame (header and first
//     audit rows visible in tmux at 80x24) against `node -e 'console.log(1)'`'s first output in the
//     same tmux;
//   monitor: `kvm-tui monitor` against `htop -d 10 -p QEMU_PID` on one running 4-vCPU TCG VM
//     (bench/monitor.mjs): CPU per --monitor-seconds window (the median of the back-to-back windows
//     of the --growth-seconds run), peak RSS, RSS growth over --growth-seconds;
//   scale: the planner (test/plan/bench-512.ts) and a core-map frame (bench/core-map-frame.tsx)
//     on the synthetic 512-thread host, and the pane on a --big-vcpus TCG VM.
//
//   npm run bench -- [--only startup,monitor,scale] [--runs N] [--monitor-seconds 60]
//                    [--growth-seconds 600] [--big-vcpus 64] [--bundle FILE]
//
// The bundle measured is a copy of dist/ (built first when missing) taken at the start, so a
// rebuild while the benchmark runs (the tests rebuild dist/) changes nothing under it.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { monitorOverhead } from './monitor.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const { values: options } = parseArgs({
  options: {
    only: { type: 'string', default: 'startup,monitor,scale' },
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '7' },
    'monitor-seconds': { type: 'string', default: '60' },
    'growth-seconds': { type: 'string', default: '600' },
    'big-vcpus': { type: 'string', default: '64' },
    bundle: { type: 'string' },
  },
});
const RUNS = Number(options.runs);
const ONLY = new Set(options.only.split(','));
const MONITOR_SECONDS = Number(options['monitor-seconds']);
const GROWTH_SECONDS = Number(options['growth-seconds']);
const BIG_VCPUS = Number(options['big-vcpus']);
for (const [flag, value] of [['runs', RUNS], ['monitor-seconds', MONITOR_SECONDS], ['growth-seconds', GROWTH_SECONDS], ['big-vcpus', BIG_VCPUS]]) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${flag} takes a whole number, not ${JSON.stringify(String(value))}`);
}
if (MONITOR_SECONDS === 0) throw new Error('--monitor-seconds takes a whole number above 0');
for (const part of ONLY) if (!['startup', 'monitor', 'scale'].includes(part)) throw new Error(`--only: no part called ${JSON.stringify(part)} (startup, monitor, scale)`);

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
  for (let run = 0; run < RUNS; run++) {
    a.push(timeToScreen(subject, subjectReady));
    b.push(timeToScreen(reference, referenceReady));
  }
  return { subject: stats(a), reference: stats(b), ratio: round(median(a) / median(b)) };
}

function which(binary) {
  const result = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

const snapshot = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-bench-dist-'));
process.on('exit', () => fs.rmSync(snapshot, { recursive: true, force: true }));
let BUNDLE;
if (options.bundle) {
  BUNDLE = path.resolve(options.bundle);
} else {
  if (!fs.existsSync(path.join(REPO, 'dist', 'kvm-tui.js'))) execFileSync(process.execPath, [path.join(REPO, 'scripts/build.mjs')], { cwd: REPO, stdio: 'inherit' });
  fs.cpSync(path.join(REPO, 'dist'), snapshot, { recursive: true });
  BUNDLE = path.join(snapshot, 'kvm-tui.js');
}
const node = process.execPath;
const nodeZero = [node, '-e', '0'];
const results = { when: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg(), runs: RUNS, figures: {} };
const rows = [];
const notes = [];
const log = (line) => process.stderr.write(`bench: ${line}\n`);
const add = (key, label, figure, target) => {
  results.figures[key] = { ...figure, target };
  rows.push([label, `${figure.subject.medianMs} ms (${figure.subject.minMs}-${figure.subject.maxMs})`, `${figure.reference.medianMs} ms`, `${figure.ratio}x`, target]);
};
const addRow = (key, label, figure, shown, reference, ratio, target) => {
  results.figures[key] = { ...figure, target };
  rows.push([label, shown, reference, ratio, target]);
};

if (ONLY.has('startup')) {
log('start-up');
add('version', 'kvm-tui --version vs node -e 0', paired([node, BUNDLE, '--version'], nodeZero), '-');
add('topology', 'topology --json vs node -e 0', paired([node, BUNDLE, 'topology', '--json'], nodeZero), '-');
add('plan', 'plan --json vs node -e 0', paired([node, BUNDLE, 'plan', '--preset', 'tiny-test', '--json'], nodeZero), '<= 2x');
add('audit', 'audit --json vs node -e 0', paired([node, BUNDLE, 'audit', '--json'], nodeZero), '<= 2x');
add('generate', 'generate --format qemu vs node -e 0', paired([node, BUNDLE, 'generate', '--preset', 'tiny-test', '--format', 'qemu'], nodeZero), '<= 2x');
const validate = which('virt-host-validate');
if (validate) add('auditVsValidate', 'audit --json vs virt-host-validate qemu', paired([node, BUNDLE, 'audit', '--json'], [validate, 'qemu']), '-');
else rows.push(['audit --json vs virt-host-validate qemu', 'not measured: virt-host-validate is not installed', '', '', '-']);
if (which('tmux')) {
  add('firstFrame', 'TUI first frame (80x24 tmux) vs node first output', pairedScreen(`${node} ${BUNDLE}`, /Host audit/, `${node} -e 'console.log("ready")'`, /ready/), '<= 3x');
  // The same on a captured host (--root): what a bug report's capture opens with.
  const fixtureHost = path.join(REPO, 'test/fixtures/hosts/well-tuned');
  add('firstFrameRoot', 'TUI first frame on a capture (--root) vs node first output', pairedScreen(`${node} ${BUNDLE} --root ${fixtureHost}`, /Host audit/, `${node} -e 'console.log("ready")'`, /ready/), '<= 3x');
} else {
  rows.push(['TUI first frame', 'not measured: tmux is not installed', '', '', '<= 3x']);
}
}

const mib = (value) => (value === null || value === undefined ? '-' : `${value} MiB`);
const cpu = (value) => (value === null || value === undefined ? '-' : `${value} s`);
/** A median with its min-max when there were several windows. */
const cpuRange = (value, range) => (range && range[0] !== range[1] ? `${cpu(value)} (${range[0]}-${range[1]})` : cpu(value));
const missing = ['tmux', 'htop', 'qemu-system-x86_64'].filter((binary) => !which(binary));
if (ONLY.has('monitor')) {
  if (missing.length > 0) {
    rows.push(['monitor vs htop', `not measured: ${missing.join(', ')} not installed`, '', '', '<= htop']);
  } else {
    log(`monitor against htop: ${MONITOR_SECONDS} s of CPU, ${Math.max(MONITOR_SECONDS, GROWTH_SECONDS)} s in all`);
    const figure = await monitorOverhead({ repo: REPO, bundle: BUNDLE, vcpus: 4, seconds: MONITOR_SECONDS, totalSeconds: GROWTH_SECONDS, log });
    results.monitor = figure;
    const window = figure.window;
    addRow('monitorCpu', `monitor CPU per ${window.wallSeconds} s at 1 s, 4 vCPUs (${window.windows} window${window.windows === 1 ? '' : 's'})`, window, cpuRange(window.monitorCpuSeconds, window.monitorCpuRange), `htop ${cpuRange(window.htopCpuSeconds, window.htopCpuRange)}`, window.ratioOfTotals === null ? '-' : `${window.ratioOfTotals}x`, '<= htop');
    addRow('monitorPeakRss', 'monitor peak RSS (VmHWM)', { monitorPeakRssMiB: figure.monitorPeakRssMiB, htopPeakRssMiB: figure.htopPeakRssMiB }, mib(figure.monitorPeakRssMiB), `htop ${mib(figure.htopPeakRssMiB)}`, '', '<= 120 MiB');
    if (figure.growth) {
      addRow('monitorRssGrowth', `monitor RSS growth, ${figure.growth.fromSeconds}-${figure.growth.toSeconds} s`, figure.growth, mib(figure.growth.monitorMiB), `htop ${mib(figure.growth.htopMiB)}`, '', 'none over 600 s');
    }
    notes.push(`monitor: CPU to its first frame ${figure.firstFrameCpuSeconds} s (start-up, not in the window); guest ${figure.booted ? `booted in ${figure.bootSeconds} s` : 'still booting'}`);
  }
}

if (ONLY.has('scale')) {
  log('512-thread host: planner and core-map frame');
  const plan512 = spawnSync(node, ['--import', 'tsx', path.join(REPO, 'test/plan/bench-512.ts')], { cwd: REPO, encoding: 'utf8' });
  results.plan512 = plan512.stdout.trim().split('\n');
  notes.push(`512-thread host (test/plan/bench-512.ts; target: a plan <= 5 ms):\n${plan512.stdout.trim() || plan512.stderr.trim()}`);
  const frame = spawnSync(node, ['--import', 'tsx', path.join(REPO, 'bench/core-map-frame.tsx'), String(Math.max(50, RUNS * 30))], { cwd: REPO, encoding: 'utf8' });
  if (frame.status === 0) {
    const figure = JSON.parse(frame.stdout.trim().split('\n').at(-1));
    results.coreMapFrame = figure;
    for (const size of ['80x24', '200x50']) {
      const redraw = figure[`redraw ${size}`];
      addRow(`coreMap${size}`, `512-thread core-map redraw ${size}`, redraw, `${redraw.medianMs} ms (p95 ${redraw.p95Ms})`, `mount ${figure[`mount ${size}`].medianMs} ms`, '', '<= 16 ms');
    }
  } else {
    rows.push(['512-thread core-map frame', `failed: ${frame.stderr.trim().split('\n').at(-1)}`, '', '', '<= 16 ms']);
  }
  if (BIG_VCPUS > 0 && missing.length === 0) {
    log(`the pane on a ${BIG_VCPUS}-vCPU TCG VM`);
    try {
      const figure = await monitorOverhead({ repo: REPO, bundle: BUNDLE, vcpus: BIG_VCPUS, seconds: Math.min(MONITOR_SECONDS, 30) || 30, totalSeconds: 0, log });
      results.bigMonitor = figure;
      const window = figure.window;
      addRow('bigMonitorCpu', `monitor CPU, ${window.wallSeconds} s, ${BIG_VCPUS} vCPUs${figure.booted ? '' : ' (booting)'}`, window, cpu(window.monitorCpuSeconds), `htop ${cpu(window.htopCpuSeconds)}`, window.ratioOfTotals === null ? '-' : `${window.ratioOfTotals}x`, '-');
      addRow('bigMonitorPeakRss', `monitor peak RSS, ${BIG_VCPUS} vCPUs`, { monitorPeakRssMiB: figure.monitorPeakRssMiB }, mib(figure.monitorPeakRssMiB), `htop ${mib(figure.htopPeakRssMiB)}`, '', '<= 120 MiB');
    } catch (error) {
      rows.push([`monitor, ${BIG_VCPUS} vCPUs`, `not measured: ${error.message}`, '', '', '-']);
    }
  }
}

const widths = [0, 1, 2, 3, 4].map((column) => Math.max(...[['figure', 'kvm-tui median (min-max)', 'reference', 'ratio', 'target'], ...rows].map((row) => String(row[column]).length)));
const line = (row) => row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ');
console.log(line(['figure', 'kvm-tui median (min-max)', 'reference', 'ratio', 'target']));
for (const row of rows) console.log(line(row));
for (const note of notes) console.log(`\n${note}`);
const dir = path.join(REPO, 'bench', 'results');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, `bench-${results.when.replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
console.log(`\nwrote ${path.relative(REPO, file)}`);
