/**
 * The preset x captured-host matrix the libvirt XML goldens and the offline validation share:
 * every builtin preset, resolved the way `kvm-tui generate --preset NAME --disk ... --disk ...`
 * resolves it, planned on the same three captured hosts as the QEMU argv goldens (so a reviewer
 * can read the argv and the XML of one case side by side).
 */
import { specRequestFromArgs, type ParsedArgs } from '../../src/cli-args.js';
import { readCpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology } from '../../src/host/topology.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { listPresets } from '../../src/spec/presets.js';
import { resolveSpec } from '../../src/spec/resolve.js';
import type { Plan } from '../../src/spec/types.js';
import { fixtureRoot } from './fixture-root.js';

/** Intel 4 sockets with SMT and offline CPUs; AMD with 8 NUMA nodes and L3 groups; Intel with dies and 2 nodes. */
export const XML_GOLDEN_TOPOLOGIES = ['hwloc-16em64t-4s2c2t-offlines', 'hwloc-64amd64-4s2n4ca2co', 'hwloc-fakecpuid1f-64intel64-2p4d2n2c2t'];

/** Two disks, so each golden shows a qcow2 and a raw disk with the preset's disk defaults. */
export const GOLDEN_DISKS = ['/var/lib/kvm-tui/images/system.qcow2', '/var/lib/kvm-tui/images/data.raw'];

/** An empty user preset dir: the matrix covers the builtin presets only, whatever $HOME holds. */
export const BUILTIN_ONLY = { userDir: '/nonexistent/kvm-tui-presets' };

export interface PresetCase {
  preset: string;
  topology: string;
  /** Golden file name: <preset>__<topology>.xml */
  file: string;
  plan: Plan;
}

export function builtinPresetNames(): string[] {
  return listPresets(BUILTIN_ONLY).map((preset) => preset.name);
}

/** Plans one preset on one captured host (throws only for a broken preset or capture). */
export function planPresetOn(preset: string, topology: string): Plan {
  const args: ParsedArgs = { command: 'generate', positionals: [], values: { preset, disk: GOLDEN_DISKS } };
  const spec = resolveSpec(specRequestFromArgs(args), BUILTIN_ONLY);
  const hostFs = new HostFs(fixtureRoot(topology));
  return planVm({ topology: readTopology(hostFs), cpuInfo: readCpuInfo(hostFs), spec });
}

/** Every preset x golden topology, planned. */
export function presetCases(): PresetCase[] {
  return XML_GOLDEN_TOPOLOGIES.flatMap((topology) =>
    builtinPresetNames().map((preset) => ({ preset, topology, file: `${preset}__${topology}.xml`, plan: planPresetOn(preset, topology) })),
  );
}
