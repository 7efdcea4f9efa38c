/**
 * The Preview, Launch and Monitor steps on the 512-thread, 8-node synthetic host
 * (test/make-synthetic-host.ts) at 80x24 and 200x50, through the wizard (ink-testing-library):
 * the step bar marks the step, the keys footer is the last line, nothing is wider or taller than
 * the terminal, and what a user must read is whole: the options that carry the plan, the VM's
 * pins, why launch is off or what Enter does, the live pane's header, rows and keys.
 */
import assert from 'node:assert/strict';
import { afterEach, before, describe, test } from 'node:test';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { Wizard } from '../../../components/Wizard.js';
import { stepKeysLine } from '../../../components/App.js';
import type { MonitorServices } from '../../../src/app/monitor-services.js';
import type { HostFacts, WizardServices } from '../../../src/app/wizard-services.js';
import { computeFigures } from '../../../src/monitor/rates.js';
import type { ThreadSample, VmSample } from '../../../src/monitor/sample.js';
import type { MonitorSnapshot } from '../../../src/monitor/sampler.js';
import { planVm } from '../../../src/plan/plan-vm.js';
import type { VmRecord } from '../../../src/registry/vm-record.js';
import { idleMonitorControl } from '../../helpers/fake-monitor-control.js';
import { syntheticHostRoot } from '../../helpers/fixture-root.js';
import { plain, waitFor } from '../../helpers/ink.js';
import { fakeRecord } from '../../helpers/vm-records.js';
import { capturedHostServices } from '../../helpers/wizard-services.js';
import { assertFits, fakeHostOffer, pressUntil } from '../wizard-helpers.js';

afterEach(() => cleanup());

let root = '';
before(() => {
  root = syntheticHostRoot();
});

const SIZES = [
  { columns: 80, rows: 24 },
  { columns: 200, rows: 50 },
];
const STEPS = '1 Audit > 2 Topology > 3 Plan > 4 Preview > 5 Launch > 6 Monitor';
/** The step bar with step `n` in brackets, as drawn at 80 columns and wider. */
const barWith = (n: number) => STEPS.replace(new RegExp(`(${n} \\w+)`), '[$1]');

const lines = (frame: string) => frame.split('\n');
/** The frame's text with the wrapped lines joined again (a wrapped line continues indented). */
const unwrapped = (frame: string) => frame.replace(/\n {2}(?=\S)/g, ' ');

function start(size: { columns: number; rows: number }, initialScreen: string, extra: Partial<WizardServices> = {}) {
  const services = { ...capturedHostServices(root), hostOffer: fakeHostOffer(), ...extra };
  const host = services.readHost();
  const app = render(<Wizard services={services} host={host} size={size} initialScreen={initialScreen} />);
  return { app, host, services, frame: () => plain(app.lastFrame()) };
}

function thread(tid: number, role: ThreadSample['role'], index: number, runNs: number, hostCpu: number): ThreadSample {
  return { role, index, tid, comm: role === 'vcpu' ? `CPU ${index}/KVM` : 'qemu', state: 'R', cpuTicks: 0, runNs, waitNs: 0, nonvoluntaryCtxtSwitches: 0, migrations: 0, lastHostCpu: hostCpu, affinity: [hostCpu], plannedAffinity: [hostCpu] };
}

/** A record of the planned VM as launched on the 512-thread host, and two samples of it (every host CPU). */
function launchedOn(host: HostFacts, spec: Parameters<typeof planVm>[0]['spec']): { record: VmRecord; series: MonitorSnapshot[] } {
  const plan = planVm({ topology: host.topology, cpuInfo: host.cpuInfo, spec });
  assert.equal(plan.errors.length, 0);
  const vcpuCpus = plan.vcpus.map((vcpu) => vcpu.hostCpu!);
  const emulatorCpu = plan.emulator[0] ?? 0;
  const base = fakeRecord('/run/kvm-tui/vms/balanced-1');
  const record: VmRecord = {
    ...base,
    name: 'balanced',
    plan,
    threads: [...vcpuCpus.map((cpu, index) => ({ role: 'vcpu' as const, index, tid: 5000 + index, plannedAffinity: [cpu] })), { role: 'emulator' as const, index: 0, tid: 4242, plannedAffinity: [emulatorCpu] }],
  };
  const sample = (atMs: number, step: number): VmSample => ({
    atMs,
    name: 'balanced',
    pid: record.pid,
    alive: true,
    rssKiB: 512 * 1024,
    hugetlbKiB: 0,
    threads: [...vcpuCpus.map((cpu, index) => thread(5000 + index, 'vcpu', index, step * 0.9e9, cpu)), thread(4242, 'emulator', 0, step * 0.01e9, emulatorCpu)],
    hostCpus: host.topology.online.map((cpu) => ({ cpu, busyTicks: step * (vcpuCpus.includes(cpu) ? 90 : 5), totalTicks: step * 100 })),
  });
  const samples = [sample(record.startedAtMs + 60_000, 1), sample(record.startedAtMs + 61_000, 2)];
  const series = samples.map((current, index) => ({
    figures: computeFigures(index === 0 ? null : samples[index - 1]!, current),
    cpuHistory: new Map<number, Array<number | null>>(),
    skippedTicks: 0,
  }));
  return { record, series };
}

function monitorServices(record: VmRecord, series: MonitorSnapshot[]): MonitorServices {
  return {
    clock: { now: () => record.startedAtMs + 61_000, setTimeout: () => 0, clearTimeout: () => undefined, sleep: async () => undefined },
    control: idleMonitorControl(),
    startSampler: (_vm, onSnapshot) => {
      for (const snapshot of series) onSnapshot(snapshot);
      return () => undefined;
    },
    cleanUpExited: () => null,
  };
}

for (const size of SIZES) {
  describe(`the 512-thread host at ${size.columns}x${size.rows}`, () => {
    test('Preview: the step, the format tabs, the options that carry the plan whole, the keys footer', async () => {
      const { app, frame, host, services } = start(size, 'preview');
      await waitFor(() => /qemu-system-x86_64/.test(frame()), 'the QEMU command');
      assert.equal(host.topology.online.length, 512);
      assertFits(frame(), size.columns, size.rows, 'the preview');
      assert.equal(lines(frame())[1], barWith(4));
      assert.equal(lines(frame()).at(-1), stepKeysLine(3, 6, true));
      assert.match(frame(), /^\[e QEMU\] x libvirt XML {2}s pin script {3}lines 1-\d+\/\d+$/m);
      // balanced: 4 vCPUs, 4 GiB bound to node 0. The lines that say what the VM is and where its
      // memory lives are never the cut ones.
      assert.match(frame(), /^ {2}-smp 4,sockets=1,dies=1,cores=4,threads=1,maxcpus=4 \\$/m);
      assert.match(frame(), /^ {2}-m 4096M \\$/m);
      assert.match(frame(), /^ {2}-object memory-backend-ram,id=mem0,size=4096M,host-nodes=0,policy=bind \\$/m);
      if (size.columns >= 200) assert.doesNotMatch(frame(), /…$/m, 'at 200 columns no option is cut');
      // The pin script names the host CPU of every vCPU (a page down at 24 rows).
      await pressUntil(app.stdin, 's', () => /\[s pin script\]/.test(frame()), 'the pin script', frame);
      assertFits(frame(), size.columns, size.rows, 'the pin script');
      const plan = planVm({ topology: host.topology, cpuInfo: host.cpuInfo, spec: services.presets.find((entry) => entry.name === 'balanced')!.spec });
      await pressUntil(app.stdin, ' ', () => /^vcpu_cpus=/m.test(frame()), 'the vCPU pins in the script', frame);
      assert.match(frame(), new RegExp(`^vcpu_cpus=\\(${plan.vcpus.map((vcpu) => vcpu.hostCpu).join(' ')}\\)$`, 'm'));
      assert.equal(lines(frame())[1], barWith(4));
      assert.equal(lines(frame()).at(-1), stepKeysLine(3, 6, true));
      await pressUntil(app.stdin, 'x', () => /\[x libvirt XML\]/.test(frame()), 'the XML', frame);
      assert.match(frame(), /^<domain type="qemu">$/m);
      assertFits(frame(), size.columns, size.rows, 'the XML');
    });

    test('Launch on a captured host: the VM with every pin, and why launch is off, whole; c is the way on', async () => {
      const { frame, host, services } = start(size, 'launch');
      await waitFor(() => /Launch is off here/.test(frame()), 'the launch step');
      assertFits(frame(), size.columns, size.rows, 'the launch step');
      assert.equal(lines(frame())[1], barWith(5));
      assert.equal(lines(frame()).at(-1), stepKeysLine(4, 6, false));
      const plan = planVm({ topology: host.topology, cpuInfo: host.cpuInfo, spec: services.presets.find((entry) => entry.name === 'balanced')!.spec });
      const pins = plan.vcpus.map((vcpu) => `${vcpu.vcpu}->${vcpu.hostCpu}`).join(' ');
      const text = unwrapped(frame());
      assert.ok(text.includes(`VM "balanced": ${plan.spec.vcpus.count} vCPUs (${pins}), ${plan.spec.memory.sizeMiB} MiB ram on node 0, accel `), `the VM line whole:\n${frame()}`);
      assert.ok(text.includes('Launch is off here: captured host (--root): VMs run on this machine only.'), frame());
    });

    test('Launch where it can: what Enter does is said whole; Enter goes to the live pane of the VM, which fits with its keys', async () => {
      const base = capturedHostServices(root);
      const host = base.readHost();
      const { record, series } = launchedOn(host, base.presets.find((entry) => entry.name === 'balanced')!.spec);
      const launched: string[] = [];
      const { app, frame } = start(size, 'launch', {
        launchDisabledReason: null,
        launch: async (spec) => {
          launched.push(spec.name);
          return record;
        },
        monitorServices: () => monitorServices(record, series),
      });
      await waitFor(() => /Enter \(or L\) launches it/.test(frame()), 'the launch step');
      assertFits(frame(), size.columns, size.rows, 'the launch step');
      assert.ok(
        unwrapped(frame()).includes('Enter (or L) launches it: QEMU starts paused in its own session, every thread is pinned and checked in /proc, then the guest runs. It keeps running when you quit.'),
        frame(),
      );
      await pressUntil(app.stdin, '\r', () => /\[RUNNING\]/.test(frame()) && /^vCPU 0 /m.test(frame()), 'the live pane', frame);
      assert.deepEqual(launched, ['balanced']);
      assertFits(frame(), size.columns, size.rows, 'the monitor step');
      assert.equal(lines(frame())[1], barWith(6));
      assert.equal(lines(frame()).at(-1), stepKeysLine(5, 6, true));
      assert.match(frame(), /balanced {2}\[RUNNING\] {2}tcg {2}up 0:01:01 {2}pid 4242 {2}4 vCPU/);
      for (const [index, entry] of record.threads.filter((entry) => entry.role === 'vcpu').entries()) {
        assert.match(frame(), new RegExp(`^vCPU ${index} +${entry.tid} +90\\.0 .* ${entry.plannedAffinity[0]}$`, 'm'), `vCPU ${index}'s row, its pin at the end`);
      }
      assert.match(frame(), /^emulator +4242 /m);
      // The pane's own keys are on screen above the wizard's footer, not pushed off by 512 host CPUs.
      assert.match(frame(), /^p pause\/resume {2}s shutdown {2}F force quit {2}r re-pin {2}q detach {2}\? help/m);
      // The host CPU strip: the VM's CPUs (marked *) always; at 24 rows the idlest others are counted, not drawn.
      assert.match(frame(), /^host CPUs /m);
      for (const entry of record.threads.filter((entry) => entry.role === 'vcpu')) assert.match(frame(), new RegExp(`(^| )${entry.plannedAffinity[0]}\\* +90%`, 'm'));
      if (size.rows < 30) assert.match(frame(), /^ +\* = this VM's vCPU\/iothread CPUs; \d+ idler CPUs not shown$/m);
      else assert.doesNotMatch(frame(), /not shown/, 'at 50 rows every host CPU is drawn');
    });

    test('Monitor before any launch says how to get a VM there', async () => {
      const { frame } = start(size, 'monitor');
      await waitFor(() => /\[6 Monitor\]/.test(frame()), 'the monitor step');
      assertFits(frame(), size.columns, size.rows, 'the empty monitor');
      assert.equal(lines(frame()).at(-1), stepKeysLine(5, 6, true));
      assert.ok(unwrapped(frame()).replace(/\n/g, ' ').includes('No VM launched from here yet: 5 Launch starts the planned one (kvm-tui monitor NAME watches others).'), frame());
    });
  });
}
