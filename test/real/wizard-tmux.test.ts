/**
 * The built bundle's wizard in tmux on a captured host (`--root`, a 2-socket Xeon: 2 NUMA nodes,
 * 8 cores each, SMT2), at 200x50 and at 80x24, by keystrokes only: size the VM (vCPUs, memory),
 * see the QEMU command follow, move vCPU 0 onto the other node on the core map and see the
 * planner's warnings appear (and go with x), see the memory binding and the pin script follow in
 * Preview, quit with q: the scrollback is intact and the exit status 0. With NO_COLOR=1 and with
 * --no-color the terminal gets no colour or inverse video (tmux's styled capture), and the step,
 * the selected row and the Preview format are still marked. Launch is off on a captured host, so
 * no VM is started. Each run has a tmux server of its own (-L), killed after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureRoot } from '../helpers/fixture-root.js';
import { requireTool } from '../helpers/qemu-process.js';
import { BUNDLE, ensureBundle } from '../helpers/bundle.js';

const XEON = 'hwloc-32intel64-2p8co2t+8ve';
const SOCKET = `kvmtui-wizard-${process.pid}`;
let root = '';

before(() => {
  requireTool('tmux', 'tmux');
  root = fixtureRoot(XEON);
  ensureBundle();
});

after(() => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  // The server leaves its socket file behind.
  fs.rmSync(path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, SOCKET), { force: true });
});

async function waitFor(predicate: () => boolean, what: () => string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function tmuxSession(name: string, columns: number, rows: number, command: string) {
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
  // CI=true as in a CI job's environment: on a terminal the app drops it (Ink would draw nothing).
  const made = tmux('new-session', '-d', '-s', name, '-x', String(columns), '-y', String(rows), '-e', 'CI=true', command);
  assert.equal(made.status, 0, made.stderr);
  const pane = () => tmux('capture-pane', '-p', '-t', name).stdout;
  return {
    pane,
    /** The whole history, not only the visible screen. */
    history: () => tmux('capture-pane', '-p', '-S', '-', '-t', name).stdout,
    /** One key at a time: keys that arrive together reach the app as one chunk. */
    key: (key: string) => void tmux('send-keys', '-t', name, key),
    /**
     * Sends a key once and waits for what it should show. A key that reaches Ink between a
     * screen's first frame and its input hook's subscription is dropped, so the screen gets a
     * moment first (these keys are not all harmless to repeat: + is one vCPU more each time).
     */
    press: async (key: string, shows: (screen: string) => boolean, what: string) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      tmux('send-keys', '-t', name, key);
      await waitFor(() => shows(pane()), () => `${what} after ${key}; the pane:\n${pane()}`);
    },
    kill: () => void tmux('kill-session', '-t', name),
  };
}

/** The step bar (the pane's second line). */
const bar = (screen: string) => screen.split('\n')[1] ?? '';
/** The pane's text with wrapped lines joined (a continued line is indented two spaces). */
const unwrapped = (screen: string) => screen.replace(/\n {2}(?=\S)/g, ' ');
const editorCpu = (screen: string) => Number(/edit vCPU (\d+) \(,\/\.\) → CPU (\d+)/.exec(screen)?.[2] ?? NaN);

const NUMA_WARNING = 'warn: the vCPUs span host NUMA nodes 0, 1 on packages 0, 1: memory accesses from some vCPUs go to a remote node';

describe('the wizard in tmux on a captured 2-socket Xeon (--root)', () => {
  for (const [columns, rows] of [[200, 50], [80, 24]] as const) {
    it(`at ${columns}x${rows}: size the VM, move a vCPU across nodes, the warnings and the preview follow; q leaves the scrollback intact`, async () => {
      const session = tmuxSession(`wizard-${columns}x${rows}`, columns, rows, `seq -f 'HISTORY-%g' 1 60; echo BEFORE-WIZARD; ${process.execPath} ${BUNDLE} --root ${root}; echo EXIT=$?; sleep 120`);
      const { pane, press, key } = session;
      try {
        await waitFor(() => /Host audit · \d+ checks/.test(pane()), () => `the audit; the pane:\n${pane()}`);
        assert.ok(!/BEFORE-WIZARD|HISTORY-/.test(pane()), `the wizard draws on the alternate screen:\n${pane()}`);
        assert.match(pane(), /^kvm-tui · 32 CPUs online, 2 NUMA nodes, 2 packages/m);
        assert.equal(bar(pane()), '[1 Audit] > 2 Topology > 3 Plan > 4 Preview > 5 Launch > 6 Monitor');
        assert.match(pane(), /^c next · 1-6 jump · \? help · q quit\s*$/m);

        // The VM step: balanced (4 vCPUs, 4 GiB) on node 0; one vCPU and 4 GiB more.
        await press('3', (screen) => /\[3 Plan\]/.test(bar(screen)) && /^4 vCPUs \(/m.test(screen), 'the plan');
        assert.match(pane(), /^preset balanced \(p: change\)/m);
        await press('+', (screen) => /^5 vCPUs \(1s\/5c\/1t\) · on 1-5 · emulator 0,16 · 4096 MiB ram node 0/m.test(screen), 'five vCPUs');
        await press(']', (screen) => /^5 vCPUs .* · 8192 MiB ram node 0\s*$/m.test(screen), '8 GiB');
        assert.doesNotMatch(pane(), /^warn: /m, 'no warning for the automatic placement');

        // The preview follows the sizing; memory is bound to node 0.
        await press('4', (screen) => /\[4 Preview\]/.test(bar(screen)) && /qemu-system-x86_64/.test(screen), 'the preview');
        assert.match(pane(), /^\[e QEMU\] x libvirt XML {2}s pin script /m);
        assert.match(pane(), /^ {2}-smp 5,sockets=1,dies=1,cores=5,threads=1,maxcpus=5 \\$/m);
        assert.match(pane(), /^ {2}-m 8192M \\$/m);
        assert.match(pane(), /^ {2}-object memory-backend-ram,id=mem0,size=8192M,host-nodes=0,policy=bind \\$/m);

        // The core map: e edits, l moves the cursor (CPU order 0,16,1,17,...), Enter puts vCPU 0 there.
        await press('3', (screen) => /\[3 Plan\]/.test(bar(screen)) && /^5 vCPUs/m.test(screen), 'the plan again');
        await press('e', (screen) => editorCpu(screen) === 1, 'the editor on vCPU 0 (CPU 1)');
        assert.match(pane(), /\[>\s*1\w*:v0[^\]|]*\|\s*17/, 'the cursor drawn in text on the cell');
        assert.match(pane(), /^Esc closes the editor · 1-6 jump · \? help · q quit\s*$/m);
        for (let step = 0; step < 40 && editorCpu(pane()) !== 8; step++) {
          const at = editorCpu(pane());
          await press('l', (screen) => editorCpu(screen) !== at, `the cursor past CPU ${at}`);
        }
        assert.equal(editorCpu(pane()), 8, 'the cursor on CPU 8, the first CPU of node 1');
        await press('Enter', (screen) => /\[>\s*8\w*:v0/.test(screen), 'vCPU 0 on CPU 8');
        await waitFor(() => unwrapped(pane()).includes(NUMA_WARNING), () => `the NUMA warning; the pane:\n${pane()}`);
        assert.match(pane(), /^5 vCPUs \(1s\/5c\/1t\) · on 2-5,8 · /m);
        assert.match(unwrapped(pane()), /8192 MiB ram node 0,1/);
        // x: automatic placement again, and the warnings go.
        await press('x', (screen) => /^5 vCPUs \(1s\/5c\/1t\) · on 1-5 /m.test(screen), 'automatic placement');
        assert.doesNotMatch(pane(), /^warn: /m);
        // Once more by hand, with ',' and '.' choosing the vCPU: vCPU 4 (',' from 0) onto CPU 8.
        await press(',', (screen) => /edit vCPU 4 /.test(screen), 'vCPU 4 chosen');
        await press('.', (screen) => /edit vCPU 0 /.test(screen), 'vCPU 0 again');
        await press(',', (screen) => /edit vCPU 4 /.test(screen), 'vCPU 4 again');
        await press('Enter', (screen) => /\[>\s*8\w*:v4/.test(screen), 'vCPU 4 on CPU 8');
        await waitFor(() => unwrapped(pane()).includes(NUMA_WARNING), () => `the NUMA warning again; the pane:\n${pane()}`);
        assert.match(pane(), /^5 vCPUs \(1s\/5c\/1t\) · on 1-4,8 · /m);
        await press('Escape', (screen) => /^size: \+\/- vCPUs/m.test(screen), 'the editor closed');
        assert.match(bar(pane()), /\[3 Plan\]/, 'Esc closed the editor, not the step');

        // The preview follows the map: memory on both nodes, vCPU 4 pinned to CPU 8.
        await press('4', (screen) => /\[4 Preview\]/.test(bar(screen)) && /qemu-system-x86_64/.test(screen), 'the preview again');
        assert.match(pane(), /^ {2}-object memory-backend-ram,id=mem0,size=8192M,host-nodes=0-1,policy=bind \\$/m);
        assert.match(pane(), /^ {2}-smp 5,sockets=1,dies=1,cores=5,threads=1,maxcpus=5 \\$/m);
        await press('s', (screen) => /\[s pin script\]/.test(screen), 'the pin script');
        for (let page = 0; page < 5 && !/^vcpu_cpus=/m.test(pane()); page++) {
          const before = pane();
          await press('Space', (screen) => screen !== before, 'a page down');
        }
        assert.match(pane(), /^vcpu_cpus=\(1 2 3 4 8\)$/m);
        for (const line of pane().split('\n')) assert.ok([...line].length <= columns, `wider than ${columns}: ${line}`);

        // Launch is off on a captured host: nothing can start.
        await press('5', (screen) => /\[5 Launch\]/.test(bar(screen)), 'the launch step');
        assert.match(unwrapped(pane()), /VM "balanced": 5 vCPUs \(0->1 1->2 2->3 3->4 4->8\), 8192 MiB ram on node 0,1/);
        assert.match(unwrapped(pane()), /Launch is off here: captured host \(--root\): VMs run on this machine only\./);

        await new Promise((resolve) => setTimeout(resolve, 150));
        key('q');
        await waitFor(() => /^EXIT=\d+/m.test(pane()), () => `the exit; the pane:\n${pane()}`);
        assert.match(pane(), /^EXIT=0\s*$/m, 'q exits 0');
        assert.match(pane(), /^BEFORE-WIZARD\s*$/m, 'the main screen is back as it was');
        assert.doesNotMatch(pane(), /Host audit|\[\d \w+\]/, 'nothing of the wizard is left on the main screen');
        const kept = session.history();
        for (let line = 1; line <= 60; line++) assert.ok(kept.includes(`HISTORY-${line}\n`), `HISTORY-${line} is still in the scrollback:\n${kept.slice(0, 600)}`);
        assert.ok(kept.indexOf('HISTORY-60\n') < kept.indexOf('BEFORE-WIZARD'), 'in order');
      } finally {
        session.kill();
      }
    });
  }
});

/** Whether a capture (capture-pane -e) sets a colour or inverse video: SGR 30-38, 40-48, 90-97, 100-107 or 7. */
const hasColour = (styled: string) => [...styled.matchAll(/\u001B\[([0-9;]*)m/g)].some((sgr) => sgr[1]!.split(';').some((param) => /^(3[0-8]|4[0-8]|9[0-7]|10[0-7]|7)$/.test(param)));

describe('colour in tmux: NO_COLOR=1 and --no-color draw the wizard without colour, its marks in text', () => {
  const cases = [
    { name: 'colour on (the check can fail)', env: [] as string[], flag: '', colour: true },
    { name: 'NO_COLOR=1', env: ['-e', 'NO_COLOR=1'], flag: '', colour: false },
    { name: '--no-color', env: [] as string[], flag: ' --no-color', colour: false },
  ];
  for (const entry of cases) {
    it(entry.name, async () => {
      const name = `colour-${cases.indexOf(entry)}`;
      const tmux = (...args: string[]) => spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
      const made = tmux('new-session', '-d', '-s', name, '-x', '80', '-y', '24', '-e', 'CI=true', ...entry.env, `${process.execPath} ${BUNDLE} --root ${root}${entry.flag}; echo EXIT=$?; sleep 120`);
      assert.equal(made.status, 0, made.stderr);
      const styled = () => tmux('capture-pane', '-e', '-p', '-t', name).stdout;
      const pane = () => tmux('capture-pane', '-p', '-t', name).stdout;
      try {
        await waitFor(() => /Host audit · \d+ checks/.test(pane()), () => `the audit; the pane:\n${pane()}`);
        assert.equal(hasColour(styled()), entry.colour, `colour ${entry.colour ? 'drawn' : 'absent'}:\n${JSON.stringify(styled().slice(0, 600))}`);
        assert.equal(bar(pane()), '[1 Audit] > 2 Topology > 3 Plan > 4 Preview > 5 Launch > 6 Monitor');
        assert.equal(pane().split('\n').filter((line) => line.startsWith('›')).length, 1, `one selected audit row, marked in text:\n${pane()}`);
        await new Promise((resolve) => setTimeout(resolve, 150));
        tmux('send-keys', '-t', name, '4');
        await waitFor(() => /\[4 Preview\]/.test(bar(pane())) && /^\[e QEMU\] x libvirt XML/m.test(pane()), () => `the preview; the pane:\n${pane()}`);
        assert.equal(hasColour(styled()), entry.colour, `the preview: colour ${entry.colour ? 'drawn' : 'absent'}`);
        await new Promise((resolve) => setTimeout(resolve, 150));
        tmux('send-keys', '-t', name, 'q');
        await waitFor(() => /^EXIT=\d+/m.test(pane()), () => `the exit; the pane:\n${pane()}`);
        assert.match(pane(), /^EXIT=0\s*$/m);
      } finally {
        tmux('kill-session', '-t', name);
      }
    });
  }
});
