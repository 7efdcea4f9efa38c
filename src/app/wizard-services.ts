/**
 * What the interactive app may do to the world, built once from the CommandContext by the
 * composition side and handed to the screens' hooks. Components never import node:fs, a process
 * runner or a host reader: they call these.
 */
import * as fs from 'node:fs';
import { cpuModelFacts } from '../commands/cpu-models.js';
import { outputTarget, qemuTarget } from '../commands/qemu-target.js';
import type { OutputTarget } from '../generate/vm-facts.js';
import { heldOnThisHost, launchServices } from '../commands/live.js';
import { readHostDevices, type HostDevices } from '../host/devices.js';
import type { VmRecord } from '../registry/vm-record.js';
import { writeFileAtomic, WriteTargetError } from '../run/atomic-write.js';
import { launchVm } from '../run/launch.js';
import type { VmSpec } from '../spec/types.js';
import { buildMonitorServices, type MonitorServices } from './monitor-services.js';
import { buildHostOffer, type HostOffer, type SystemInfo } from './host-offer.js';
import * as path from 'node:path';
import { makeApplyFix, type ApplyFix } from '../audit/apply-fix.js';
import { writeFixScript } from '../audit/fix-script.js';
import { buildProbeContext } from '../audit/probe-context.js';
import type { ProbeContext } from '../audit/types.js';
import type { CommandContext } from '../context.js';
import { ActionError } from '../errors.js';
import { readCpuInfo, type CpuInfo } from '../host/cpuinfo.js';
import { HostFs } from '../host/host-fs.js';
import { readTopology, TopologyError, type Topology } from '../host/topology.js';
import { vmRunDir, vmStateDir } from '../shared/vm-paths.js';
import { listPresets } from '../spec/presets.js';
import type { Preset } from '../spec/types.js';

export interface HostFacts {
  topology: Topology;
  cpuInfo: CpuInfo;
  /** CPUs other VMs hold (kvm-tui's own, other QEMUs with pinned threads): cpu -> who. */
  taken: ReadonlyMap<number, string>;
  /** /dev/kvm and /dev/vhost-net as they open: what accel and vhost "auto" resolve by. */
  devices: HostDevices;
}

/** Writes a fix script; throws FixScriptExists when the file is there and overwrite is false. */
export type WriteScript = (file: string, content: string, options: { overwrite: boolean }) => string;

export interface WizardServices {
  capturedRoot: boolean;
  /** Reads topology and CPU facts afresh (after a fix reserved huge pages, say). */
  readHost(): HostFacts;
  /** A fresh probe context per audit run: a re-check must see new values, not cached errors. */
  /**
   * The audit's host facts; `known`: the topology and cpuinfo just read by readHost, not read
   * again (an unreadable cpuinfo is read again, so that the checks can say why it is unreadable).
   */
  makeProbeContext(known?: Pick<HostFacts, 'topology' | 'cpuInfo'>): ProbeContext;
  /** Runs a fix's runtime steps; null on a captured host (`applyDisabledReason` says why). */
  applyFix: ApplyFix | null;
  applyDisabledReason: string | null;
  writeScript: WriteScript;
  /** kvm-tui-fixes.sh -> kvm-tui-fixes-2.sh: the first name not taken. */
  nextFreeName(file: string): string;
  presets: Preset[];
  runDirFor(vmName: string): string;
  /** Where the VM's persistent files (UEFI variables, TPM state) live: in the argv the Preview shows. */
  stateDirFor(vmName: string): string;
  /**
   * The QEMU and libvirt the Preview writes for: this host's (`launch` runs this QEMU, so the
   * Preview shows the argv it will run), unknown for a captured host.
   */
  outputTarget(): Promise<OutputTarget>;
  now(): Date;
  /**
   * Plans the spec against the host as it is now (running VMs' CPUs taken, devices as they
   * open) and launches it: paused, pinned, verified, resumed. Resolves with the registry record;
   * rejects with the step and QEMU's words. Null on a captured host (`launchDisabledReason`).
   */
  launch: ((spec: VmSpec, onStep: (text: string) => void) => Promise<VmRecord>) | null;
  launchDisabledReason: string | null;
  /** The live pane's services for a running VM. */
  monitorServices(record: VmRecord): MonitorServices;
  /**
   * Writes a spec file (atomically; never over anything but a regular file, and over an
   * existing one only with `overwrite`): the absolute path written, or `exists` for the caller
   * to ask about. Other failures throw an ActionError saying why.
   */
  saveSpec(file: string, text: string, options: { overwrite: boolean }): { written: string } | { exists: string };
  /** What the VM step offers from the host: interfaces and bridges, a disk's free space, memory. */
  hostOffer: HostOffer;
}

/** The real services for the wizard on ctx's host. Throws an ActionError when the host has no readable CPU topology. */
export function buildWizardServices(ctx: CommandContext): WizardServices {
  const readHost = (): HostFacts => {
    // A fresh HostFs each time: its error cache must not outlive a fix.
    const hostFs = new HostFs(ctx.hostFs.root);
    try {
      const topology = readTopology(hostFs);
      return { topology, cpuInfo: readCpuInfo(hostFs), taken: heldOnThisHost(ctx, topology.online).held, devices: readHostDevices(hostFs, ctx.capturedRoot) };
    } catch (error) {
      if (error instanceof TopologyError) {
        throw new ActionError(`cannot read the host's CPU topology: ${error.message}`, ctx.capturedRoot ? 'is --root a capture made by kvm-tui dump-host?' : 'is /sys mounted?');
      }
      throw error;
    }
  };
  return {
    capturedRoot: ctx.capturedRoot,
    readHost,
    makeProbeContext: (known) =>
      buildProbeContext({ hostFs: new HostFs(ctx.hostFs.root), capturedRoot: ctx.capturedRoot, env: ctx.env, home: ctx.home, clock: ctx.clock, run: ctx.run, user: ctx.identity, ...(known && known.cpuInfo.readable ? { known: { topology: known.topology, cpuInfo: known.cpuInfo } } : {}) }),
    applyFix: ctx.capturedRoot ? null : makeApplyFix(ctx.run),
    applyDisabledReason: ctx.capturedRoot ? 'captured host (--root): fixes cannot be applied to it; w writes them to a script' : null,
    writeScript: (file, content, options) => writeFixScript(file, content, options),
    nextFreeName: (file) => nextFreeName(file, ctx.identity.pid),
    presets: listPresets({ env: ctx.env, home: ctx.home }),
    runDirFor: (vmName) => vmRunDir(vmName, { env: ctx.env, uid: ctx.identity.uid }),
    stateDirFor: (vmName) => vmStateDir(vmName, { env: ctx.env, uid: ctx.identity.uid }),
    outputTarget: () => outputTarget(ctx, 'kvm-tui'),
    now: () => new Date(ctx.clock.now()),
    launch: ctx.capturedRoot
      ? null
      : async (spec, onStep) => {
          // The same facts `kvm-tui launch` plans with: this host's QEMU version and its CPU models
          // (a note goes to the launch step's lines, not to stderr under the drawn screen). Loaded
          // here: the generators it carries are not part of the wizard's first frame.
          const { prepareLaunch } = await import('../commands/launch.js');
          const prepared = prepareLaunch(ctx, spec, undefined, await qemuTarget(ctx, 'launch'), await cpuModelFacts({ ...ctx, stderr: (text) => onStep(text.replace(/^kvm-tui: /, '').trim()) }, spec));
          if ('problems' in prepared) throw new ActionError(prepared.problems.join('; '));
          const result = await launchVm({ ...prepared, onStep: (step, text) => onStep(`${step}: ${text}`) }, launchServices(ctx));
          return result.record;
        },
    launchDisabledReason: ctx.capturedRoot ? 'captured host (--root): VMs run on this machine only' : null,
    monitorServices: (record) => buildMonitorServices(ctx, record),
    hostOffer: buildHostOffer({
      // Loaded when the VM step first asks: the wizard's first frame does not wait for it.
      systemInfo: async () => ((await import('systeminformation')) as unknown as { default: SystemInfo }).default,
      hostFs: new HostFs(ctx.hostFs.root, { record: false }),
      capturedRoot: ctx.capturedRoot,
      cwd: ctx.cwd,
    }),
    saveSpec: (file, text, options) => {
      try {
        return { written: writeFileAtomic(file, text, { mode: 0o644, overwrite: options.overwrite, uid: ctx.identity.uid }) };
      } catch (error) {
        if (error instanceof WriteTargetError && error.refusal === 'exists') return { exists: error.target };
        throw error;
      }
    },
  };
}

function nextFreeName(file: string, pid: number): string {
  const ext = path.extname(file);
  const base = file.slice(0, file.length - ext.length);
  for (let n = 2; n < 1000; n++) {
    const candidate = `${base}-${n}${ext}`;
    if (!fs.existsSync(candidate)) return candidate;
  }
  return `${base}-${pid}${ext}`;
}
