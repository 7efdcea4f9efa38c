/**
 * The wizard on a captured 2-socket Xeon (ink-testing-library): it opens on the audit, number
 * keys switch to the core map, the plan (vCPUs drawn on the map, preset picker) and the preview
 * of the generated QEMU command, XML and pin script. Also the pure core-map layout.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { Wizard } from '../../components/Wizard.js';
import { buildCoreMapLines } from '../../components/present/core-map-lines.js';
import { planMarks } from '../../components/present/plan-marks.js';
import { planVm } from '../../src/plan/plan-vm.js';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { fixtureRoot, scratchDir } from '../helpers/fixture-root.js';
import { REPO } from '../helpers/run-cli.js';
import { idleMonitorControl } from '../helpers/fake-monitor-control.js';
import { plain, waitFor } from '../helpers/ink.js';
import { capturedHostServices } from '../helpers/wizard-services.js';
import { pressOnce, pressUntil } from './wizard-helpers.js';

afterEach(() => cleanup());

const XEON = 'hwloc-32intel64-2p8co2t+8ve';

/** saveSpec into memory: an existing file is reported unless overwrite is given; every call is kept. */
function fakeSaves() {
  const files = new Map<string, string>();
  const writes: Array<{ file: string; overwrite: boolean }> = [];
  const saveSpec = (file: string, text: string, options: { overwrite: boolean }): { written: string } | { exists: string } => {
    writes.push({ file, overwrite: options.overwrite });
    if (files.has(file) && !options.overwrite) return { exists: `/abs/${file}` };
    files.set(file, text);
    return { written: `/abs/${file}` };
  };
  return { files, writes, saveSpec };
}

function setup() {
  const services = capturedHostServices(fixtureRoot(XEON));
  const host = services.readHost();
  return { services, host, topology: host.topology, cpuInfo: host.cpuInfo, presets: services.presets };
}

describe('wizard on a captured 2-socket Xeon', () => {
  test('opens on the audit, then the core map, plan and preview follow the number keys', async () => {
    const { services, host, topology, cpuInfo, presets } = setup();
    const app = render(
      <Wizard services={services} host={host} />,
    );
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /Host audit/.test(frame()), 'the audit screen');
    assert.match(frame(), /1 Audit/);
    assert.match(frame(), /32 CPUs online, 2 NUMA nodes/);

    await pressUntil(app.stdin, '2', () => /node 1/.test(frame()), 'the core map');
    assert.match(frame(), /\[ 0\|16\]/, 'core 0 with its sibling 16');

    await pressUntil(app.stdin, '3', () => /preset balanced/.test(frame()), 'the plan screen');
    const plan = planVm({ topology, cpuInfo, spec: presets.find((preset) => preset.name === 'balanced')!.spec });
    assert.equal(plan.errors.length, 0);
    for (const vcpu of plan.vcpus) {
      assert.ok(frame().includes(`${vcpu.hostCpu}:v${vcpu.vcpu}`), `vCPU ${vcpu.vcpu} drawn on CPU ${vcpu.hostCpu}`);
    }

    await pressUntil(app.stdin, 'p', () => /Preset: ↑↓ Enter or its number/.test(frame()), 'the preset picker');
    // Arrows are not idempotent: let the picker subscribe first, then send each key once.
    await pressOnce(app.stdin, '\u001B[B');
    await waitFor(() => /❯ high-performance/.test(frame()), 'the cursor on high-performance');
    await pressOnce(app.stdin, '\r');
    await waitFor(() => /preset high-performance/.test(frame()), 'high-performance chosen');

    await pressUntil(app.stdin, '4', () => /qemu-system-x86_64/.test(frame()), 'the QEMU preview');
    // The digit switched screens; it must not also have picked preset 4 in the closed picker.
    assert.match(frame(), /-name guest=high-perf/);
    // The shown format is marked in text (brackets), not by inverse video alone.
    assert.match(frame(), /\[e QEMU\] x libvirt XML  s pin script /);
    await pressUntil(app.stdin, 'x', () => /<domain type="qemu">/.test(frame()), 'the XML preview');
    assert.match(frame(), / e QEMU \[x libvirt XML\] s pin script /);
    await pressUntil(app.stdin, 's', () => /#!\/bin\/bash|#!\/usr\/bin\/env bash/.test(frame()), 'the pin script preview');
    assert.match(frame(), /\[s pin script\]/);
  });

  test('in the preset picker a digit picks that preset and does not switch screens', async () => {
    const { services, host, topology, cpuInfo, presets } = setup();
    const app = render(
      <Wizard services={services} host={host} initialScreen="plan" />,
    );
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /preset balanced/.test(frame()), 'the plan screen');
    await pressUntil(app.stdin, 'p', () => /Preset: ↑↓ Enter or its number/.test(frame()), 'the preset picker');
    await pressOnce(app.stdin, '2');
    await waitFor(() => new RegExp(`preset ${presets[1]!.name} `).test(frame()), `preset 2 (${presets[1]!.name}) chosen`);
    assert.match(frame(), /map: vN vCPU/, 'still on the plan screen');
  });

  test('every frame fits 80 columns', async () => {
    const { services, host, topology, cpuInfo, presets } = setup();
    const app = render(
      <Wizard services={services} host={host} initialScreen="plan" size={{ columns: 80, rows: 24 }} />,
    );
    await waitFor(() => /preset balanced/.test(plain(app.lastFrame())), 'the plan screen');
    const frame = () => plain(app.lastFrame());
    const screens: Array<[string, RegExp]> = [
      ['2', /node 1/],
      ['3', /preset balanced/],
      ['4', /qemu-system-x86_64/],
      ['1', /Host audit/],
    ];
    for (const [key, shows] of screens) {
      await pressUntil(app.stdin, key, () => shows.test(frame()), `screen ${key}`);
      for (const line of frame().split('\n')) assert.ok(line.length <= 80, `too wide after ${key}: ${line}`);
    }
  });
});

describe('wizard terminal manners', () => {
  test('the active tab is marked in text; ? opens the help, any key closes it; q exits 0', async () => {
    const { services, host } = setup();
    const exits: number[] = [];
    const app = render(<Wizard services={services} host={host} onExit={(code) => exits.push(code)} />);
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /Host audit/.test(frame()), 'the audit screen');
    assert.match(frame(), /\[1 Audit\] > 2 Topology > 3 Plan > 4 Preview/, 'brackets, not only inverse video');
    assert.match(frame(), /c next · 1-6 jump · \? help · q quit/);
    await pressUntil(app.stdin, '?', () => /Ctrl-C {16}quit with exit status 130/.test(frame()), 'the help');
    assert.match(frame(), /w {21}write every fix into a script/);
    await pressUntil(app.stdin, 'x', () => /Host audit/.test(frame()), 'the audit again');
    await pressUntil(app.stdin, 'q', () => exits.length > 0, 'the exit');
    assert.deepEqual(exits, [0]);
  });

  test('Ctrl-C exits with 130', async () => {
    const { services, host } = setup();
    const exits: number[] = [];
    const app = render(<Wizard services={services} host={host} onExit={(code) => exits.push(code)} />);
    await waitFor(() => /Host audit/.test(plain(app.lastFrame())), 'the audit screen');
    app.stdin.write('\u0003');
    await waitFor(() => exits.length > 0, 'the exit');
    assert.deepEqual(exits, [130]);
  });
});

describe('wizard VM sizing on the Plan step', () => {
  test('- and ] resize the VM and the plan follows; a change the rules refuse is named and not kept; r resets', async () => {
    const { services, host } = setup();
    const app = render(<Wizard services={services} host={host} />);
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /Host audit/.test(frame()), 'the audit screen');
    await pressUntil(app.stdin, '3', () => /preset balanced/.test(frame()), 'the plan screen');
    assert.match(frame(), /^4 vCPUs /m);
    await pressUntil(app.stdin, '-', () => /^3 vCPUs /m.test(frame()), 'one vCPU fewer');
    await pressUntil(app.stdin, ']', () => /8192 MiB ram/.test(frame()), 'more memory');
    await pressUntil(app.stdin, 'h', () => /8192 MiB hugepages-2M/.test(frame()), '2M pages');
    await pressUntil(app.stdin, 'r', () => /^4 vCPUs .*4096 MiB ram/m.test(frame()), 'the preset again');
    for (const size of [2048, 1024, 512, 256, 128]) await pressUntil(app.stdin, '[', () => new RegExp(`${size} MiB ram`).test(frame()), `${size} MiB`);
    await pressUntil(app.stdin, 'h', () => /128 MiB hugepages-2M/.test(frame()), '2M pages');
    await pressUntil(app.stdin, 'h', () => /refused: .*128 MiB is not a whole number of 1G pages/.test(frame()), 'the refusal');
    assert.match(frame(), /128 MiB hugepages-2M/, 'the last good sizing stays');
  });
});

describe('wizard core-map editing on the Plan step', () => {
  test('e edits the map: the cursor shows as ">", Enter puts the chosen vCPU there (swapping), the plan follows, x goes back to automatic', async () => {
    const { services, host } = setup();
    const app = render(<Wizard services={services} host={host} />);
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /Host audit/.test(frame()), 'the audit screen');
    await pressUntil(app.stdin, '3', () => /preset balanced/.test(frame()), 'the plan screen');
    const placed = () => /^4 vCPUs \S+ · on (\S+)/m.exec(frame())?.[1] ?? '';
    const before = placed();
    await pressUntil(app.stdin, 'e', () => /edit vCPU 0/.test(frame()), 'the editor');
    assert.match(frame(), /\[>\s*1:v0\|/, 'the cursor starts on vCPU 0\'s CPU');
    await pressUntil(app.stdin, '\u001B[C', () => !/\[>\s*1:v0/.test(frame()), 'the cursor to move');
    const target = /edit vCPU 0 \(,\/\.\) → CPU (\d+)/.exec(frame())![1]!;
    await pressUntil(app.stdin, '\r', () => new RegExp(`>\\s*${target}:v0`).test(frame()), `vCPU 0 on CPU ${target}`);
    assert.doesNotMatch(frame(), /\b1:v0\b/, 'it left CPU 1');
    await pressUntil(app.stdin, 'x', () => /\b1:v0\b/.test(frame()), 'automatic placement again');
    assert.equal(placed(), before);
    await pressUntil(app.stdin, '\u001B', () => /size: \+\/- vCPUs/.test(frame()), 'the editor to close');
  });
});

describe('wizard: saving the spec', () => {
  test('S asks for a path, writes the spec as written (sizing included), asks before overwriting, and the file reads back', async () => {
    const { services, host } = setup();
    const { parseVmSpec } = await import('../../src/spec/vm-spec.js');
    const { files, writes, saveSpec } = fakeSaves();
    const app = render(<Wizard services={{ ...services, saveSpec }} host={host} />);
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /Host audit/.test(frame()), 'the audit screen');
    await pressUntil(app.stdin, '3', () => /preset balanced/.test(frame()), 'the plan screen');
    await pressUntil(app.stdin, '-', () => /^3 vCPUs /m.test(frame()), 'one vCPU fewer');
    await pressUntil(app.stdin, 'S', () => /Save the spec to \(Enter saves, Esc cancels\): \.\/balanced\.json/.test(frame()), 'the prompt');
    await pressUntil(app.stdin, '\r', () => /\/abs\/\.\/balanced\.json: spec saved \(kvm-tui --spec FILE reopens it\)/.test(frame()), 'saved');
    const saved = JSON.parse(files.get('./balanced.json')!);
    assert.equal(parseVmSpec(saved, 'saved').vcpus.count, 3, 'the sizing is in the file, and it parses back');
    await pressUntil(app.stdin, 'S', () => /Save the spec to/.test(frame()), 'the prompt again');
    await pressUntil(app.stdin, '\r', () => /\.\/balanced\.json exists: o overwrite it/.test(frame()), 'the question');
    assert.deepEqual(writes.map((write) => write.overwrite), [false, false], 'nothing overwritten before the answer');
    await pressUntil(app.stdin, 'o', () => writes.length === 3, 'the overwrite');
    assert.equal(writes[2]!.overwrite, true);
  });
});

describe('wizard preview', () => {
  test('w writes the shown text (here the XML) to a file it asks for; the format, scroll and cursor are kept when the step is left and entered again', async () => {
    const { services, host } = setup();
    const { files, saveSpec } = fakeSaves();
    const app = render(<Wizard services={{ ...services, saveSpec }} host={host} />);
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /Host audit/.test(frame()), 'the audit screen');
    await pressUntil(app.stdin, '4', () => /\[4 Preview\]/.test(frame()), 'the preview');
    await pressUntil(app.stdin, 'x', () => /\[x libvirt XML\]/.test(frame()), 'the XML');
    await pressUntil(app.stdin, ' ', () => /lines [2-9]\d*-/.test(frame()), 'scrolled a page');
    await pressUntil(app.stdin, 'j', () => /^line \d+: /m.test(frame()), 'the cursor on a line');
    const scrolled = /lines (\d+)-/.exec(frame())![1]!;
    const cursorLine = /^line (\d+): /m.exec(frame())![1]!;
    await pressUntil(app.stdin, 'w', () => /Write the libvirt XML to \(Enter saves, Esc cancels\): \.\/balanced\.xml/.test(frame()), 'the prompt').catch((error: Error) => {
      throw new Error(`${error.message}\n${frame()}`);
    });
    await pressUntil(app.stdin, '\r', () => /\/abs\/\.\/balanced\.xml: libvirt XML written/.test(frame()), 'written');
    assert.match(files.get('./balanced.xml')!, /^<domain type="qemu">/);
    await pressUntil(app.stdin, '3', () => /\[3 Plan\]/.test(frame()), 'away');
    await pressUntil(app.stdin, '4', () => /\[4 Preview\]/.test(frame()), 'back');
    assert.match(frame(), /\[x libvirt XML\]/, 'the format is kept');
    assert.match(frame(), new RegExp(`lines ${scrolled}-`), 'the scroll is kept');
    assert.match(frame(), new RegExp(`^line ${cursorLine}: `, 'm'), 'the cursor is kept');
  });
});

describe('wizard launch and monitor steps', () => {
  test('on a captured host, Launch says why it is off and Monitor that nothing runs', async () => {
    const { services, host } = setup();
    const app = render(<Wizard services={services} host={host} />);
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /Host audit/.test(frame()), 'the audit screen');
    await pressUntil(app.stdin, '5', () => /\[5 Launch\]/.test(frame()), 'the launch step');
    assert.match(frame(), /^VM "balanced": 4 vCPUs \(/m);
    assert.match(frame(), /Launch is off here: captured host \(--root\): VMs run on this machine only\./);
    await pressUntil(app.stdin, '6', () => /\[6 Monitor\]/.test(frame()), 'the monitor step');
    assert.match(frame(), /No VM launched from here yet/);
  });

  test('Enter launches the planned VM, shows its steps, then the live pane of the VM it started', async () => {
    const { services, host } = setup();
    const { fakeRecord } = await import('../helpers/vm-records.js');
    const launchedSpecs: string[] = [];
    let finish: (() => void) | null = null;
    const record = fakeRecord('/run/kvm-tui/vms/balanced-1', { name: 'balanced' });
    const launched: string[] = [];
    const app = render(
      <Wizard
        services={{
          ...services,
          launchDisabledReason: null,
          launch: (spec, onStep) => {
            launchedSpecs.push(spec.name);
            onStep('check: VM "balanced"');
            onStep('start: qemu-system-x86_64 (bound to CPUs 0,1)');
            return new Promise((resolve) => (finish = () => resolve(record)));
          },
          monitorServices: () => ({
            clock: { now: () => record.startedAtMs, setTimeout: () => 0, clearTimeout: () => undefined, sleep: async () => undefined },
            control: idleMonitorControl(),
            startSampler: () => () => undefined,
            cleanUpExited: () => null,
          }),
        }}
        host={host}
        onLaunched={(name) => launched.push(name)}
      />,
    );
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /Host audit/.test(frame()), 'the audit screen');
    await pressUntil(app.stdin, '5', () => /Enter \(or L\) launches it/.test(frame()), 'the launch step');
    await pressUntil(app.stdin, '\r', () => launchedSpecs.length > 0, 'the launch');
    await waitFor(() => /launch: start: qemu-system-x86_64 \(bound to CPUs 0,1\)/.test(frame()), 'the steps').catch((error: Error) => {
      throw new Error(`${error.message}; the screen:\n${frame()}`);
    });
    assert.match(frame(), /launching\.\.\./);
    assert.deepEqual(launchedSpecs, ['balanced']);
    finish!();
    await waitFor(() => /\[6 Monitor\]/.test(frame()) && /balanced {2}\[RUNNING\]/.test(frame()), 'the live pane');
    assert.deepEqual(launched, ['balanced']);
    // Back on the Launch step, Enter does not start a second one or forget the first.
    await pressUntil(app.stdin, '5', () => /\[5 Launch\]/.test(frame()), 'the launch step again');
    assert.match(frame(), /VM "balanced" runs \(pid 4242\): 6 Monitor watches it/);
    app.stdin.write('\r');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(launchedSpecs, ['balanced'], 'no second launch');
    await pressUntil(app.stdin, '6', () => /balanced {2}\[RUNNING\]/.test(frame()), 'the same VM in the monitor');
  });
});

describe('core map layout', () => {
  test('marks land on the planned CPUs and no line exceeds the width', () => {
    const { topology, cpuInfo, presets } = setup();
    const plan = planVm({ topology, cpuInfo, spec: presets.find((preset) => preset.name === 'balanced')!.spec });
    for (const width of [40, 80, 200]) {
      const lines = buildCoreMapLines(topology, width, planMarks(plan));
      const text = lines.map((line) => line.map((segment) => segment.text).join(''));
      for (const line of text) assert.ok(line.length <= width, `${width}: ${line}`);
      const all = text.join('\n');
      for (const vcpu of plan.vcpus) assert.ok(all.includes(`${vcpu.hostCpu}:v${vcpu.vcpu}`));
      for (const cpu of plan.emulator) assert.match(all, new RegExp(`\\b${cpu}:[^ \\]]*E`));
      // Every online CPU appears exactly once.
      for (const cpu of topology.online) {
        const count = (all.match(new RegExp(`(?<![0-9A-Za-z])${cpu}(?=[:|\\]])`, 'g')) ?? []).length;
        assert.equal(count, 1, `cpu ${cpu} drawn ${count} times at width ${width}`);
      }
    }
  });
});

describe('the audit inside the wizard reads the host once at start, and afresh after a fix', () => {
  test('its first run takes the facts the wizard opened with; the rerun after a fix is applied reads the host again', async () => {
    // The bare fixture host: its CPU governor is a problem with commands kvm-tui can apply.
    const base = capturedHostServices(path.join(REPO, 'test/fixtures/hosts/bare'));
    const calls: Array<'opening facts' | 'fresh read'> = [];
    const host = base.readHost();
    const services = {
      ...base,
      makeProbeContext: (known?: Parameters<typeof base.makeProbeContext>[0]) => {
        calls.push(known === undefined ? 'fresh read' : 'opening facts');
        if (known) assert.equal(known.topology, host.topology, 'the very facts the wizard opened with');
        return base.makeProbeContext(known);
      },
      // A captured host applies nothing; here a fake applier "fixes" whatever is asked.
      applyFix: async () => ({ ok: true, log: [], error: null }),
      applyDisabledReason: null,
    };
    const app = render(<Wizard services={services} host={host} />);
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /Host audit · 35 checks: \d+ pass, \d+ warn, \d+ fail, \d+ info, \d+ skip$/m.test(frame()), 'every check done');
    assert.deepEqual(calls, ['opening facts']);
    await pressUntil(app.stdin, 'p', () => /problems only/.test(frame()), 'problems only', frame);
    // Down the problems to the first whose fix kvm-tui can apply.
    for (let row = 0; row < 12 && !/y run these commands/.test(frame()); row++) {
      await pressOnce(app.stdin, 'a');
      if (!/y run these commands/.test(frame())) await pressOnce(app.stdin, 'j');
    }
    assert.match(frame(), /y run these commands/, `a problem with a fix to apply:\n${frame()}`);
    await pressOnce(app.stdin, 'y');
    await waitFor(() => calls.length === 2, 'the rerun');
    assert.deepEqual(calls, ['opening facts', 'fresh read']);
  });
});

test('a capture without /proc/cpuinfo: the wizard\'s first audit says why, as kvm-tui audit does ("missing", not "unreadable")', async () => {
  const root = path.join(scratchDir('no-cpuinfo'), 'host');
  fs.cpSync(path.join(REPO, 'test/fixtures/hosts/bare'), root, { recursive: true });
  fs.rmSync(path.join(root, 'proc/cpuinfo'));
  const services = capturedHostServices(root);
  const app = render(<Wizard services={services} host={services.readHost()} size={{ columns: 200, rows: 50 }} />);
  const frame = () => plain(app.lastFrame());
  await waitFor(() => /Host audit · 35 checks: \d+ pass, \d+ warn, \d+ fail, \d+ info, \d+ skip$/m.test(frame()), 'every check done');
  assert.match(frame(), /\/proc\/cpuinfo: missing/);
  assert.doesNotMatch(frame(), /\/proc\/cpuinfo: unreadable/);
});
