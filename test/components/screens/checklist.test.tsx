/**
 * The checklist screen with ink-testing-library: rows appearing as checks finish (through the
 * real useAudit hook, with checks the test resolves one by one), expanding a row, the problems
 * filter, writing the fix script (never overwriting silently), applying a runtime fix only after
 * y (with a fake applier) and re-checking, and fitting 80x24 / using a wide terminal.
 */
import assert from 'node:assert/strict';
import { realClock } from '../../../src/run/real-services.js';
import * as path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import React, { useReducer } from 'react';
import { cleanup, render } from 'ink-testing-library';
import { Checklist, type AuditRow, type WriteScript } from '../../../components/screens/Checklist.js';
import { auditRows, useAudit } from '../../../components/hooks/use-audit.js';
import { Wizard } from '../../../components/Wizard.js';
import type { ApplyFix } from '../../../src/audit/apply-fix.js';
import { ALL_CHECKS } from '../../../src/audit/checks/index.js';
import { FixScriptExists } from '../../../src/audit/fix-script.js';
import { buildProbeContext } from '../../../src/audit/probe-context.js';
import { runChecks } from '../../../src/audit/run-checks.js';
import type { Check, CheckOutcome, CheckResult, Fix, ProbeContext } from '../../../src/audit/types.js';
import { HostFs } from '../../../src/host/host-fs.js';
import { appReducer, initialAppState } from '../../../src/state/app-state.js';
import { HOSTS_DIR } from '../../audit/fixture-hosts.js';
import { KEY, plain, press, waitFor } from '../../helpers/ink.js';
import { capturedHostServices } from '../../helpers/wizard-services.js';

afterEach(() => cleanup());

/** The real useAudit hook feeding the app reducer, drawn by the checklist (as the wizard does). */
function AuditHarness({ checks, makeContext, onRerun }: { checks: readonly Check[]; makeContext: () => ProbeContext; onRerun?: (rerun: (id: string) => Promise<CheckResult | null>) => void }) {
  const [state, dispatch] = useReducer(appReducer, undefined, () => initialAppState({ screen: 'audit', presetName: 'balanced' }));
  const audit = useAudit({ checks, makeContext, dispatch });
  onRerun?.(audit.rerun);
  return <Checklist rows={auditRows(checks, state.audit.results)} width={80} height={24} />;
}

async function fixtureRows(name: string): Promise<AuditRow[]> {
  const ctx = buildProbeContext({ clock: realClock, hostFs: new HostFs(path.join(HOSTS_DIR, name)), capturedRoot: true, env: {} });
  const results = await runChecks(ALL_CHECKS, ctx);
  return results.map((result) => ({ id: result.id, title: result.title, category: result.category, why: result.why, result }));
}

describe('Checklist', () => {
  test('rows appear as their checks finish, with a spinner line for pending ones', async () => {
    const gates = new Map<string, (outcome: CheckOutcome) => void>();
    const gated = (id: string, title: string, category: Check['category']): Check => ({
      id, title, category, needsRoot: false, why: `why ${id}`,
      run: () => new Promise<CheckOutcome>((resolve) => gates.set(id, resolve)),
    });
    const checks = [gated('t.one', 'First check', 'cpu'), gated('t.two', 'Second check', 'memory'), gated('t.three', 'Third check', 'storage')];
    const makeContext = () => buildProbeContext({ clock: realClock, hostFs: new HostFs(path.join(HOSTS_DIR, 'pvm')), capturedRoot: true, env: {} });
    const { lastFrame } = render(<AuditHarness checks={checks} makeContext={makeContext} />);
    await waitFor(() => gates.size === 3, 'all checks started');
    let frame = plain(lastFrame());
    assert.match(frame, /3 checks: 0 pass, 0 warn, 0 fail, 0 info, 0 skip, 3 running/);
    assert.equal((frame.match(/checking…/g) ?? []).length, 3);

    gates.get('t.two')!({ status: 'warn', evidence: 'two found this', fix: null });
    await waitFor(() => plain(lastFrame()).includes('two found this'), 'second row');
    frame = plain(lastFrame());
    assert.match(frame, /WARN Second check +two found this/);
    assert.equal((frame.match(/checking…/g) ?? []).length, 2);
    assert.match(frame, /2 running/);
    assert.match(frame, /memory \(1 to fix\)/);

    gates.get('t.one')!({ status: 'pass', evidence: 'one is fine', fix: null });
    gates.get('t.three')!({ status: 'fail', evidence: 'three is broken', fix: null });
    await waitFor(() => !plain(lastFrame()).includes('checking…'), 'all rows done');
    frame = plain(lastFrame());
    assert.match(frame, /3 checks: 1 pass, 1 warn, 1 fail, 0 info, 0 skip$/m);
    // Grouped by category in category order (memory before cpu), whatever the finishing order was.
    const order = ['memory (1 to fix)', 'cpu', 'storage (1 to fix)'].map((header) => frame.indexOf(`\n${header}\n`));
    assert.ok(order.every((index) => index >= 0) && order[0]! < order[1]! && order[1]! < order[2]!, frame);
  });

  test('Enter expands the selected row with evidence, why and fix; Enter again folds it', async () => {
    const rows = await fixtureRows('bare');
    const { lastFrame, stdin } = render(<Checklist rows={rows} width={80} height={24} />);
    await waitFor(() => plain(lastFrame()).includes('virt.') || plain(lastFrame()).includes('CPU virtualization'), 'first frame');
    assert.doesNotMatch(plain(lastFrame()), /found:/);
    await press(stdin, KEY.down, KEY.down, KEY.enter);
    await waitFor(() => plain(lastFrame()).includes('found:'), 'expanded');
    const frame = plain(lastFrame());
    assert.match(frame, /›▾ FAIL \/dev\/kvm present and usable/);
    assert.match(frame, /found: \/dev\/kvm: missing: no kvm module is loaded/);
    assert.match(frame, /why: QEMU opens \/dev\/kvm/);
    await press(stdin, KEY.enter);
    await waitFor(() => !plain(lastFrame()).includes('found:'), 'folded');
  });

  test('p shows only problems and back', async () => {
    const rows = await fixtureRows('bare');
    const { lastFrame, stdin } = render(<Checklist rows={rows} width={80} height={40} />);
    await waitFor(() => plain(lastFrame()).includes('Host audit'), 'first frame');
    assert.match(plain(lastFrame()), /INFO /);
    await press(stdin, 'p');
    await waitFor(() => plain(lastFrame()).includes('problems only'), 'filter on');
    const frame = plain(lastFrame());
    assert.doesNotMatch(frame, /\b(INFO|SKIP|PASS) /);
    const problemRows = frame.split('\n').filter((line) => /\b(WARN|FAIL) /.test(line));
    assert.equal(problemRows.length, rows.filter((row) => ['warn', 'fail'].includes(row.result!.status)).length);
    assert.match(frame, /p all rows/);
    await press(stdin, 'p');
    await waitFor(() => !plain(lastFrame()).includes('problems only'), 'filter off');
    assert.match(plain(lastFrame()), /INFO /);
  });

  test('w writes every fix into the script; an existing file is never overwritten silently', async () => {
    const rows = await fixtureRows('bare');
    const existing = new Set<string>();
    const writes: { file: string; content: string; overwrite: boolean }[] = [];
    const writeScript: WriteScript = (file, content, options) => {
      if (existing.has(file) && !options.overwrite) throw new FixScriptExists(file);
      existing.add(file);
      writes.push({ file, content, overwrite: options.overwrite });
      return `/abs/${path.basename(file)}`;
    };
    const { lastFrame, stdin } = render(
      <Checklist rows={rows} width={80} height={24} writeScript={writeScript} scriptPath="fixes.sh" now={() => new Date('2026-01-01T00:00:00Z')} />,
    );
    await waitFor(() => plain(lastFrame()).includes('Host audit'), 'first frame');
    await press(stdin, 'w');
    await waitFor(() => plain(lastFrame()).includes('wrote /abs/fixes.sh'), 'written');
    assert.equal(writes.length, 1);
    assert.deepEqual([writes[0]!.file, writes[0]!.overwrite], ['fixes.sh', false]);
    assert.match(writes[0]!.content, /^#!\/bin\/sh\n# kvm-tui host fixes, generated 2026-01-01T00:00:00.000Z/);
    assert.match(writes[0]!.content, /# --- mem\.hugepages \[warn\]/);
    assert.match(writes[0]!.content, /sysctl -w vm.nr_hugepages=1000/);

    await press(stdin, 'w');
    await waitFor(() => plain(lastFrame()).includes('fixes.sh exists'), 'overwrite prompt');
    assert.equal(writes.length, 1, 'nothing written before the answer');
    await press(stdin, KEY.escape);
    await waitFor(() => plain(lastFrame()).includes('script not written'), 'cancelled');
    await press(stdin, 'w');
    await waitFor(() => plain(lastFrame()).includes('fixes.sh exists'), 'overwrite prompt again');
    await press(stdin, 'o');
    await waitFor(() => writes.length === 2, 'overwritten');
    assert.equal(writes[1]!.overwrite, true);
  });

  test('a shows the exact commands, runs nothing on n, applies on y and re-runs the check', async () => {
    const rows = await fixtureRows('bare');
    const applied: Fix[] = [];
    const applyFix: ApplyFix = async (fix) => {
      applied.push(fix);
      return { ok: true, log: fix.apply.map((step) => `ok: ${step.argv.join(' ')}`), error: null };
    };
    const reruns: string[] = [];
    let current = rows;
    const rerun = async (id: string): Promise<CheckResult | null> => {
      reruns.push(id);
      const before = current.find((row) => row.id === id)!.result!;
      const after: CheckResult = { ...before, status: 'pass', evidence: 'scaling_governor: performance ×4', fix: null };
      current = current.map((row) => (row.id === id ? { ...row, result: after } : row));
      instance.rerender(<Checklist rows={current} width={80} height={24} applyFix={applyFix} rerun={rerun} onHostChanged={() => hostChanged++} />);
      return after;
    };
    let hostChanged = 0;
    const instance = render(<Checklist rows={current} width={80} height={24} applyFix={applyFix} rerun={rerun} onHostChanged={() => hostChanged++} />);
    const { lastFrame, stdin } = instance;
    await waitFor(() => plain(lastFrame()).includes('Host audit'), 'first frame');
    const governorIndex = current.findIndex((row) => row.id === 'cpu.governor');
    // Rows are shown in category order, which is the checks' order here.
    await press(stdin, ...Array.from({ length: governorIndex }, () => 'j'));
    await waitFor(() => /›▸ WARN CPU frequency governor/.test(plain(lastFrame())), 'governor selected');

    await press(stdin, 'a');
    await waitFor(() => plain(lastFrame()).includes('y run these commands'), 'confirmation');
    let frame = plain(lastFrame());
    assert.match(frame, /Apply the runtime fix for "CPU frequency governor"\? kvm-tui will run:/);
    assert.match(frame, /\$ echo performance \| tee \/sys\/devices\/system\/cpu\/cpu0\/cpufreq\/scaling_governor/);
    assert.match(frame, /persistent part is not applied/);
    await press(stdin, 'n');
    await waitFor(() => plain(lastFrame()).includes('not applied'), 'declined');
    assert.equal(applied.length, 0);

    await press(stdin, 'a');
    await waitFor(() => plain(lastFrame()).includes('y run these commands'), 'confirmation again');
    await press(stdin, 'y');
    await waitFor(() => plain(lastFrame()).includes('cpu.governor: applied; warn → pass'), 'applied and re-checked');
    assert.equal(applied.length, 1);
    assert.deepEqual(applied[0]!.apply[0]!.argv.slice(0, 2), ['tee', '/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor']);
    assert.deepEqual(reruns, ['cpu.governor']);
    assert.equal(hostChanged, 1, 'the host facts are read again after an applied fix, once');
    frame = plain(lastFrame());
    assert.match(frame, /PASS CPU frequency governor/);

    // A row whose fix is persistent only (kernel command line) offers nothing to apply.
    await press(stdin, 'g');
    await press(stdin, 'j');
    await press(stdin, 'a');
    await waitFor(() => plain(lastFrame()).includes('virt.firmware: nothing kvm-tui can apply'), 'not applicable');
    assert.equal(applied.length, 1);
  });

  test('a failed apply shows the error and keeps the row as it was', async () => {
    const rows = await fixtureRows('bare');
    const applyFix: ApplyFix = async () => ({ ok: false, log: [], error: 'sysctl -w vm.nr_hugepages=1000: exit status 255: permission denied' });
    let reran = false;
    const { lastFrame, stdin } = render(
      <Checklist rows={rows} width={80} height={24} applyFix={applyFix} rerun={async () => ((reran = true), null)} />,
    );
    await waitFor(() => plain(lastFrame()).includes('Host audit'), 'first frame');
    const index = rows.findIndex((row) => row.id === 'mem.hugepages');
    await press(stdin, ...Array.from({ length: index }, () => 'j'), 'a');
    await waitFor(() => plain(lastFrame()).includes('y run these commands'), 'confirmation');
    await press(stdin, 'y');
    // The error wraps onto a second footer line rather than being cut at 80 columns.
    await waitFor(() => /exit status 255: permission\s+denied/.test(plain(lastFrame())), 'error shown');
    assert.equal(reran, false);
    assert.match(plain(lastFrame()), /WARN Huge pages reserved/);
  });

  test('without an applier (captured host) a says why', async () => {
    const rows = await fixtureRows('bare');
    const { lastFrame, stdin } = render(<Checklist rows={rows} width={80} height={24} applyDisabledReason="captured host (--root): fixes cannot be applied" />);
    await waitFor(() => plain(lastFrame()).includes('Host audit'), 'first frame');
    const index = rows.findIndex((row) => row.id === 'mem.hugepages');
    await press(stdin, ...Array.from({ length: index }, () => 'j'), 'a');
    await waitFor(() => plain(lastFrame()).includes('captured host (--root): fixes cannot be applied'), 'reason');
  });

  test('fits 80x24 and keeps the selected row (and its details) visible while scrolling', async () => {
    const rows = await fixtureRows('bare');
    const { lastFrame, stdin } = render(<Checklist rows={rows} width={80} height={24} />);
    const fits = () => {
      const lines = plain(lastFrame()).split('\n');
      assert.ok(lines.length <= 24, `${lines.length} lines`);
      for (const line of lines) assert.ok([...line].length <= 80, `too wide: "${line}"`);
    };
    await waitFor(() => plain(lastFrame()).includes('Host audit'), 'first frame');
    fits();
    await press(stdin, 'G');
    await waitFor(() => /›▸ WARN cpuset controller usable/.test(plain(lastFrame())), 'last row selected');
    fits();
    assert.doesNotMatch(plain(lastFrame()), /CPU virtualization extensions/, 'scrolled past the top');
    await press(stdin, KEY.enter);
    await waitFor(() => plain(lastFrame()).includes('found: no cgroup v1 cpuset mount'), 'details of the last row');
    fits();
    assert.match(plain(lastFrame()), /persistent \(as root\)/, 'the whole detail block is in view');
    await press(stdin, 'g');
    await waitFor(() => /›▸ FAIL CPU virtualization extensions/.test(plain(lastFrame())), 'back at the top');
    assert.match(plain(lastFrame()), /^virtualization/m, 'with its category header');
    fits();
    await press(stdin, KEY.up);
    assert.match(plain(lastFrame()), /›▸ FAIL CPU virtualization extensions/, 'up at the top stays');
  });

  test('a wide terminal shows the selected row in a details pane beside the list', async () => {
    const rows = await fixtureRows('pvm');
    const { lastFrame, stdin } = render(<Checklist rows={rows} width={150} height={30} />);
    await waitFor(() => plain(lastFrame()).includes('Host audit'), 'first frame');
    let frame = plain(lastFrame());
    // The pane's first line sits beside the list's first line (the category header).
    assert.match(frame.split('\n')[1]!, /^virtualization \(2 to fix\) +CPU virtualization extensions \(VT-x \/ AMD-V\) \[virt\.cpu-flags\]$/);
    assert.match(frame, /›  WARN CPU virtualization extensions/);
    assert.match(frame, /found: \/proc\/cpuinfo flags: no vmx or svm, but \/dev\/kvm exists/);
    await press(stdin, 'j');
    await waitFor(() => plain(lastFrame()).includes('[virt.firmware]'), 'pane follows the selection');
    frame = plain(lastFrame());
    for (const line of frame.split('\n')) assert.ok([...line].length <= 150);
  });
});

describe('Checklist input', () => {
  test('keys that arrive together in one chunk are each handled', async () => {
    const rows = await fixtureRows('bare');
    const { lastFrame, stdin } = render(<Checklist rows={rows} width={80} height={24} />);
    await waitFor(() => plain(lastFrame()).includes('Host audit'), 'first frame');
    await press(stdin, 'jjj');
    await waitFor(() => /›▸ FAIL KVM kernel modules/.test(plain(lastFrame())), 'three rows down');
  });
});

describe('Checklist apply panel', () => {
  test('a fix with more commands than fit keeps the question and the answer keys on screen', async () => {
    const rows = await fixtureRows('bare');
    const many = rows.map((row) => {
      if (row.id !== 'cpu.governor') return row;
      const fix = row.result!.fix!;
      const files = Array.from({ length: 256 }, (_, cpu) => `/sys/devices/system/cpu/cpu${cpu}/cpufreq/scaling_governor`);
      return { ...row, result: { ...row.result!, fix: { ...fix, apply: [{ argv: ['tee', ...files], input: 'performance\n' }] } } };
    });
    const { lastFrame, stdin } = render(<Checklist rows={many} width={80} height={24} applyFix={async () => ({ ok: true, log: [], error: null })} />);
    await waitFor(() => plain(lastFrame()).includes('Host audit'), 'first frame');
    await press(stdin, ...Array.from({ length: many.findIndex((row) => row.id === 'cpu.governor') }, () => 'j'), 'a');
    await waitFor(() => plain(lastFrame()).includes('y run these commands'), 'confirmation');
    const lines = plain(lastFrame()).split('\n');
    assert.ok(lines.length <= 24, `${lines.length} lines`);
    assert.match(plain(lastFrame()), /… \d+ more lines \(the fix script has them all\)/);
    assert.match(plain(lastFrame()), /›▸ WARN CPU frequency governor/, 'the row being fixed stays visible');
  });
});

describe('the audit in the wizard', () => {
  test('runs the real checks on a captured host and refuses to apply to it', async () => {
    const services = capturedHostServices(path.join(HOSTS_DIR, 'bare'));
    const { lastFrame, stdin } = render(<Wizard services={services} host={services.readHost()} size={{ columns: 80, rows: 27 }} />);
    await waitFor(() => /35 checks: 0 pass, 9 warn, 5 fail, 14 info, 7 skip$/m.test(plain(lastFrame())), 'every check done');
    const index = ALL_CHECKS.findIndex((check) => check.id === 'mem.hugepages');
    await press(stdin, ...Array.from({ length: index }, () => 'j'), 'a');
    await waitFor(() => plain(lastFrame()).includes('captured host (--root): fixes cannot be applied'), 'refusal');
  });
});

describe('useAudit', () => {
  test('rerun reads the host afresh, so a fixed setting turns the row green', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-rerun-'));
    try {
      fs.cpSync(path.join(HOSTS_DIR, 'bare'), root, { recursive: true });
      const checks = ALL_CHECKS.filter((check) => check.id === 'mem.thp' || check.id === 'mem.ksm');
      let rerun: ((id: string) => Promise<CheckResult | null>) | null = null;
      const { lastFrame } = render(
        <AuditHarness checks={checks} makeContext={() => buildProbeContext({ clock: realClock, hostFs: new HostFs(root), capturedRoot: true, env: {} })} onRerun={(fn) => (rerun = fn)} />,
      );
      await waitFor(() => /WARN Transparent huge pages/.test(plain(lastFrame())), 'THP warns');
      // What `a` would do on a live host: the setting changes underneath.
      fs.writeFileSync(path.join(root, 'sys/kernel/mm/transparent_hugepage/enabled'), 'always [madvise] never\n');
      const result = await rerun!('mem.thp');
      assert.equal(result!.status, 'pass');
      await waitFor(() => /PASS Transparent huge pages/.test(plain(lastFrame())), 'THP passes');
      assert.match(plain(lastFrame()), /INFO Kernel samepage merging/, 'the other row is untouched');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
