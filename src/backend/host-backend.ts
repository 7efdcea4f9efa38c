/**
 * The backend seam: where plan, generate, topology and launch get the host they plan for.
 * - direct (the default): this machine (or a `--root` capture) read through HostFs, with the
 *   CPUs of VMs kvm-tui launched here held, this QEMU's version and CPU models;
 * - libvirt (`--connect URI`, or LIBVIRT_DEFAULT_URI): the host behind that connection, read
 *   through virsh (capabilities, freecell, freepages, version), with the CPUs its running
 *   domains are pinned to held.
 * The commands use one interface and never ask which it is, except to launch and to stop.
 */
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import type { CpuModelFacts } from '../host/cpu-models.js';
import { readCpuInfo, type CpuInfo } from '../host/cpuinfo.js';
import { readHostDevices, type HostDevices } from '../host/devices.js';
import type { Topology } from '../host/topology.js';
import { parseQemuVersion, type OutputTarget } from '../generate/vm-facts.js';
import type { VmSpec } from '../spec/types.js';
import { cpuModelFacts } from '../commands/cpu-models.js';
import { readCommandTopology } from '../commands/host-topology.js';
import { floatingNote, heldOnThisHost } from '../commands/live.js';
import { givenVersion, outputTarget } from '../commands/qemu-target.js';
import type { LibvirtBackend, LibvirtHostFacts } from './libvirt-backend.js';

export interface HostBackend {
  kind: 'direct' | 'libvirt';
  /** "this host", the --root folder, or the libvirt URI: for messages. */
  where: string;
  devices(): HostDevices;
  topology(): Topology;
  cpuInfo(): CpuInfo;
  /** CPUs held by other VMs (kvm-tui's own here, or the libvirt host's running domains). */
  taken(name?: string): Promise<Map<number, string>>;
  /** Notes for the user about what this host's facts leave out. */
  notes(): string[];
  target(command: string): Promise<OutputTarget>;
  cpuModels(spec: VmSpec): Promise<CpuModelFacts | undefined>;
  /** The libvirt connection (null for direct). */
  libvirt: LibvirtBackend | null;
  /** The QEMU binary the host's libvirt runs (capabilities' <emulator>), for the XML; null: the default. */
  emulator: string | null;
}

/** Per virsh call for commands (a connection that hangs is cut after it). */
export const CONNECT_TIMEOUT_MS = 30_000;

export async function openHostBackend(ctx: CommandContext, command: string): Promise<HostBackend> {
  if (ctx.connectUri === null) return directBackend(ctx);
  if (ctx.capturedRoot) throw new UsageError(`${command}: --root and --connect name two different hosts; give one`);
  const { LibvirtBackend } = await import('./libvirt-backend.js');
  const backend = new LibvirtBackend({ uri: ctx.connectUri, run: ctx.run, env: ctx.env, clock: ctx.clock, timeoutMs: CONNECT_TIMEOUT_MS });
  const facts = await backend.hostFacts();
  return libvirtHost(ctx, backend, facts);
}

function directBackend(ctx: CommandContext): HostBackend {
  let devices: HostDevices | null = null;
  let topology: Topology | null = null;
  let cpuInfo: CpuInfo | null = null;
  let notes: string[] = [];
  return {
    kind: 'direct',
    where: ctx.capturedRoot ? ctx.hostFs.root : 'this host',
    devices: () => (devices ??= readHostDevices(ctx.hostFs, ctx.capturedRoot)),
    topology: () => (topology ??= readCommandTopology(ctx.hostFs)),
    cpuInfo: () => (cpuInfo ??= readCpuInfo(ctx.hostFs)),
    taken: async (name) => {
      const found = heldOnThisHost(ctx, (topology ??= readCommandTopology(ctx.hostFs)).online, name);
      notes = floatingNote(found.floating);
      return found.held;
    },
    notes: () => notes,
    target: (command) => outputTarget(ctx, command),
    cpuModels: (spec) => cpuModelFacts(ctx, spec),
    libvirt: null,
    emulator: null,
  };
}

function libvirtHost(ctx: CommandContext, backend: LibvirtBackend, facts: LibvirtHostFacts): HostBackend {
  const floatingNotes: string[] = [];
  const modelNotes: string[] = [];
  return {
    kind: 'libvirt',
    where: backend.uri,
    devices: () => facts.devices,
    topology: () => facts.topology,
    cpuInfo: () => facts.cpuInfo,
    taken: async (name) => {
      const held = await backend.held(facts.topology.online, name);
      floatingNotes.length = 0;
      if (held.floating.length > 0) floatingNotes.push(`running domains with unpinned vCPUs (they may run on any CPU, this plan's included): ${held.floating.map((n) => JSON.stringify(n)).join(', ')}`);
      return held.held;
    },
    notes: () => [...floatingNotes, `host facts from libvirt at ${backend.uri} (QEMU ${facts.versions.qemu ?? 'unknown'}, libvirt ${facts.versions.daemon ?? facts.versions.libvirt ?? 'unknown'})`, ...modelNotes],
    target: async (command) => {
      // The libvirt that reads the XML is the daemon's (virsh version: "Running against daemon").
      const daemon = facts.versions.daemon ?? facts.versions.libvirt;
      return {
        qemu: givenVersion(ctx, command, 'qemu-version') ?? (facts.versions.qemu ? parseQemuVersion(facts.versions.qemu) : null),
        libvirt: givenVersion(ctx, command, 'libvirt-version') ?? (daemon ? parseQemuVersion(daemon) : null),
      };
    },
    cpuModels: async (spec) => {
      // Asked only for a named model (host and max need no answer), as the direct probe is.
      if (spec.cpu.model === 'host' || spec.cpu.model === 'max') return undefined;
      const answer = await backend.cpuModels(spec.accel);
      if ('facts' in answer) return answer.facts;
      modelNotes.push(`CPU model ${JSON.stringify(spec.cpu.model)} not checked: libvirt's domcapabilities did not answer (${answer.error})`);
      return undefined;
    },
    libvirt: backend,
    emulator: facts.emulator,
  };
}
