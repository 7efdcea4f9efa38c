/**
 * Golden QEMU command lines: every builtin preset planned on representative captured hosts, one
 * option per line (quoted exactly as the shell preview quotes it). UPDATE_GOLDEN=1 rewrites
 * them; review the diff. A golden with no preset/host behind it any more is an error too.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectGolden, staleGoldens } from '../helpers/golden.js';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { specRequestFromArgs, type ParsedArgs } from '../../src/cli-args.js';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import { formatArgLines } from '../../src/shared/shell-quote.js';
import { readCpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology } from '../../src/host/topology.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { vmRunDir, vmStateDir } from '../../src/shared/vm-paths.js';
import { listPresets } from '../../src/spec/presets.js';
import { resolveSpec } from '../../src/spec/resolve.js';
import { fixtureRoot } from '../helpers/fixture-root.js';

const GOLDEN_DIR = fileURLToPath(new URL('./golden/qemu/', import.meta.url));

/**
 * Intel 2 sockets x 8 cores x SMT2 (with 1G pages); AMD with 8 NUMA nodes and L3 groups (topoext);
 * Intel with 4 dies per package and no pdpe1gb flag.
 */
export const GOLDEN_TOPOLOGIES = [
  'hwloc-32intel64-2p8co2t+8ve',
  'hwloc-64amd64-4s2n4ca2co',
  'hwloc-fakecpuid1f-64intel64-2p4d2n2c2t',
];
/** Plans the planner must refuse on a host (so there is no command line to keep): their error codes. */
const EXPECTED_REFUSALS: Record<string, string[]> = {
  // 1G pages need the pdpe1gb CPU flag; this capture's CPU lacks it.
  'low-latency__hwloc-fakecpuid1f-64intel64-2p4d2n2c2t': ['no-pdpe1gb'],
};
/** Two disks, so the goldens show a qcow2 and a raw disk, each with its iothread. */
const DISKS = ['/var/lib/kvm-tui/images/system.qcow2', '/var/lib/kvm-tui/images/data.raw'];
// An empty user preset dir: the goldens cover the builtin presets only, whatever $HOME holds.
const PRESET_OPTS = { userDir: '/nonexistent/kvm-tui-presets' };

function argsFor(preset: string): ParsedArgs {
  return { command: 'generate', positionals: [], values: { preset, disk: DISKS } };
}

const expected = new Set<string>();

describe('QEMU argv goldens (preset x captured host)', () => {
  const presets = listPresets(PRESET_OPTS);
  assert.ok(presets.length >= 7, 'the builtin presets are all there');
  for (const topologyName of GOLDEN_TOPOLOGIES) {
    for (const preset of presets) {
      const key = `${preset.name}__${topologyName}`;
      const file = `${key}.args`;
      const refusal = EXPECTED_REFUSALS[key];
      if (!refusal) expected.add(file);
      it(refusal ? `${key} is refused: ${refusal.join(', ')}` : file, () => {
        const hostFs = new HostFs(fixtureRoot(topologyName));
        const spec = resolveSpec(specRequestFromArgs(argsFor(preset.name)), PRESET_OPTS);
        const plan = planVm({ topology: readTopology(hostFs), cpuInfo: readCpuInfo(hostFs), spec });
        if (refusal) {
          assert.deepEqual(plan.errors.map((error) => error.code), refusal);
          assert.throws(() => buildQemuArgs(plan, { runDir: '/run/x' }), /pdpe1gb/);
          return;
        }
        assert.deepEqual(plan.errors, [], 'a golden is only worth having for a plan that succeeds');
        const argv = buildQemuArgs(plan, { runDir: vmRunDir(plan.spec.name, { uid: 0 }), stateDir: vmStateDir(plan.spec.name, { uid: 0 }) });
        const text = formatArgLines(argv).join('\n') + '\n';
        expectGolden(path.join(GOLDEN_DIR, file), text);
      });
    }
  }

  it('has no stale goldens', () => {
    assert.deepEqual(staleGoldens(GOLDEN_DIR, '.args', expected), [], 'goldens for presets or hosts no longer tested');
  });
});
