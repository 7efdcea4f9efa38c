// The live pane's cost next to htop's: `kvm-tui monitor NAME` and `htop -d 10 -p QEMU_PID` (both a
// 1 s refresh) watching the same running TCG VM at the same time, each in its own 80x24 tmux
// session. From /proc of each process: CPU seconds (user + system) over back-to-back windows that
// start when both have drawn (their median, min and max, and the ratio of their totals), CPU spent
// getting to the first frame, peak RSS (VmHWM), and VmRSS sampled through a longer run for
// growth. The VM is the tiny test guest (scripts/build-test-guest.sh) booted from a spec file made
// of the tiny-test preset; it is stopped, and both sessions killed, whatever happens.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value, places = 2) => Math.round(value * 10 ** places) / 10 ** places;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return round(sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2);
};

/** user + system CPU seconds of a live process (its own; the pane and htop reap no children). */
export function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** A field of /proc/PID/status in MiB (VmRSS, VmHWM). */
export function statusMiB(pid, field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? round(Number(match[1]) / 1024, 1) : null;
}

function tmux(...args) {
  const result = spawnSync('tmux', args, { encoding: 'utf8' });
  if (result.status !== 0 && args[0] !== 'kill-session') throw new Error(`tmux ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout;
}

async function waitFor(what, check, timeoutMs) {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

/** The test guest's kernel and initrd, built (and cached) by scripts/build-test-guest.sh. */
function testGuest(repo) {
  const dir = process.env.KVM_TUI_TEST_GUEST || path.join(repo, '.test-guest');
  const built = spawnSync('bash', [path.join(repo, 'scripts/build-test-guest.sh'), dir], { encoding: 'utf8', timeout: 300_000 });
  if (built.status !== 0) throw new Error(`cannot build the test guest in ${dir}: ${(built.stderr || '').trim().split('\n').slice(-2).join(' | ')}`);
  const kernel = /^KERNEL=(\S+)$/m.exec(fs.readFileSync(path.join(dir, 'build-info'), 'utf8'))?.[1] ?? 'vmlinuz';
  return { kernel: path.join(dir, kernel), initrd: path.join(dir, 'initrd.cpio') };
}

/**
 * Runs the comparison. `seconds`: the CPU window; `totalSeconds` (>= seconds): how long both keep
 * running for the RSS series. Resolves with the figures; throws (after cleaning up) on failure.
 */
export async function monitorOverhead({ repo, bundle, vcpus, seconds, totalSeconds, withHtop = true, log = () => {} }) {
  const node = process.execPath;
  const tag = `${process.pid}-${vcpus}`;
  const name = `kvmtui-bench-${tag}`;
  const sessions = { monitor: `kvmtui-bench-mon-${tag}`, htop: `kvmtui-bench-htop-${tag}` };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-bench-vm-'));
  const cli = (...args) => spawnSync(node, [bundle, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  let launched = false;
  try {
    const guest = testGuest(repo);
    const preset = JSON.parse(fs.readFileSync(path.join(repo, 'presets', 'tiny-test.json'), 'utf8'));
    const specFile = path.join(work, 'spec.json');
    fs.writeFileSync(
      specFile,
      JSON.stringify({
        ...preset.spec,
        name,
        extraArgs: ['-kernel', guest.kernel, '-initrd', guest.initrd, '-append', 'console=ttyS0 quiet panic=-1 cryptomgr.notests=1 mitigations=off', '-no-reboot'],
      }),
    );
    log(`launching a ${vcpus}-vCPU tiny-test VM (TCG)`);
    launched = true;
    const launch = cli('launch', '--spec', specFile, '--vcpus', String(vcpus), '--detach');
    if (launch.status !== 0) throw new Error(`launch failed (${launch.status}): ${launch.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const status = JSON.parse(cli('status', name, '--json').stdout);
    const vm = status.vms.find((entry) => entry.name === name);
    if (!vm) throw new Error(`status does not list ${name}`);
    const qemuPid = vm.pid;
    // The guest says it is up on its console; a 64-vCPU TCG guest on a small host may take long
    // (the pane watches QEMU's threads either way, so the run goes on, saying so).
    const serial = path.join(vm.runDir, 'serial.log');
    const bootStarted = Date.now();
    let booted = true;
    try {
      await waitFor('the guest to boot', () => fs.existsSync(serial) && fs.readFileSync(serial, 'utf8').includes('KVMTUI-READY'), 60_000);
    } catch {
      booted = false;
    }
    const bootSeconds = round((Date.now() - bootStarted) / 1000, 1);
    log(booted ? `guest up after ${bootSeconds} s` : `guest not up after ${bootSeconds} s; measuring anyway`);
    await sleep(3000);

    tmux('new-session', '-d', '-s', sessions.monitor, '-x', '80', '-y', '24', `exec ${node} ${bundle} monitor ${name}`);
    if (withHtop) tmux('new-session', '-d', '-s', sessions.htop, '-x', '80', '-y', '24', `exec htop -d 10 -p ${qemuPid}`);
    const pids = { monitor: Number(tmux('display', '-p', '-t', sessions.monitor, '#{pane_pid}').trim()) };
    if (withHtop) pids.htop = Number(tmux('display', '-p', '-t', sessions.htop, '#{pane_pid}').trim());
    const lastVcpu = new RegExp(`vCPU ${vcpus - 1}\\b`);
    await waitFor('the pane to show vCPU rows', () => /vCPU \d+\b/.test(tmux('capture-pane', '-p', '-t', sessions.monitor)), 30_000);
    const firstFrameCpu = cpuSeconds(pids.monitor);
    // Whether the frame fits the 24 rows: its header (the VM's name) and the last vCPU's row.
    const screen = tmux('capture-pane', '-p', '-t', sessions.monitor);
    const fits = { header: screen.includes(name), lastVcpu: lastVcpu.test(screen) };
    if (withHtop) await waitFor('htop to show QEMU', () => tmux('capture-pane', '-p', '-t', sessions.htop).includes(String(qemuPid)), 20_000);
    // A settling second, then the window.
    await sleep(1000);
    const begin = { at: Date.now(), monitor: cpuSeconds(pids.monitor), qemu: cpuSeconds(qemuPid), ...(withHtop ? { htop: cpuSeconds(pids.htop) } : {}) };
    const series = [];
    const sample = () => series.push({ atSeconds: round((Date.now() - begin.at) / 1000, 1), monitorRssMiB: statusMiB(pids.monitor, 'VmRSS'), ...(withHtop ? { htopRssMiB: statusMiB(pids.htop, 'VmRSS') } : {}) });
    sample();
    // Back-to-back windows of `seconds` while both run (one, or several over a longer RSS run):
    // each figure is their median, with min and max, and the ratio is of the totals.
    const windows = [];
    let mark = begin;
    const total = Math.max(seconds, totalSeconds);
    const step = total > 120 ? 10 : 5;
    for (let elapsed = 0; elapsed < total; ) {
      const next = Math.min(total, elapsed + step, Math.ceil((elapsed + 0.001) / seconds) * seconds);
      await sleep((next - elapsed) * 1000);
      elapsed = next;
      sample();
      if (elapsed % seconds === 0) {
        const now = { at: Date.now(), monitor: cpuSeconds(pids.monitor), qemu: cpuSeconds(qemuPid), ...(withHtop ? { htop: cpuSeconds(pids.htop) } : {}) };
        windows.push({
          wallSeconds: round((now.at - mark.at) / 1000, 1),
          monitorCpuSeconds: round(now.monitor - mark.monitor),
          htopCpuSeconds: withHtop ? round(now.htop - mark.htop) : null,
          qemuCpuSeconds: round(now.qemu - mark.qemu),
        });
        mark = now;
        const last = windows.at(-1);
        log(`CPU over ${last.wallSeconds} s (window ${windows.length}): monitor ${last.monitorCpuSeconds} s${withHtop ? `, htop ${last.htopCpuSeconds} s` : ''}`);
      }
      if (total > 120 && elapsed % 60 === 0) log(`${elapsed} s: monitor RSS ${series.at(-1).monitorRssMiB} MiB${withHtop ? `, htop ${series.at(-1).htopRssMiB} MiB` : ''}`);
    }
    const spread = (key) => {
      const values = windows.map((entry) => entry[key]).filter((value) => value !== null);
      return values.length === 0 ? null : { median: median(values), min: Math.min(...values), max: Math.max(...values), total: round(values.reduce((sum, value) => sum + value, 0)) };
    };
    const monitorCpu = spread('monitorCpuSeconds');
    const htopCpu = spread('htopCpuSeconds');
    const window = {
      wallSeconds: median(windows.map((entry) => entry.wallSeconds)),
      windows: windows.length,
      monitorCpuSeconds: monitorCpu.median,
      monitorCpuRange: [monitorCpu.min, monitorCpu.max],
      htopCpuSeconds: htopCpu ? htopCpu.median : null,
      htopCpuRange: htopCpu ? [htopCpu.min, htopCpu.max] : null,
      qemuCpuSeconds: spread('qemuCpuSeconds').median,
      ratioOfTotals: htopCpu && htopCpu.total > 0 ? round(monitorCpu.total / htopCpu.total) : null,
      each: windows,
    };
    const peak = { monitorPeakRssMiB: statusMiB(pids.monitor, 'VmHWM'), htopPeakRssMiB: withHtop ? statusMiB(pids.htop, 'VmHWM') : null };
    // Growth: RSS at the end against RSS one window in (start-up's allocations are done by then).
    const atWindow = series.find((entry) => entry.atSeconds >= seconds - 0.5) ?? series[0];
    const last = series.at(-1);
    const growth =
      total > seconds
        ? {
            fromSeconds: atWindow.atSeconds,
            toSeconds: last.atSeconds,
            monitorMiB: round(last.monitorRssMiB - atWindow.monitorRssMiB, 1),
            htopMiB: withHtop ? round(last.htopRssMiB - atWindow.htopRssMiB, 1) : null,
            monitorMaxRssMiB: Math.max(...series.map((entry) => entry.monitorRssMiB)),
          }
        : null;
    const stillRunning = spawnSync('tmux', ['has-session', '-t', sessions.monitor]).status === 0;
    return { vcpus, booted, bootSeconds, refreshSeconds: 1, firstFrameCpuSeconds: round(firstFrameCpu), paneShows: fits, window, ...peak, growth, series, paneAliveAtEnd: stillRunning };
  } finally {
    for (const session of Object.values(sessions)) spawnSync('tmux', ['kill-session', '-t', session]);
    if (launched) {
      const stop = cli('stop', name, '--force');
      if (stop.status !== 0 && !/not running|no VM/i.test(stop.stderr)) log(`warning: stop ${name}: ${stop.stderr.trim()}`);
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// Only for a look by hand: node bench/monitor.mjs [VCPUS] [SECONDS] [TOTAL_SECONDS]
if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const [vcpus = '4', seconds = '60', total = seconds] = process.argv.slice(2);
  execFileSync(process.execPath, [path.join(repo, 'scripts/build.mjs')], { cwd: repo, stdio: 'inherit' });
  const figures = await monitorOverhead({ repo, bundle: path.join(repo, 'dist', 'kvm-tui.js'), vcpus: Number(vcpus), seconds: Number(seconds), totalSeconds: Number(total), log: (line) => console.error(line) });
  console.log(JSON.stringify({ ...figures, series: undefined }, null, 2));
}
