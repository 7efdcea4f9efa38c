/**
 * The fleet pane's keys with ink-testing-library, over a fake virsh on a fake clock: j/k walk
 * the domains of every answering host (the chosen one marked `>`), p pauses and resumes, s sends
 * the ACPI button, F forces off only after y, r re-pins a kvm-tui domain to its recorded plan
 * (live, then read back) and refuses one kvm-tui did not define; c reconnects; q leaves 0.
 * Also the pure lines: a long fleet scrolls to keep the chosen domain in view.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { FleetScreen } from '../../../components/screens/FleetScreen.js';
import { buildFleetLines } from '../../../components/present/fleet-lines.js';
import { Fleet, FLEET_INTERVAL_MS, type FleetHostState } from '../../../src/monitor/fleet.js';
import type { CommandResult, RunCommand } from '../../../src/run/run-command.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { failed, ok } from '../../helpers/fake-runner.js';
import { plain, press, waitFor as waitUntil } from '../../helpers/ink.js';

afterEach(() => cleanup());

/** One host with two domains: "web" defined by kvm-tui (vCPU 0 planned on 1, drifted to 0-1), "db" not. */
function fakeHost() {
  const calls: string[][] = [];
  const state: Record<string, string> = { web: 'running', db: 'running' };
  let webPin = '0-1';
  const run: RunCommand = async (argv) => {
    const at = argv.indexOf('--connect');
    const words = argv.slice(at + 2);
    const [command] = words;
    const domain = (words.find((word) => word.startsWith('--domain=')) ?? '').slice('--domain='.length) || words[1] || '';
    if (command !== 'domstats' && command !== 'list') calls.push(words);
    const reply = (): CommandResult => {
      switch (command) {
        case 'domstats':
          return ok(Object.keys(state).map((name) => `Domain: '${name}'\n  state.state=${state[name] === 'paused' ? 3 : 1}\n  cpu.time=1000\n  vcpu.current=1\n  vcpu.0.time=1000\n  vcpu.0.delay=0\n`).join('\n'));
        case 'list':
          return ok(Object.keys(state).map((name) => `${name}\n`).join(''));
        case 'domstate':
          return ok(`${state[domain] ?? 'shut off'}\n`);
        case 'vcpupin':
          if (words.includes('--cpulist')) {
            webPin = words[words.indexOf('--cpulist') + 1]!;
            return ok('');
          }
          return ok(` VCPU   CPU Affinity\n----------------------\n 0      ${domain === 'web' ? webPin : '2'}\n`);
        case 'emulatorpin':
          return ok('emulator: CPU Affinity\n----------------------------------\n       *: 0\n');
        case 'iothreadinfo':
          return ok('');
        case 'metadata':
          return domain === 'web' ? ok("<plan vcpus='1' emulator='0' iothreads=''/>\n") : failed('error: metadata not found');
        case 'suspend':
          state[domain] = 'paused';
          return ok('');
        case 'resume':
          state[domain] = 'running';
          return ok('');
        case 'shutdown':
          return ok('');
        case 'destroy':
          state[domain] = 'shut off';
          return ok('');
        default:
          return failed(`unexpected ${command}`);
      }
    };
    return reply();
  };
  return { run, calls, state };
}

describe('the fleet pane', () => {
  test('keys act on the chosen domain, through virsh, and the pane shows the result', async () => {
    const clock = new FakeClock();
    const host = fakeHost();
    const fleet = new Fleet({ uris: ['test:///h1'], run: host.run, env: {}, clock });
    let code: number | null = null;
    const view = render(<FleetScreen fleet={fleet} color={false} onExit={(status) => (code = status)} />);
    const frame = () => plain(view.lastFrame());
    // On a timeout, the frame the pane showed is in the failure.
    const waitFor = async (predicate: () => boolean, what: string) => {
      try {
        await waitUntil(predicate, what);
      } catch (error) {
        throw new Error(`${(error as Error).message}; the pane shows:\n${frame()}\ncalls: ${JSON.stringify(host.calls.slice(-6))}`);
      }
    };
    await waitFor(() => /> web/.test(frame()), 'the first domain chosen');
    assert.match(frame(), /DRIFT: vCPU 0 on 0,1, planned 1/);

    // r on web: vcpupin --live to the plan, emulator already right; then read back.
    await press(view.stdin, 'r');
    await waitFor(() => /re-pinned 1 thread to the plan/.test(frame()), 're-pin result');
    assert.ok(host.calls.some((words) => words.join(' ') === 'vcpupin --domain=web --vcpu 0 --cpulist 1 --live'), JSON.stringify(host.calls));
    await waitFor(() => !/DRIFT/.test(frame()), 'the drift gone after the re-read');

    // j: db; r is refused there (no plan), nothing is pinned.
    await press(view.stdin, 'j');
    await waitFor(() => /> db/.test(frame()), 'db chosen');
    const before = host.calls.length;
    await press(view.stdin, 'r');
    await waitFor(() => /db was not defined by kvm-tui/.test(frame()), 'refusal');
    assert.equal(host.calls.length, before);

    // p pauses db, p again resumes it.
    await press(view.stdin, 'p');
    await waitFor(() => /db: paused/.test(frame()), 'paused');
    assert.ok(host.calls.some((words) => words.join(' ') === 'suspend --domain=db'));
    await waitFor(() => /> db\s+paused/.test(frame()), 'the row says paused');
    await press(view.stdin, 'p');
    await waitFor(() => /db: resumed/.test(frame()), 'resumed');

    // s: the ACPI button; F then n: nothing; F then y: destroy.
    await press(view.stdin, 's');
    await waitFor(() => /db: ACPI power button sent/.test(frame()), 'acpi');
    assert.ok(host.calls.some((words) => words.join(' ') === 'shutdown --domain=db --mode acpi'));
    await press(view.stdin, 'F');
    await waitFor(() => /force db off now/.test(frame()), 'the question');
    await press(view.stdin, 'n');
    await waitFor(() => /force off cancelled/.test(frame()), 'cancelled');
    assert.ok(!host.calls.some((words) => words[0] === 'destroy'));
    await press(view.stdin, 'F', 'y');
    await waitFor(() => /db: forced off/.test(frame()), 'forced');
    assert.ok(host.calls.some((words) => words.join(' ') === 'destroy --domain=db'));

    // k back to web; Enter opens it: a row per vCPU with its CPUs and its plan, the helpers.
    await press(view.stdin, 'k');
    await waitFor(() => /> web/.test(frame()), 'web chosen again');
    await press(view.stdin, '\r');
    await waitFor(() => /^\s+vCPU\s+on\s+planned\s+cpu%\s+steal\s+wait/m.test(frame()), 'the vCPU table');
    assert.match(frame(), /^\s+0\s+1\s+1\s/m);
    assert.match(frame(), /emulator on 0 \(planned 0\)/);
    await press(view.stdin, '\r');
    await waitFor(() => !/emulator on 0/.test(frame()), 'closed again');
    // ? opens the help; q leaves with 0 and stops the model's timers.
    await press(view.stdin, '?');
    await waitFor(() => /re-pin it to the plan kvm-tui recorded/.test(frame()), 'help');
    await press(view.stdin, 'x', 'q');
    await waitFor(() => code !== null, 'exit');
    assert.equal(code, 0);
    assert.equal(clock.pending, 0);
  });

  test('a domain that leaves the list is never swapped for another: F then y on it forces nothing; keys say it is gone', async () => {
    const clock = new FakeClock();
    const host = fakeHost();
    const fleet = new Fleet({ uris: ['test:///h1'], run: host.run, env: {}, clock });
    const view = render(<FleetScreen fleet={fleet} color={false} />);
    const frame = () => plain(view.lastFrame());
    await waitUntil(() => /> web/.test(frame()), 'the first domain chosen');
    await press(view.stdin, 'j');
    await waitUntil(() => /> db/.test(frame()), 'db chosen');
    await press(view.stdin, 'F');
    await waitUntil(() => /force db off now/.test(frame()), 'the question about db');
    // db is undefined elsewhere while the question is open; the next reading drops it.
    delete host.state.db;
    await clock.advance(FLEET_INTERVAL_MS);
    await waitUntil(() => !/\bdb\b.*running/.test(frame()), 'db gone from the list');
    await press(view.stdin, 'y');
    await waitUntil(() => /db is no longer listed on test:\/\/\/h1: nothing forced off/.test(frame()), 'nothing forced');
    assert.ok(!host.calls.some((words) => words[0] === 'destroy'), JSON.stringify(host.calls));
    // Other keys on the vanished choice: said, and no action on web.
    await press(view.stdin, 's');
    await waitUntil(() => /db is no longer listed on test:\/\/\/h1: j\/k choose another/.test(frame()), 'gone');
    assert.ok(!host.calls.some((words) => words[0] === 'shutdown'));
    fleet.stop();
  });

  test('a fleet taller than the terminal scrolls to keep the chosen domain in view', () => {
    const domains = Array.from({ length: 40 }, (_, index) => ({
      info: { name: `vm${index}`, state: 'running', vcpuPins: new Map([[0, [index % 2]]]), emulatorPins: [0], iothreadPins: new Map(), plan: null },
      rates: null,
      drift: [],
    }));
    const hosts: FleetHostState[] = [{ uri: 'test:///big', status: 'ok', domains, error: null, updatedAtMs: 0, retryAtMs: null, failures: 0 }];
    const lines = buildFleetLines({ hosts, width: 80, height: 24, nowMs: 0, help: false, message: null, selected: { uri: 'test:///big', name: 'vm20' } }).map((line) => line.text);
    assert.equal(lines.length, 24);
    assert.ok(lines.some((line) => line.startsWith('> vm20 ')), lines.join('\n'));
    assert.match(lines.at(-2)!, /above, \d+ below/);
    assert.ok(lines.every((line) => line.length <= 80));
  });
});
