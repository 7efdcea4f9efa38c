/**
 * The live pane drawn from a recording of a real VM (test/fixtures/monitor-series, made by its
 * record.ts: a 2-vCPU TCG test guest with a busy loop on every vCPU, four readings of its /proc
 * one second apart). The real sampler reads each recorded instant on a fake clock; the pane must
 * show both vCPUs busy on the CPUs they were pinned to, no drift, the emulator row, the host CPU
 * strip with this VM's CPUs marked, and a history growing by one point per reading.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { afterEach, test } from 'node:test';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { MonitorScreen } from '../../../components/screens/MonitorScreen.js';
import type { MonitorServices } from '../../../src/app/monitor-services.js';
import { HostFs } from '../../../src/host/host-fs.js';
import { readVmSample } from '../../../src/monitor/sample.js';
import { Sampler } from '../../../src/monitor/sampler.js';
import { parseVmRecord } from '../../../src/registry/vm-record.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { idleMonitorControl } from '../../helpers/fake-monitor-control.js';
import { plain, waitFor } from '../../helpers/ink.js';

afterEach(() => cleanup());

const SERIES = new URL('../../fixtures/monitor-series/', import.meta.url);
const record = parseVmRecord(fs.readFileSync(new URL('vm.json', SERIES), 'utf8'))!;
const instants = [0, 1, 2, 3].map((index) => new HostFs(new URL(`t${index}`, SERIES).pathname, { record: false }));

test('a recorded real VM: both busy vCPUs on their pinned CPUs, no drift, the emulator and the host strip', async () => {
  assert.ok(record, 'the recorded vm.json reads');
  const clock = new FakeClock(record.startedAtMs + 30_000);
  let next = 0;
  const control = idleMonitorControl();
  const services: MonitorServices = {
    clock,
    control,
    cleanUpExited: () => null,
    startSampler: (vm, onSnapshot) => {
      // The real sampler, each tick reading the next recorded instant.
      const sampler = new Sampler({ procFs: instants[0]!, record: vm, clock, onSnapshot, read: (_procFs, rec, atMs) => readVmSample(instants[Math.min(next++, instants.length - 1)]!, rec, atMs) });
      sampler.start();
      return () => sampler.stop();
    },
  };
  const app = render(<MonitorScreen record={record} services={services} color={false} />);
  const frame = () => plain(app.lastFrame());
  for (let tick = 1; tick < instants.length; tick++) {
    await clock.advance(1000);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  await waitFor(() => next >= instants.length, 'every recorded instant read');
  const text = frame();
  const vcpus = record.threads.filter((thread) => thread.role === 'vcpu');
  assert.equal(vcpus.length, 2);
  for (const vcpu of vcpus) {
    const row = text.split('\n').find((line) => line.startsWith(`vCPU ${vcpu.index} `));
    assert.ok(row, `a row for vCPU ${vcpu.index}:\n${text}`);
    const [, tid, cpu, , on] = /^vCPU \d+ +(\d+) +([\d.]+) +(\S*) +(\d+) /.exec(row!) ?? [];
    assert.equal(Number(tid), vcpu.tid, row);
    // A busy loop on a TCG vCPU thread, sharing 2 host CPUs with QEMU and the runner: well busy.
    assert.ok(Number(cpu) > 30, `vCPU ${vcpu.index} busy: ${row}`);
    assert.equal(Number(on), vcpu.plannedAffinity[0], `ran on its pinned CPU: ${row}`);
    assert.ok(row!.trimEnd().endsWith(` ${vcpu.plannedAffinity.join(',')}`), `pinned set shown: ${row}`);
  }
  assert.doesNotMatch(text, /DRIFT/);
  assert.match(text, /^emulator /m);
  assert.match(text, /host CPUs 0\*? +\d+% 1\* +\d+%/);
  assert.match(text, /recorded {2}\[RUNNING\] {2}tcg/);
});
