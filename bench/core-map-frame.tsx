/**
 * Benchmark: one frame of the core map (components/widgets/CoreMap.tsx) on the synthetic
 * 512-thread, 8-node host (test/make-synthetic-host.ts), with a 128-vCPU plan's marks on it, as
 * the Plan step draws it. A frame is the whole path to the terminal's text: the lines built from
 * the topology, React's render, Ink's yoga layout and its output string. Two measures:
 *   - redraw: a mounted map (Ink's render on a stand-in terminal, debug mode so every commit is
 *     written at once) redrawn with the editor's cursor moved, as a key press redraws it;
 *   - mount: Ink's renderToString of a fresh tree (creating every node too: an upper bound).
 * Prints JSON: median, p95 and worst over RUNS frames after a warm-up, at 80x24 and 200x50.
 * Target: a redraw <= 16 ms (one frame at 60 Hz); not a test.
 *
 *   node --import tsx bench/core-map-frame.tsx [RUNS]
 *
 * React and Ink run as they ship (NODE_ENV=production, as scripts/build.mjs defines it): React's
 * development build is several times slower. The file re-runs itself with it when it is not set.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import React from 'react';
import { EventEmitter } from 'node:events';
import { render, renderToString } from 'ink';
import { CoreMap } from '../components/widgets/CoreMap.js';
import { buildCoreMapLines } from '../components/present/core-map-lines.js';
import { planMarks } from '../components/present/plan-marks.js';
import { specRequestFromArgs } from '../src/cli-args.js';
import { readCpuInfo } from '../src/host/cpuinfo.js';
import { HostFs } from '../src/host/host-fs.js';
import { readTopology } from '../src/host/topology.js';
import { planVm } from '../src/plan/plan-vm.js';
import { resolveSpec } from '../src/spec/resolve.js';
import { writeSyntheticHost } from '../test/make-synthetic-host.js';

if (process.env.NODE_ENV !== 'production') {
  // React picks its build when first imported, which ESM does before this line runs.
  const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  process.exit(again.status ?? 1);
}

const RUNS = Number(process.argv[2] ?? 200);

function summary(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 100) / 100;
  return { medianMs: at(0.5), p95Ms: at(0.95), worstMs: at(1), runs: times.length };
}

function time(run: () => unknown): number[] {
  for (let warm = 0; warm < 20; warm++) run();
  const times: number[] = [];
  for (let index = 0; index < RUNS; index++) {
    const started = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times;
}

/** Just enough of a terminal for Ink: a size, and writes kept as the last frame. */
class StandInStdout extends EventEmitter {
  lastFrame = '';
  constructor(readonly columns: number, readonly rows: number) {
    super();
  }
  write = (frame: string) => {
    this.lastFrame = frame;
    return true;
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-bench-map-'));
try {
  const root = path.join(dir, 'host');
  writeSyntheticHost(root);
  const hostFs = new HostFs(root);
  const topology = readTopology(hostFs);
  const cpuInfo = readCpuInfo(hostFs);
  const spec = resolveSpec(specRequestFromArgs({ command: 'plan', positionals: [], values: { preset: 'balanced', vcpus: '128' } }), { userDir: path.join(dir, 'none') });
  const plan = planVm({ topology, cpuInfo, spec });
  const marks = planMarks(plan);
  const result: Record<string, unknown> = { threads: topology.cpus.length, nodes: topology.nodes.length, vcpusMarked: plan.vcpus.length };
  for (const [columns, rows] of [
    [80, 24],
    [200, 50],
  ] as const) {
    const key = `${columns}x${rows}`;
    result[`lines ${key}`] = summary(time(() => buildCoreMapLines(topology, columns, marks, null)));
    const stdout = new StandInStdout(columns, rows);
    const cpus = plan.vcpus.map((vcpu) => vcpu.hostCpu).filter((cpu): cpu is number => typeof cpu === 'number');
    const frame = (cursor: number) => <CoreMap topology={topology} width={columns} height={rows} marks={marks} active={false} cursor={cursor} />;
    const instance = render(frame(cpus[0]!), { stdout: stdout as unknown as NodeJS.WriteStream, debug: true, patchConsole: false, exitOnCtrlC: false });
    let step = 0;
    result[`redraw ${key}`] = summary(time(() => instance.rerender(frame(cpus[++step % cpus.length]!))));
    if (!stdout.lastFrame.includes('>')) throw new Error('the redrawn map shows no cursor');
    instance.unmount();
    result[`mount ${key}`] = summary(time(() => renderToString(<CoreMap topology={topology} width={columns} height={rows} marks={marks} active={false} />, { columns })));
  }
  result.lineCount = buildCoreMapLines(topology, 80, marks, null).length;
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
