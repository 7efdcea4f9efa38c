/**
 * The pinning planner: topology + spec + CPUs other VMs hold -> a Plan. Pure: no fs, no clock.
 * Impossible requests come back as plan.errors with typed codes, never as exceptions.
 *
 * How a placement is chosen (compact):
 * - The VM is cut into "units", one per guest core, each `threads` host CPUs. With an automatic
 *   guest topology, threads = the host's SMT width when the vCPU count allows, so a guest core is
 *   a whole host core and the guest scheduler knows which vCPUs share one; else threads = 1 and
 *   each vCPU gets a core of its own while cores last.
 * - Pools are tried in order: isolated CPUs only (when preferred and present), every free CPU but
 *   the housekeeping ones, then every free CPU (a host too small: warned). A CPU another VM holds
 *   is never in a pool.
 * - Within a pool: one NUMA node if any can hold the VM (spec's hostNode first, then a node whose
 *   hugepage pool and memory fit, then the lowest id), else the fewest nearest nodes. Within a
 *   node, L3 groups by best fit: the smallest group that holds the whole VM, else whole groups,
 *   largest first, and the remainder in the group that fits it best. Within a group: cores with no
 *   sibling held by another VM first, then isolated, then faster CPU kinds, then by number.
 * - Only when whole cores run out are the remaining siblings packed as separate guest cores
 *   (warned: smt-hidden), and only after that does the plan span nodes.
 * Spread interleaves nodes and L3 groups, one vCPU per core while cores last. A manual map is
 * checked against the same rules and gets the same warnings.
 */
import { formatCpuList } from '../host/cpulist.js';
import type { CpuInfo } from '../host/cpuinfo.js';
import type { Topology } from '../host/topology.js';
import type { MemoryBacking, Plan, PlanIothread, PlanMessage, PlanVcpu, VmSpec } from '../spec/types.js';
import { formatSizeMiB } from '../spec/size.js';
import type { PlanErrorCode, PlanWarningCode } from './codes.js';
import { buildHostView, coreOf, type HostView } from './host-view.js';

export interface PlanVmInput {
  topology: Topology;
  cpuInfo: CpuInfo;
  spec: VmSpec;
  /** Host CPU -> name of the VM holding it. These are never handed out. */
  taken?: Map<number, string>;
}

/** Page size in KiB per backing, as the sysfs hugepage pools are keyed. */
export const PAGE_KIB: Record<Exclude<MemoryBacking, 'ram'>, string> = {
  'hugepages-2M': '2048',
  'hugepages-1G': '1048576',
};
const PAGE_MIB: Record<Exclude<MemoryBacking, 'ram'>, number> = { 'hugepages-2M': 2, 'hugepages-1G': 1024 };

const INTEL_MODEL_RE = /^(Skylake|Cascadelake|Cooperlake|Icelake|SapphireRapids|GraniteRapids|SierraForest|ClearwaterForest|Broadwell|Haswell|IvyBridge|SandyBridge|Westmere|Nehalem|Penryn|Conroe|Core2Duo|Denverton|Snowridge|KnightsMill)/i;
const AMD_MODEL_RE = /^(EPYC|Opteron|phenom)/i;

interface Messages {
  warnings: PlanMessage[];
  errors: PlanMessage[];
  warn(code: PlanWarningCode, message: string): void;
  fail(code: PlanErrorCode, message: string): void;
}

function makeMessages(): Messages {
  const warnings: PlanMessage[] = [];
  const errors: PlanMessage[] = [];
  return {
    warnings,
    errors,
    warn(code, message) {
      // One message per code and text: the same fact found twice is said once.
      if (!warnings.some((entry) => entry.code === code && entry.message === message)) warnings.push({ code, message });
    },
    fail(code, message) {
      errors.push({ code, message });
    },
  };
}

/** A group of vCPUs that must be placed together: the whole VM, or one guest NUMA node. */
interface VcpuGroup {
  vcpus: number[];
  memMiB: number;
  hostNode: number | null;
}

interface Placement {
  /** Host CPU of each vCPU (index = vCPU). */
  vcpuHost: number[];
  /** Guest threads per core the placement was made for. */
  threads: number;
  /** Host nodes of each group, in group order. */
  groupNodes: number[][];
}

export function planVm(input: PlanVmInput): Plan {
  const { topology, cpuInfo } = input;
  const taken = input.taken ?? new Map<number, string>();
  const spec: VmSpec = structuredClone(input.spec);
  const view = buildHostView(topology);
  const messages = makeMessages();
  const housekeeping = pickHousekeeping(view, taken, spec.pinning.housekeepingPerSocket);

  checkHostFacts(view, cpuInfo, spec, messages);

  const groups: VcpuGroup[] = spec.numa.length > 0
    ? spec.numa.map((node) => ({ vcpus: [...node.vcpus].sort((a, b) => a - b), memMiB: node.memMiB, hostNode: node.hostNode }))
    : [{ vcpus: range(spec.vcpus.count), memMiB: spec.memory.sizeMiB, hostNode: spec.pinning.hostNode }];
  for (const group of groups) {
    if (group.hostNode !== null && !view.cpuNodes.includes(group.hostNode)) {
      const where = spec.numa.length > 0 ? `numa[${groups.indexOf(group)}].hostNode` : 'pinning.hostNode';
      messages.fail('unknown-node', `${where}: host node ${group.hostNode} does not exist or has no online CPUs (nodes with CPUs: ${view.cpuNodes.join(', ')})`);
    }
  }

  for (const cpu of spec.emulator.cpus ?? []) {
    if (!view.byCpu.has(cpu)) messages.fail('unknown-cpu', `emulator.cpus: host CPU ${cpu} does not exist`);
    else if (!view.byCpu.get(cpu)!.online) messages.fail('offline-cpu', `emulator.cpus: host CPU ${cpu} is offline`);
    else if (taken.has(cpu)) messages.fail('cpu-taken', `emulator.cpus: host CPU ${cpu} is held by VM "${taken.get(cpu)}"`);
  }

  let placement: Placement | null = null;
  if (messages.errors.length === 0) {
    if (spec.pinning.map !== null) placement = placeManual(view, spec, groups, taken, housekeeping, messages);
    else if (spec.pinning.strategy !== 'none') placement = placeAuto(view, spec, groups, taken, housekeeping, messages);
    else checkUnpinned(view, spec, taken, messages);
  }

  const host = { vendor: cpuInfo.vendor, housekeeping };
  if (messages.errors.length > 0) {
    return {
      spec,
      vcpus: [],
      emulator: [],
      iothreads: [],
      memory: { hostNodes: [], backing: spec.memory.backing, sizeMiB: spec.memory.sizeMiB, guestNodes: [] },
      host,
      warnings: messages.warnings,
      errors: messages.errors,
    };
  }

  // Guest topology: chosen from the placement when the spec gave only a count.
  if (spec.vcpus.autoTopology) fillGuestTopology(view, spec, groups, placement);

  if (cpuInfo.vendor === 'amd' && spec.vcpus.threads > 1 && !spec.cpu.features.some((feature) => feature.slice(1) === 'topoext')) {
    // AMD CPUs report SMT to the guest through the topoext CPUID leaves; without them a guest
    // with threads=2 sees single-thread cores (and Windows warns about the topology).
    spec.cpu.features.push('+topoext');
  }

  const guestNodeOf = new Map<number, number>();
  spec.numa.forEach((node, index) => node.vcpus.forEach((vcpu) => guestNodeOf.set(vcpu, index)));
  const { sockets, dies, cores, threads } = spec.vcpus;
  const vcpus: PlanVcpu[] = range(spec.vcpus.count).map((vcpu) => ({
    vcpu,
    hostCpu: placement ? placement.vcpuHost[vcpu]! : null,
    socket: Math.floor(vcpu / (threads * cores * dies)) % sockets,
    die: Math.floor(vcpu / (threads * cores)) % dies,
    core: Math.floor(vcpu / threads) % cores,
    thread: vcpu % threads,
    guestNode: spec.numa.length > 0 ? guestNodeOf.get(vcpu)! : null,
  }));

  const hostNodes = placement ? unique(placement.groupNodes.flat()) : [];
  const guestNodes = spec.numa.map((node, id) => ({
    id,
    vcpus: [...node.vcpus],
    memMiB: node.memMiB,
    hostNodes: placement ? placement.groupNodes[id]! : [],
  }));

  let emulator: number[] = [];
  let iothreads: PlanIothread[] = iothreadIds(spec).map((entry) => ({ ...entry, hostCpus: [] }));
  if (placement) {
    const vcpuHosts = placement.vcpuHost;
    const reserved = new Set<number>(vcpuHosts);
    emulator = placeHelper('emulator', spec.emulator.placement, spec.emulator.cpus, view, taken, housekeeping, hostNodes, reserved, vcpuHosts, messages);
    for (const cpu of emulator) if (spec.emulator.placement === 'dedicated') reserved.add(cpu);
    iothreads = iothreads.map((thread) => {
      const cpus = placeHelper(`iothread ${thread.id}`, spec.iothreads.placement, null, view, taken, housekeeping, hostNodes, reserved, vcpuHosts, messages);
      if (spec.iothreads.placement === 'dedicated') for (const cpu of cpus) reserved.add(cpu);
      return { ...thread, hostCpus: cpus };
    });
    checkPlacementRules(view, spec, placement, groups, taken, emulator, iothreads, messages);
  }
  checkMemory(view, spec, groups, placement, messages);

  return {
    spec,
    vcpus,
    emulator,
    iothreads,
    memory: { hostNodes, backing: spec.memory.backing, sizeMiB: spec.memory.sizeMiB, guestNodes },
    host,
    warnings: messages.warnings,
    errors: messages.errors,
  };
}

// ---------------------------------------------------------------------------------------------
// Host facts and housekeeping

function checkHostFacts(view: HostView, cpuInfo: CpuInfo, spec: VmSpec, messages: Messages): void {
  // ARM and POWER /proc/cpuinfo have no vendor_id line; x86 ones always do.
  if (spec.accel === 'kvm' && cpuInfo.readable && cpuInfo.vendorId === null) {
    messages.fail('kvm-arch-mismatch', `accel kvm: this host's CPU is not x86${cpuInfo.modelName ? ` (${cpuInfo.modelName})` : ''}, and KVM only runs guests of the host's architecture; use --accel tcg`);
  }
  if (spec.memory.backing === 'hugepages-1G' && cpuInfo.readable && cpuInfo.vendor !== 'other' && !cpuInfo.flags.has('pdpe1gb')) {
    messages.fail('no-pdpe1gb', 'memory.backing hugepages-1G: the host CPU lacks the pdpe1gb flag, so the kernel cannot make 1G pages; use --hugepages 2M');
  }
  if (spec.accel === 'kvm' && spec.cpu.model !== 'host' && (cpuInfo.vendor === 'intel' || cpuInfo.vendor === 'amd')) {
    const modelVendor = INTEL_MODEL_RE.test(spec.cpu.model) ? 'intel' : AMD_MODEL_RE.test(spec.cpu.model) ? 'amd' : null;
    if (modelVendor !== null && modelVendor !== cpuInfo.vendor) {
      messages.warn('cpu-model-vendor', `cpu.model ${spec.cpu.model} is an ${modelVendor === 'intel' ? 'Intel' : 'AMD'} model on this ${cpuInfo.vendor === 'intel' ? 'Intel' : 'AMD'} host: KVM drops the features the host lacks, so the guest CPU differs from the same model elsewhere`);
    }
  }
  if (view.online.length === 0) messages.fail('no-free-cpus', 'the host has no online CPUs');
}

/**
 * Housekeeping CPUs: per socket, whole cores (all their siblings) until at least `perSocket`
 * threads, lowest-numbered non-isolated cores first. Whole cores, because a vCPU on the sibling
 * of a busy housekeeping thread gets its noise anyway.
 */
export function pickHousekeeping(view: HostView, taken: Map<number, string>, perSocket: number): number[] {
  if (perSocket <= 0) return [];
  const bySocket = new Map<string, number[]>();
  for (const cpu of view.online) {
    const socket = view.byCpu.get(cpu)!.socket;
    const key = socket === null ? `n${view.nodeOf.get(cpu)}` : `s${socket}`;
    if (!bySocket.has(key)) bySocket.set(key, []);
    bySocket.get(key)!.push(cpu);
  }
  const out: number[] = [];
  for (const cpus of bySocket.values()) {
    const cores = uniqueCores(view, cpus).sort((a, b) => {
      const isolatedA = a.some((cpu) => view.byCpu.get(cpu)!.isolated) ? 1 : 0;
      const isolatedB = b.some((cpu) => view.byCpu.get(cpu)!.isolated) ? 1 : 0;
      return isolatedA - isolatedB || a[0]! - b[0]!;
    });
    let count = 0;
    for (const core of cores) {
      if (count >= perSocket) break;
      // Another VM's CPU is not the host's to keep free; its siblings still are.
      const free = core.filter((cpu) => !taken.has(cpu));
      if (free.length === 0) continue;
      out.push(...free);
      count += free.length;
    }
  }
  return out.sort((a, b) => a - b);
}

function uniqueCores(view: HostView, cpus: number[]): number[][] {
  const seen = new Set<string>();
  const out: number[][] = [];
  for (const cpu of cpus) {
    const key = view.coreKeyOf.get(cpu)!;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(coreOf(view, cpu));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Automatic placement

interface Core {
  /** Free CPUs of this core in the pool, ascending. */
  cpus: number[];
  node: number;
  l3: string;
  /** No sibling is held by another VM. */
  clean: boolean;
  isolated: boolean;
  kindRank: number;
  /** Part of the housekeeping set (only in the pool of a host too small to keep it free). */
  housekeeping: boolean;
}

interface ThreadConfig {
  threads: number;
  /** Allow several guest cores on one host core (and guest cores across host cores). */
  packing: boolean;
}

function placeAuto(
  view: HostView,
  spec: VmSpec,
  groups: VcpuGroup[],
  taken: Map<number, string>,
  housekeeping: number[],
  messages: Messages,
): Placement | null {
  const count = spec.vcpus.count;
  const free = view.online.filter((cpu) => !taken.has(cpu));
  if (free.length === 0) {
    messages.fail('no-free-cpus', `all ${view.online.length} online host CPUs are held by other VMs`);
    return null;
  }
  const housekeepingSet = new Set(housekeeping);
  const isolatedFree = free.filter((cpu) => view.byCpu.get(cpu)!.isolated && !housekeepingSet.has(cpu));
  const pools: Array<{ cpus: number[]; usesHousekeeping: boolean; isolatedOnly: boolean }> = [];
  if (spec.pinning.preferIsolated && isolatedFree.length > 0) pools.push({ cpus: isolatedFree, usesHousekeeping: false, isolatedOnly: true });
  pools.push({ cpus: free.filter((cpu) => !housekeepingSet.has(cpu)), usesHousekeeping: false, isolatedOnly: false });
  if (housekeeping.length > 0) pools.push({ cpus: free, usesHousekeeping: true, isolatedOnly: false });

  const configs = threadConfigs(view, spec, groups);
  for (const pool of pools) {
    if (pool.cpus.length < count) continue;
    const result = placeInPool({ view, spec, taken, housekeeping: housekeepingSet }, groups, pool.cpus, configs);
    if (!result) continue;
    if (pool.usesHousekeeping) {
      const used = result.vcpuHost.filter((cpu) => housekeepingSet.has(cpu));
      if (used.length > 0) {
        messages.warn('no-housekeeping', `the host is too small to keep housekeeping CPUs free: vCPUs placed on ${formatCpuList(used)}, which the host needs for its own work`);
      }
    }
    if (spec.pinning.preferIsolated && view.topology.isolated.length > 0 && !pool.isolatedOnly) {
      const plain = result.vcpuHost.filter((cpu) => !view.byCpu.get(cpu)!.isolated);
      if (plain.length > 0) messages.warn('not-isolated', `only ${isolatedFree.length} isolated CPUs are free for ${count} vCPUs: ${formatCpuList(plain)} are not isolated`);
    }
    return result;
  }

  if (spec.pinning.requireDedicated) {
    const held = view.online.length - free.length;
    messages.fail(
      'not-enough-cpus',
      `${count} vCPUs need ${count} host CPUs of their own, but only ${free.length} of ${view.online.length} online CPUs are free${held > 0 ? ` (${held} held by other VMs)` : ''}; lower --vcpus or allow sharing (pinning.requireDedicated false)`,
    );
    return null;
  }
  // Overcommit: every free CPU, vCPUs dealt round-robin in locality order so each CPU's share
  // stays even.
  const order = orderForOvercommit(view, free);
  const vcpuHost = range(count).map((vcpu) => order[vcpu % order.length]!);
  messages.warn('overcommit', `${count} vCPUs share ${order.length} free host CPUs (${(count / order.length).toFixed(1)} per CPU): expect them to wait for each other`);
  const groupNodes = groups.map((group) => unique(group.vcpus.map((vcpu) => view.nodeOf.get(vcpuHost[vcpu]!)!)));
  return { vcpuHost, threads: 1, groupNodes };
}

function orderForOvercommit(view: HostView, free: number[]): number[] {
  return [...free].sort((a, b) => view.nodeOf.get(a)! - view.nodeOf.get(b)! || a - b);
}

/** Which guest-threads settings to try, best first. */
function threadConfigs(view: HostView, spec: VmSpec, groups: VcpuGroup[]): ThreadConfig[] {
  // Placing by guest cores needs every group to be whole guest cores of consecutive vCPUs.
  const aligned = (width: number) =>
    groups.every((group) =>
      group.vcpus.length % width === 0 &&
      group.vcpus[0]! % width === 0 &&
      group.vcpus.every((vcpu, index) => index === 0 || vcpu === group.vcpus[index - 1]! + 1),
    );
  if (!spec.vcpus.autoTopology) {
    // A guest NUMA split through the middle of a guest core: place vCPU by vCPU.
    return [{ threads: aligned(spec.vcpus.threads) ? spec.vcpus.threads : 1, packing: true }];
  }
  const width = view.smtWidth;
  if (spec.pinning.strategy === 'spread' || width <= 1) return [{ threads: 1, packing: true }];
  return aligned(width) ? [{ threads: width, packing: false }, { threads: 1, packing: true }] : [{ threads: 1, packing: true }];
}

/** What every placement step needs to know. */
interface PlaceContext {
  view: HostView;
  spec: VmSpec;
  taken: Map<number, string>;
  housekeeping: Set<number>;
}

function placeInPool(ctx: PlaceContext, groups: VcpuGroup[], poolCpus: number[], configs: ThreadConfig[]): Placement | null {
  const { view, spec } = ctx;
  const spread = spec.pinning.strategy === 'spread';
  // Per config: first every group on a single node, and only then groups across nodes.
  const attempts: Array<{ config: ThreadConfig; multiNode: boolean }> = [];
  for (const multiNode of spread ? [true] : [false, true]) for (const config of configs) attempts.push({ config, multiNode });
  for (const { config, multiNode } of attempts) {
    const used = new Set<number>();
    const usedNodes = new Set<number>();
    const vcpuHost: number[] = new Array(spec.vcpus.count);
    const groupNodes: number[][] = [];
    let ok = true;
    for (const group of groups) {
      const units = group.vcpus.length / config.threads;
      const available = poolCpus.filter((cpu) => !used.has(cpu));
      const picked = spread
        ? placeGroupSpread(ctx, group, available, config, units, groups.length > 1)
        : placeGroupCompact(ctx, group, available, config, units, usedNodes, multiNode);
      if (!picked) {
        ok = false;
        break;
      }
      const flat = picked.flat();
      flat.forEach((cpu, index) => {
        used.add(cpu);
        vcpuHost[group.vcpus[index]!] = cpu;
      });
      const nodes = unique(flat.map((cpu) => view.nodeOf.get(cpu)!));
      nodes.forEach((node) => usedNodes.add(node));
      groupNodes.push(nodes);
    }
    if (ok) return { vcpuHost, threads: config.threads, groupNodes };
  }
  return null;
}

function buildCores(view: HostView, cpus: number[], taken: Map<number, string>, housekeeping: Set<number>, preferIsolated: boolean): Core[] {
  const byKey = new Map<string, number[]>();
  for (const cpu of cpus) {
    const key = view.coreKeyOf.get(cpu)!;
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key)!.push(cpu);
  }
  return [...byKey.entries()].map(([key, free]) => {
    const all = key.split(',').map(Number);
    const first = free[0]!;
    return {
      cpus: free.sort((a, b) => a - b),
      node: view.nodeOf.get(first)!,
      l3: view.l3KeyOf.get(first)!,
      clean: all.every((cpu) => !taken.has(cpu)),
      // Without preferIsolated, isolated CPUs are neither sought nor avoided.
      isolated: preferIsolated && free.every((cpu) => view.byCpu.get(cpu)!.isolated),
      kindRank: view.kindRankOf.get(first) ?? 0,
      housekeeping: free.some((cpu) => housekeeping.has(cpu)),
    };
  });
}

function compareCores(a: Core, b: Core): number {
  return (
    Number(a.housekeeping) - Number(b.housekeeping) ||
    Number(b.clean) - Number(a.clean) ||
    Number(b.isolated) - Number(a.isolated) ||
    b.kindRank - a.kindRank ||
    a.cpus[0]! - b.cpus[0]!
  );
}

/** Guest cores one host core can hold without packing. */
function strictUnits(core: Core, threads: number): number {
  return core.cpus.length >= threads ? 1 : 0;
}

function totalUnits(cores: Core[], config: ThreadConfig): number {
  if (!config.packing) return cores.reduce((sum, core) => sum + strictUnits(core, config.threads), 0);
  return Math.floor(cores.reduce((sum, core) => sum + core.cpus.length, 0) / config.threads);
}

/**
 * Orders a node's cores so taking them in order fills whole L3 groups first: the smallest group
 * holding all `units`, else the largest groups whole and the remainder in the best-fitting one.
 */
function orderByL3(cores: Core[], units: number, threads: number): Core[] {
  const byGroup = new Map<string, Core[]>();
  for (const core of cores) {
    if (!byGroup.has(core.l3)) byGroup.set(core.l3, []);
    byGroup.get(core.l3)!.push(core);
  }
  const groups = [...byGroup.values()].map((members) => {
    const sorted = members.sort(compareCores);
    const strict = sorted.reduce((sum, core) => sum + strictUnits(core, threads), 0);
    const loose = Math.floor(sorted.reduce((sum, core) => sum + core.cpus.length, 0) / threads);
    return { cores: sorted, capacity: strict > 0 ? strict : loose, first: sorted[0]!.cpus[0]!, isolated: sorted.every((core) => core.isolated) };
  });
  const order: typeof groups = [];
  let remaining = units;
  const rest = [...groups];
  const byPreference = (a: (typeof groups)[number], b: (typeof groups)[number]) => Number(b.isolated) - Number(a.isolated) || a.first - b.first;
  while (remaining > 0 && rest.length > 0) {
    const fitting = rest.filter((group) => group.capacity >= remaining);
    let chosen;
    if (fitting.length > 0) {
      chosen = fitting.sort((a, b) => a.capacity - b.capacity || byPreference(a, b))[0]!;
    } else {
      chosen = rest.sort((a, b) => b.capacity - a.capacity || byPreference(a, b))[0]!;
    }
    order.push(chosen);
    rest.splice(rest.indexOf(chosen), 1);
    remaining -= chosen.capacity;
  }
  order.push(...rest.sort(byPreference));
  return order.flatMap((group) => group.cores);
}

/**
 * Takes `units` guest cores of `threads` CPUs from cores in the given order: one per host core
 * first; with packing, then further ones from leftover siblings, then across cores. Housekeeping
 * cores (present only when the host is too small to keep them) come after every other option.
 */
function takeUnits(cores: Core[], units: number, config: ThreadConfig): number[][] | null {
  const { threads } = config;
  const out: number[][] = [];
  const passes = [cores.filter((core) => !core.housekeeping), cores.filter((core) => core.housekeeping)];
  for (const pass of passes) {
    const left = pass.map((core) => [...core.cpus]);
    for (const cpus of left) {
      if (out.length === units) return out;
      if (cpus.length >= threads) out.push(cpus.splice(0, threads));
    }
    if (out.length === units) return out;
    if (!config.packing) continue;
    for (const cpus of left) {
      while (cpus.length >= threads && out.length < units) out.push(cpus.splice(0, threads));
    }
    if (out.length === units) return out;
    const spill = left.flat();
    while (spill.length >= threads && out.length < units) out.push(spill.splice(0, threads));
    if (out.length === units) return out;
    // Leftovers of this pass (fewer than `threads`) are not combined with the next pass's CPUs:
    // a guest core half on a housekeeping core would be worse than spanning host cores.
  }
  return out.length === units ? out : null;
}

function hugepageFreeMiB(view: HostView, node: number, backing: MemoryBacking): number | null {
  if (backing === 'ram') return null;
  const pool = view.topology.nodes.find((entry) => entry.id === node)?.hugepages[PAGE_KIB[backing]];
  return (pool?.free ?? 0) * PAGE_MIB[backing];
}

function placeGroupCompact(
  ctx: PlaceContext,
  group: VcpuGroup,
  available: number[],
  config: ThreadConfig,
  units: number,
  usedNodes: Set<number>,
  multiNode: boolean,
): number[][] | null {
  const { view, spec } = ctx;
  const cores = buildCores(view, available, ctx.taken, ctx.housekeeping, ctx.spec.pinning.preferIsolated);
  const coresByNode = new Map<number, Core[]>();
  for (const core of cores) {
    if (!coresByNode.has(core.node)) coresByNode.set(core.node, []);
    coresByNode.get(core.node)!.push(core);
  }
  const nodeInfo = (node: number) => {
    const memMiB = view.topology.nodes.find((entry) => entry.id === node)?.memMiB ?? null;
    const hugeMiB = hugepageFreeMiB(view, node, spec.memory.backing);
    return {
      node,
      wanted: group.hostNode === node ? 0 : 1,
      // Another guest node already there would make the guest's NUMA a fiction.
      fresh: usedNodes.has(node) ? 1 : 0,
      hugepagesFit: hugeMiB === null || hugeMiB >= group.memMiB ? 0 : 1,
      memoryFits: memMiB === null || memMiB >= group.memMiB ? 0 : 1,
      capacity: totalUnits(coresByNode.get(node) ?? [], config),
    };
  };
  type NodeChoice = ReturnType<typeof nodeInfo>;
  const nodes = [...coresByNode.keys()].map(nodeInfo).sort(
    (a, b) => a.wanted - b.wanted || a.fresh - b.fresh || a.hugepagesFit - b.hugepagesFit || a.memoryFits - b.memoryFits || a.node - b.node,
  );
  if (!multiNode) {
    for (const info of nodes) {
      if (info.capacity < units) continue;
      const picked = takeUnits(orderByL3(coresByNode.get(info.node)!, units, config.threads), units, config);
      if (picked) return picked;
    }
    return null;
  }
  // Across nodes: start from the preferred node that has room, add the nearest ones.
  const start = nodes.find((info) => info.capacity > 0);
  if (!start) return null;
  const ordered = [...nodes].sort(
    (a, b) => view.distance(start.node, a.node) - view.distance(start.node, b.node) || (a === start ? -1 : b === start ? 1 : 0) || a.node - b.node,
  );
  // Enough nodes to hold the VM without housekeeping cores; all of them if even that is short.
  const chosen: NodeChoice[] = [];
  let remaining = units;
  for (const info of ordered) {
    if (remaining <= 0) break;
    const withoutHousekeeping = totalUnits(coresByNode.get(info.node)!.filter((core) => !core.housekeeping), config);
    if (withoutHousekeeping === 0) continue;
    chosen.push(info);
    remaining -= withoutHousekeeping;
  }
  const nodesUsed = remaining > 0 ? ordered.filter((info) => info.capacity > 0) : chosen;
  const chosenCores: Core[] = [];
  remaining = units;
  for (const info of nodesUsed) {
    chosenCores.push(...orderByL3(coresByNode.get(info.node)!, Math.max(1, Math.min(remaining, info.capacity)), config.threads));
    remaining -= info.capacity;
  }
  return takeUnits(chosenCores, units, config);
}

function placeGroupSpread(
  ctx: PlaceContext,
  group: VcpuGroup,
  available: number[],
  config: ThreadConfig,
  units: number,
  perGuestNode: boolean,
): number[][] | null {
  const { view } = ctx;
  let cores = buildCores(view, available, ctx.taken, ctx.housekeeping, ctx.spec.pinning.preferIsolated);
  if (perGuestNode) {
    // A guest NUMA node still belongs on one host node; spread then applies within it.
    const byNode = new Map<number, Core[]>();
    for (const core of cores) {
      if (!byNode.has(core.node)) byNode.set(core.node, []);
      byNode.get(core.node)!.push(core);
    }
    const candidates = [...byNode.entries()]
      .filter(([, members]) => totalUnits(members, config) >= units)
      .sort((a, b) => Number(b[0] === group.hostNode) - Number(a[0] === group.hostNode) || a[0] - b[0]);
    if (candidates.length > 0) cores = candidates[0]![1];
  }
  // Round-robin over nodes, and within each node over L3 groups.
  const nodeQueues = new Map<number, Core[][]>();
  for (const core of [...cores].sort(compareCores)) {
    if (!nodeQueues.has(core.node)) nodeQueues.set(core.node, []);
    const l3Queues = nodeQueues.get(core.node)!;
    let queue = l3Queues.find((entry) => entry[0]!.l3 === core.l3);
    if (!queue) {
      queue = [];
      l3Queues.push(queue);
    }
    queue.push(core);
  }
  const nodeOrder = [...nodeQueues.keys()].sort((a, b) => a - b);
  const interleavedByNode = nodeOrder.map((node) => interleave(nodeQueues.get(node)!));
  const ordered = interleave(interleavedByNode);
  return takeUnits(ordered, units, config);
}

function interleave<T>(queues: T[][]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...queues.map((queue) => queue.length));
  for (let index = 0; index < longest; index++) for (const queue of queues) if (index < queue.length) out.push(queue[index]!);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Manual maps and unpinned VMs

function placeManual(
  view: HostView,
  spec: VmSpec,
  groups: VcpuGroup[],
  taken: Map<number, string>,
  housekeeping: number[],
  messages: Messages,
): Placement | null {
  const map = spec.pinning.map!;
  const onlineSet = new Set(view.online);
  const firstUse = new Map<number, number>();
  map.forEach((cpu, vcpu) => {
    const at = `pinning.map[${vcpu}]`;
    if (!view.byCpu.has(cpu)) messages.fail('unknown-cpu', `${at}: host CPU ${cpu} does not exist (host CPUs: ${formatCpuList([...view.byCpu.keys()])})`);
    else if (!onlineSet.has(cpu)) messages.fail('offline-cpu', `${at}: host CPU ${cpu} is offline`);
    else if (taken.has(cpu)) messages.fail('cpu-taken', `${at}: host CPU ${cpu} is held by VM "${taken.get(cpu)}"`);
    else if (firstUse.has(cpu)) {
      if (spec.pinning.requireDedicated) {
        messages.fail('duplicate-cpu', `${at}: host CPU ${cpu} is already given to vCPU ${firstUse.get(cpu)} (each vCPU needs its own CPU; set pinning.requireDedicated false to share)`);
      }
    } else firstUse.set(cpu, vcpu);
  });
  if (messages.errors.length > 0) return null;
  if (firstUse.size < map.length) {
    messages.warn('overcommit', `the manual map puts ${map.length} vCPUs on ${firstUse.size} host CPUs: vCPUs sharing a CPU wait for each other`);
  }
  const housekeepingSet = new Set(housekeeping);
  const onHousekeeping = [...firstUse.keys()].filter((cpu) => housekeepingSet.has(cpu));
  if (onHousekeeping.length > 0) {
    messages.warn('housekeeping-used', `the manual map uses housekeeping CPUs ${formatCpuList(onHousekeeping)}; the host's own work will interrupt those vCPUs`);
  }
  // With an automatic topology, consecutive vCPUs that fill exactly one host core become
  // threads of one guest core.
  let threads = 1;
  const width = view.smtWidth;
  if (spec.vcpus.autoTopology && width > 1 && map.length % width === 0) {
    let whole = true;
    for (let start = 0; start < map.length && whole; start += width) {
      const chunk = map.slice(start, start + width).sort((a, b) => a - b);
      whole = chunk.join(',') === view.coreKeyOf.get(chunk[0]!) && groupOfVcpu(groups, start) === groupOfVcpu(groups, start + width - 1);
    }
    if (whole) threads = width;
  } else if (!spec.vcpus.autoTopology) {
    threads = spec.vcpus.threads;
  }
  const groupNodes = groups.map((group) => unique(group.vcpus.map((vcpu) => view.nodeOf.get(map[vcpu]!)!)));
  return { vcpuHost: [...map], threads, groupNodes };
}

function groupOfVcpu(groups: VcpuGroup[], vcpu: number): number {
  return groups.findIndex((group) => group.vcpus.includes(vcpu));
}

function checkUnpinned(view: HostView, spec: VmSpec, taken: Map<number, string>, messages: Messages): void {
  const free = view.online.filter((cpu) => !taken.has(cpu)).length;
  if (spec.vcpus.count <= free) return;
  if (spec.pinning.requireDedicated) {
    messages.fail('not-enough-cpus', `${spec.vcpus.count} vCPUs need ${spec.vcpus.count} host CPUs of their own, but only ${free} of ${view.online.length} online CPUs are free`);
  } else {
    messages.warn('overcommit', `${spec.vcpus.count} vCPUs on ${free} free host CPUs: expect them to wait for each other`);
  }
}

// ---------------------------------------------------------------------------------------------
// Guest topology, helpers' CPUs, rule checks

function fillGuestTopology(view: HostView, spec: VmSpec, groups: VcpuGroup[], placement: Placement | null): void {
  const count = spec.vcpus.count;
  const threads = placement?.threads ?? 1;
  const guestCores = count / threads;
  let sockets = 1;
  if (groups.length > 1) {
    // One guest socket per guest NUMA node when the nodes are equal, contiguous runs of vCPUs.
    const size = groups[0]!.vcpus.length;
    const contiguous = groups.every((group, index) => group.vcpus.length === size && group.vcpus[0] === index * size && group.vcpus.every((vcpu, offset) => vcpu === index * size + offset));
    if (contiguous && size % threads === 0) sockets = groups.length;
  } else if (placement) {
    // Mirror host sockets when the vCPUs sit in equal, consecutive runs per host socket.
    const socketOf = (cpu: number) => view.byCpu.get(cpu)!.socket ?? -1;
    const runs: number[] = [];
    let previous: number | null = null;
    for (const cpu of placement.vcpuHost) {
      const socket = socketOf(cpu);
      if (socket !== previous) runs.push(0);
      runs[runs.length - 1]! += 1;
      previous = socket;
    }
    const distinct = new Set(placement.vcpuHost.map(socketOf)).size;
    if (runs.length > 1 && runs.length === distinct && runs.every((run) => run === runs[0] && run % threads === 0)) sockets = runs.length;
  }
  spec.vcpus.sockets = sockets;
  spec.vcpus.dies = 1;
  spec.vcpus.cores = guestCores / sockets;
  spec.vcpus.threads = threads;
}

function iothreadIds(spec: VmSpec): Array<{ id: string; disks: number[] }> {
  const out = range(spec.iothreads.count).map((index) => ({ id: `io${index}`, disks: [] as number[] }));
  let next = 0;
  spec.disks.forEach((disk, index) => {
    if (disk.iothread) out[next++]!.disks.push(index);
  });
  return out;
}

/** Host CPUs for the emulator or one iothread. */
function placeHelper(
  what: string,
  placement: 'housekeeping' | 'with-vcpus' | 'dedicated',
  explicit: number[] | null,
  view: HostView,
  taken: Map<number, string>,
  housekeeping: number[],
  hostNodes: number[],
  reserved: Set<number>,
  vcpuHosts: number[],
  messages: Messages,
): number[] {
  // Checked before placement (planVm): an explicit list is used as given.
  if (explicit !== null) return unique(explicit);
  const vcpuSet = unique(vcpuHosts);
  if (placement === 'with-vcpus') return vcpuSet;
  // Nearest first: on the VM's nodes, else on its sockets, else wherever they are.
  const vcpuSockets = new Set(vcpuHosts.map((cpu) => view.byCpu.get(cpu)!.socket));
  const onNodes = (cpus: number[]) => {
    const local = cpus.filter((cpu) => hostNodes.includes(view.nodeOf.get(cpu)!));
    if (local.length > 0) return local;
    const sameSocket = cpus.filter((cpu) => vcpuSockets.has(view.byCpu.get(cpu)!.socket));
    return sameSocket.length > 0 ? sameSocket : cpus;
  };
  const housekeepingCpus = (): number[] => {
    if (housekeeping.length > 0) return onNodes(housekeeping);
    // No housekeeping kept: anywhere free and not a vCPU, else alongside the vCPUs.
    const spare = view.online.filter((cpu) => !taken.has(cpu) && !reserved.has(cpu));
    return spare.length > 0 ? onNodes(spare) : vcpuSet;
  };
  if (placement === 'housekeeping') return housekeepingCpus();
  const vcpuCores = new Set(vcpuHosts.map((cpu) => view.coreKeyOf.get(cpu)));
  const housekeepingSet = new Set(housekeeping);
  const candidates = view.online
    .filter((cpu) => !taken.has(cpu) && !reserved.has(cpu) && !housekeepingSet.has(cpu))
    // Off the vCPUs' cores first (a sibling would steal from a vCPU), then near the VM.
    .sort(
      (a, b) =>
        Number(vcpuCores.has(view.coreKeyOf.get(a))) - Number(vcpuCores.has(view.coreKeyOf.get(b))) ||
        Number(!hostNodes.includes(view.nodeOf.get(a)!)) - Number(!hostNodes.includes(view.nodeOf.get(b)!)) ||
        a - b,
    );
  if (candidates.length > 0) return [candidates[0]!];
  messages.warn('no-dedicated-cpu', `${what}: no free CPU left for a dedicated one; placed on the housekeeping CPUs`);
  return housekeepingCpus();
}

function checkPlacementRules(
  view: HostView,
  spec: VmSpec,
  placement: Placement,
  groups: VcpuGroup[],
  taken: Map<number, string>,
  emulator: number[],
  iothreads: PlanIothread[],
  messages: Messages,
): void {
  const hosts = placement.vcpuHost;
  groups.forEach((group, index) => {
    const nodes = placement.groupNodes[index]!;
    const label = groups.length > 1 ? `guest node ${index}'s vCPUs` : 'the vCPUs';
    if (group.hostNode !== null && !nodes.includes(group.hostNode)) {
      messages.warn('host-node-unavailable', `${label} asked for host node ${group.hostNode}, which has no room for them: placed on node${nodes.length === 1 ? '' : 's'} ${nodes.join(', ')}`);
    }
    if (nodes.length > 1) {
      messages.warn('cross-numa', `${label} span host NUMA nodes ${nodes.join(', ')}: memory accesses from some vCPUs go to a remote node${groups.length > 1 ? '' : ' (give the guest NUMA nodes, like the numa-guest preset)'}`);
    }
    const l3s = unique(group.vcpus.map((vcpu) => view.byCpu.get(hosts[vcpu]!)!.l3).filter((l3): l3 is number => l3 !== null));
    if (l3s.length > 1) messages.warn('split-l3', `${label} span ${l3s.length} L3 cache groups: data shared between vCPUs in different groups goes through memory`);
  });
  const shared = groups.flatMap((_, index) => placement.groupNodes[index]!);
  if (groups.length > 1 && unique(shared).length < shared.length) {
    messages.warn('guest-numa-shared-node', 'two guest NUMA nodes sit on the same host node: the guest sees a NUMA layout the host does not have');
  }
  const kinds = unique(hosts.map((cpu) => view.kindRankOf.get(cpu) ?? 0));
  if (view.topology.cpuKinds.length > 0 && kinds.length > 1) {
    messages.warn('mixed-cpu-kinds', 'the vCPUs run on different CPU kinds (performance and efficiency cores): the guest sees them as equal and their speed differs');
  }

  const threads = spec.vcpus.threads;
  const vcpuSet = new Set(hosts);
  const coreOwners = new Map<string, number[]>();
  hosts.forEach((cpu, vcpu) => {
    const key = view.coreKeyOf.get(cpu)!;
    if (!coreOwners.has(key)) coreOwners.set(key, []);
    coreOwners.get(key)!.push(vcpu);
  });
  for (const vcpusOnCore of coreOwners.values()) {
    const guestCores = unique(vcpusOnCore.map((vcpu) => Math.floor(vcpu / threads)));
    // vCPUs on the very same CPU are overcommit (warned as such), not hidden SMT.
    const distinctCpus = unique(vcpusOnCore.map((vcpu) => hosts[vcpu]!));
    if (guestCores.length > 1 && distinctCpus.length > 1) {
      messages.warn('smt-hidden', `vCPUs ${vcpusOnCore.join(', ')} are on one host core (SMT siblings) but on different guest cores: the guest schedules them as if they did not compete`);
    }
  }

  const helperCpus = new Map<number, string>();
  if (spec.emulator.placement !== 'with-vcpus') for (const cpu of emulator) helperCpus.set(cpu, 'the emulator thread');
  if (spec.iothreads.placement !== 'with-vcpus') for (const thread of iothreads) for (const cpu of thread.hostCpus) if (!helperCpus.has(cpu)) helperCpus.set(cpu, `iothread ${thread.id}`);
  for (const cpu of unique(hosts)) {
    for (const sibling of coreOf(view, cpu)) {
      if (sibling === cpu || vcpuSet.has(sibling)) continue;
      if (taken.has(sibling)) {
        messages.warn('sibling-shared', `host CPU ${cpu} shares its core with CPU ${sibling}, held by VM "${taken.get(sibling)}": the two VMs slow each other down`);
      } else if (helperCpus.has(sibling)) {
        messages.warn('sibling-shared', `host CPU ${cpu} shares its core with CPU ${sibling}, where ${helperCpus.get(sibling)} runs`);
      }
    }
  }
}

function checkMemory(view: HostView, spec: VmSpec, groups: VcpuGroup[], placement: Placement | null, messages: Messages): void {
  const backing = spec.memory.backing;
  const allNodes = view.topology.nodes.map((node) => node.id);
  const perGroup = groups.map((group, index) => ({
    memMiB: group.memMiB,
    nodes: placement && placement.groupNodes[index]!.length > 0 ? placement.groupNodes[index]! : allNodes,
  }));
  for (const { memMiB, nodes } of perGroup) {
    const where = nodes.length === 1 ? `node ${nodes[0]}` : `nodes ${nodes.join(', ')}`;
    if (backing !== 'ram') {
      const freeMiB = nodes.reduce((sum, node) => sum + (hugepageFreeMiB(view, node, backing) ?? 0), 0);
      if (freeMiB < memMiB) {
        const pages = memMiB / PAGE_MIB[backing];
        const freePages = freeMiB / PAGE_MIB[backing];
        messages.warn('hugepages-missing', `${where}: ${freePages} free ${backing.slice(10)} hugepages, ${pages} needed for ${formatSizeMiB(memMiB)}; reserve them first (e.g. echo ${pages} > /sys/devices/system/node/node${nodes[0]}/hugepages/hugepages-${PAGE_KIB[backing]}kB/nr_hugepages)`);
      }
    }
    const sizes = nodes.map((node) => view.topology.nodes.find((entry) => entry.id === node)?.memMiB ?? null);
    if (sizes.every((sizeMiB) => sizeMiB !== null)) {
      const totalMiB = sizes.reduce((sum, sizeMiB) => sum! + sizeMiB!, 0)!;
      if (totalMiB < memMiB) messages.warn('memory-exceeds-node', `${where} ha${nodes.length === 1 ? 's' : 've'} ${formatSizeMiB(totalMiB)} of memory, less than the ${formatSizeMiB(memMiB)} asked for`);
    }
  }
}

// ---------------------------------------------------------------------------------------------

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

function unique(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

