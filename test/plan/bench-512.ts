/**
 * Benchmark: planning every preset (and a few large VMs) on the synthetic 512-thread host.
 * Prints the time to read the host and the median and worst time per plan over many runs. Not a
 * test: timings depend on the machine, and performance targets live in benchmarks, not in tests.
 *
 *   npx tsx test/plan/bench-512.ts
 */
import * as fs from 'node:fs';
import { specRequestFromArgs } from '../../src/cli-args.js';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology } from '../../src/host/topology.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { listPresets } from '../../src/spec/presets.js';
import { resolveSpec } from '../../src/spec/resolve.js';
import { writeSyntheticHost } from '../make-synthetic-host.js';
import { x86CpuInfo } from './_topology-builder.js';

const RUNS = 200;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-bench-'));
try {
  const root = path.join(dir, 'host');
  writeSyntheticHost(root);
  const hostFs = new HostFs(root);
  const readStarted = process.hrtime.bigint();
  const topology = readTopology(hostFs);
  const readMs = Number(process.hrtime.bigint() - readStarted) / 1e6;
  const cpuInfo = readCpuInfo(hostFs).readable ? readCpuInfo(hostFs) : x86CpuInfo('amd');
  const userDir = path.join(dir, 'no-presets');
  const cases = [
    ...listPresets({ userDir }).map((preset) => ({ label: preset.name, values: { preset: preset.name } })),
    { label: 'balanced, 128 vCPUs', values: { preset: 'balanced', vcpus: '128' } },
    { label: 'numa-guest, 256 vCPUs', values: { preset: 'numa-guest', vcpus: '256' } },
    { label: 'balanced, 500 vCPUs spread', values: { preset: 'balanced', vcpus: '500', strategy: 'spread' } },
  ];
  process.stdout.write(`512-thread host read in ${readMs.toFixed(1)} ms; ${RUNS} plans each:\n`);
  for (const { label, values } of cases) {
    const spec = resolveSpec(specRequestFromArgs({ command: 'plan', positionals: [], values }), { userDir });
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = process.hrtime.bigint();
      planVm({ topology, cpuInfo, spec });
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(`  ${label.padEnd(28)} median ${times[RUNS >> 1]!.toFixed(2)} ms   worst ${times[RUNS - 1]!.toFixed(2)} ms\n`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
