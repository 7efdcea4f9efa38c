/**
 * The Preview step's cursor, sideways scroll and OSC 52 copy (ink-testing-library at 80x24): a
 * plan of the well-tuned fixture host with a disk, its argv and XML with their reasons.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { PreviewScreen, drawLine, type PreviewFormat } from '../../components/screens/PreviewScreen.js';
import { Wizard } from '../../components/Wizard.js';
import { explainArgvLines, explainXmlLines } from '../../src/generate/explain.js';
import { generateAll } from '../../src/generate/index.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { formatShellPreview } from '../../src/shared/shell-quote.js';
import { applyPresetOverrides } from '../../src/spec/resolve.js';
import { plain, waitFor } from '../helpers/ink.js';
import { capturedHostServices } from '../helpers/wizard-services.js';
import { assertFits, pressUntil } from './wizard-helpers.js';

afterEach(() => cleanup());

const ROOT = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'hosts', 'well-tuned');

function preview() {
  const services = capturedHostServices(ROOT);
  const host = services.readHost();
  const spec = applyPresetOverrides(services.presets.find((entry) => entry.name === 'balanced')!, { disks: ['/srv/vm/disk.qcow2'] });
  const plan = planVm({ topology: host.topology, cpuInfo: host.cpuInfo, spec, taken: host.taken, devices: host.devices });
  const generated = generateAll(plan, { runDir: '/run/kvm-tui/vms/balanced' });
  const artefacts = { qemu: formatShellPreview(generated.argv), xml: generated.xml, script: generated.script };
  const reasons = { qemu: explainArgvLines(generated.argv, plan), xml: explainXmlLines(generated.xml, plan) };
  const app = render(<PreviewScreen artefacts={artefacts} reasons={reasons} width={80} height={20} />);
  const frame = () => plain(app.lastFrame());
  return { app, frame, artefacts };
}

describe('preview', () => {
  test('the cursor (">") picks a line and the line under the text says why that option is there', async () => {
    const { app, frame } = preview();
    await waitFor(() => /qemu-system-x86_64/.test(frame()), 'the QEMU command');
    assert.match(frame(), /put the cursor on a line to see why it is there/);
    await pressUntil(app.stdin, 'j', () => /^line 1: qemu-system-x86_64: the QEMU system emulator/m.test(frame()), 'the first line\'s reason', frame);
    assert.match(frame(), /^>qemu-system-x86_64 \\$/m, 'the cursor in text');
    // Down to the iothread: the reason says where it runs.
    for (let step = 0; step < 40 && !/^> -object iothread,id=io0/m.test(frame()); step++) {
      const before = frame();
      app.stdin.write('j');
      await waitFor(() => frame() !== before, 'the cursor to move');
    }
    assert.match(frame(), /^> -object iothread,id=io0 \\$/m);
    assert.match(frame(), /^line \d+: iothread=io0: disk I\/O runs on its own thread \(host CPUs? [\d,-]+,\s+off\s+the\s+vCPUs\)/m);
    assertFits(frame(), 80, 20, 'the preview with a reason');
    await pressUntil(app.stdin, 'x', () => /\[x libvirt XML\]/.test(frame()), 'the XML', frame);
    await pressUntil(app.stdin, 'j', () => /^line 1: the libvirt domain of balanced/m.test(frame()), 'the domain\'s reason', frame);
  });

  test('← → (h l) scroll sideways: a long line cut with "…" shows its end, 0 goes back', async () => {
    const { app, frame } = preview();
    await waitFor(() => /qemu-system-x86_64/.test(frame()), 'the QEMU command');
    assert.match(frame(), /^ {2}-machine q35,.*…$/m, 'cut at 80 columns');
    await pressUntil(app.stdin, '\u001B[C', () => /· col 21\+/.test(frame()), 'scrolled sideways', frame);
    assert.match(frame(), /^….*hpet=off \\$/m, 'the end of -machine is readable');
    assertFits(frame(), 80, 20, 'scrolled sideways');
    await pressUntil(app.stdin, 'h', () => !/· col/.test(frame()), 'back with h', frame);
    await pressUntil(app.stdin, 'l', () => /· col 21\+/.test(frame()), 'sideways with l', frame);
    await pressUntil(app.stdin, '0', () => /^ {2}-machine q35,/m.test(frame()), 'back to the start with 0', frame);
  });

  test('y sends the shown text as OSC 52 through the app\'s stdout and says the terminal may ignore it', async () => {
    const { app, frame, artefacts } = preview();
    await waitFor(() => /qemu-system-x86_64/.test(frame()), 'the QEMU command');
    const sequence = `\u001B]52;c;${Buffer.from(artefacts.qemu, 'utf8').toString('base64')}\u0007`;
    await pressUntil(app.stdin, 'y', () => app.frames.includes(sequence), 'the OSC 52 sequence', frame);
    await waitFor(() => /copied: the QEMU command, \d+ lines \(OSC 52; the terminal may ignore it\)/.test(frame()), 'the note');
    await pressUntil(app.stdin, 'j', () => !/copied:/.test(frame()), 'the note gone at the next key', frame);
  });

  test('drawLine: "…" on the side that goes on; the cursor over the indent keeps the columns', () => {
    assert.equal(drawLine('  -m 4096M \\', 80, 0, true), '> -m 4096M \\');
    assert.equal(drawLine('<domain type="kvm">', 80, 0, true), '><domain type="kvm">');
    assert.equal(drawLine('abcdefghij', 6, 0, false), 'abcde…');
    assert.equal(drawLine('abcdefghij', 6, 4, false), '…fghij');
    assert.equal(drawLine('abc', 6, 4, false), ' ', 'a short line keeps its row');
  });

  test('while the generators load: it says so, and w, y and the cursor do nothing until there is text', async () => {
    const written: PreviewFormat[] = [];
    const app = render(<PreviewScreen artefacts={{ pending: true }} width={80} height={20} onWrite={(format) => written.push(format)} />);
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /Preparing the QEMU command line, the libvirt XML and the pin script/.test(frame()), 'the pending line');
    for (const key of ['w', 'y', 'j']) app.stdin.write(key);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(written.length, 0, 'nothing written while pending');
    assert.doesNotMatch(frame(), /copied|line 1/);
    const { artefacts } = preview();
    app.rerender(<PreviewScreen artefacts={artefacts} width={80} height={20} onWrite={(format) => written.push(format)} />);
    await waitFor(() => /qemu-system-x86_64/.test(frame()), 'the text once loaded');
    assert.doesNotMatch(frame(), /^>/m, 'no cursor was placed while pending');
    app.stdin.write('w');
    await waitFor(() => written.length === 1, 'w once there is text');
  });

  test('a generator that did not load is the reason, with its own hint', async () => {
    const app = render(<PreviewScreen artefacts={{ error: 'the generators did not load: gone', hint: 'This install of kvm-tui is incomplete: install it again.' }} width={80} height={20} />);
    await waitFor(() => /Nothing to preview: the generators did not load: gone/.test(plain(app.lastFrame())), 'the reason');
    assert.match(plain(app.lastFrame()), /install it again/);
    assert.doesNotMatch(plain(app.lastFrame()), /Pick another preset/);
  });

  test('in the wizard: the reasons come with the plan shown', async () => {
    const services = capturedHostServices(ROOT);
    const app = render(<Wizard services={services} host={services.readHost()} initialScreen="preview" size={{ columns: 80, rows: 24 }} />);
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /qemu-system-x86_64/.test(frame()), 'the preview');
    await pressUntil(app.stdin, 'j', () => /^line 1: qemu-system-x86_64:/m.test(frame()), 'a reason', frame);
    await pressUntil(app.stdin, 'j', () => /^line 2: debug-threads=on names every thread/m.test(frame()), 'the next one', frame);
    assertFits(frame(), 80, 24, 'the wizard\'s preview');
  });
});

describe('the Preview writes for the QEMU launch runs', () => {
  async function previewFor(target: { qemu: { major: number; minor: number } | null }) {
    const base = capturedHostServices(ROOT);
    const services = { ...base, outputTarget: async () => target };
    const app = render(<Wizard services={services} host={services.readHost()} initialScreen="preview" initialPresetName="high-performance" color={false} size={{ columns: 200, rows: 60 }} />);
    const frame = () => plain(app.lastFrame());
    await waitFor(() => /qemu-system-x86_64/.test(frame()), 'the QEMU command');
    return frame;
  }

  test('with this host\'s QEMU 7.2, memory is preallocated in a thread context on its node, as launch will run it', async () => {
    const frame = await previewFor({ qemu: { major: 7, minor: 2 } });
    await waitFor(() => /-object thread-context,id=tc-mem0,node-affinity=\d/.test(frame()), 'the thread context');
    assert.match(frame(), /prealloc-context=tc-mem0/);
    cleanup();
    const unknown = await previewFor({ qemu: null });
    assert.doesNotMatch(unknown(), /thread-context/, 'an unknown QEMU gets nothing that needs a version');
  });
});
