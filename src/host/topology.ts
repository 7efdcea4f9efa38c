/**
 * Reads the host's CPU and NUMA topology from /sys/devices/system/{cpu,node} (and /proc/cpuinfo
 * for CPU kinds on ARM), through a HostFs.
 *
 * Decisions worth knowing:
 * - The online set is the truth: `cpu/online` when present, else every cpuN whose `online` file
 *   is missing or "1". Every other list (siblings, node cpulists, cache shared lists) is
 *   intersected with it, because such lists can be stale for offline CPUs.
 * - SMT siblings come from the kernel's thread_siblings (core_cpus) list. On AMD Bulldozer the
 *   kernel pairs the two cores of a compute unit as siblings (they share front end, FPU and L2);
 *   we keep that pairing, unlike hwloc (which shows single-thread cores), because for pinning a
 *   compute unit behaves like an SMT core: two VMs must not share one.
 * - An L3 group is keyed by the set of online CPUs sharing that cache (the cache `id` where
 *   present only labels it); `l3` is a logical index numbered in order of the group's first CPU.
 */
import { HostFs } from './host-fs.js';
import { CpuListError, parseCpuList, parseCpuMask } from './cpulist.js';

export interface HostCpu {
  cpu: number;
  online: boolean;
  /** physical_package_id; null for -1 or unknown. */
  socket: number | null;
  die: number | null;
  cluster: number | null;
  /** sysfs core_id (unique only within its package). */
  core: number | null;
  /** NUMA node id as the kernel numbers it. */
  node: number | null;
  /** Logical L3 group index (unique per L3 instance), null when unknown. */
  l3: number | null;
  /** SMT siblings including this CPU (online ones only), sorted. */
  siblings: number[];
  /** Index into Topology.cpuKinds on hybrid hosts, else null. */
  kind: number | null;
  isolated: boolean;
  nohzFull: boolean;
}

export interface HugepagePool {
  total: number;
  free: number;
}

export interface HostNode {
  id: number;
  /** Online CPUs of this node (may be empty: memory-only nodes). */
  cpus: number[];
  memMiB: number | null;
  /**
   * Memory free now (the node's MemFree; MemAvailable from /proc/meminfo on a kernel without
   * NUMA), what a VM that preallocates its RAM must fit in. Null when the host does not say.
   */
  freeMiB?: number | null;
  /** Distance to each node, keyed by node id. */
  distances: Record<string, number>;
  /** Keyed by page size in KiB ("2048", "1048576"). */
  hugepages: Record<string, HugepagePool>;
}

export interface L3Group {
  /** Logical index, as in HostCpu.l3. */
  index: number;
  /** The kernel's cache id when it exposes one. */
  cacheId: number | null;
  cpus: number[];
}

export interface CpuKind {
  /** Human label: "performance" / "efficiency" or the source's own name. */
  label: string;
  /** Where the split came from ("cpu_core/cpu_atom", "cpu_capacity", "CPU part", "max frequency"). */
  source: string;
  /** This kind's value in that source ("cpu_atom", "718", "0xd85", "3900000"). */
  value: string;
  /** Higher = faster; ranks the kinds. */
  rank: number;
  cpus: number[];
}

export interface Topology {
  /** Every CPU the host knows of (present/possible cpuN directories), online or not. */
  cpus: HostCpu[];
  nodes: HostNode[];
  online: number[];
  isolated: number[];
  nohzFull: number[];
  l3Groups: L3Group[];
  /** Slowest first (rank 0); empty on non-hybrid hosts and where nothing tells kinds apart. */
  cpuKinds: CpuKind[];
  /** Things read that looked wrong and how they were handled (stale lists, garbage). */
  notes: string[];
}

const CPU_DIR = '/sys/devices/system/cpu';
const NODE_DIR = '/sys/devices/system/node';

/** Thrown when the root has no CPU information at all. */
export class TopologyError extends Error {}

export function readTopology(hostFs: HostFs): Topology {
  const notes: string[] = [];
  const cpuDirs = hostFs
    .list(CPU_DIR)
    .filter((name) => /^cpu\d+$/.test(name))
    .map((name) => Number(name.slice(3)));
  const present = readList(hostFs, `${CPU_DIR}/present`, notes) ?? [];
  const known = [...new Set([...cpuDirs, ...present])].sort((a, b) => a - b);
  if (known.length === 0) {
    throw new TopologyError(`no CPUs found under ${hostFs.resolve(CPU_DIR)}`);
  }

  let online = readList(hostFs, `${CPU_DIR}/online`, notes);
  if (online === null) {
    online = cpuDirs.filter((cpu) => hostFs.readLine(`${CPU_DIR}/cpu${cpu}/online`) !== '0');
  }
  const onlineSet = new Set(online);
  const onlineList = known.filter((cpu) => onlineSet.has(cpu));
  const keepOnline = (cpus: number[]) => cpus.filter((cpu) => onlineSet.has(cpu));

  const isolated = keepOnline(readList(hostFs, `${CPU_DIR}/isolated`, notes) ?? []);
  const nohzFull = keepOnline(readList(hostFs, `${CPU_DIR}/nohz_full`, notes) ?? []);
  const isolatedSet = new Set(isolated);
  const nohzSet = new Set(nohzFull);

  // NUMA nodes (ids may be sparse; some have no CPUs).
  const nodeIds = hostFs
    .list(NODE_DIR)
    .filter((name) => /^node\d+$/.test(name))
    .map((name) => Number(name.slice(4)))
    .sort((a, b) => a - b);
  const nodeOfCpu = new Map<number, number>();
  const nodes: HostNode[] = [];
  for (const id of nodeIds) {
    const base = `${NODE_DIR}/node${id}`;
    const cpus = keepOnline(readListOrMask(hostFs, `${base}/cpulist`, `${base}/cpumap`, notes) ?? []);
    for (const cpu of cpus) {
      if (nodeOfCpu.has(cpu)) notes.push(`cpu${cpu} listed in node${nodeOfCpu.get(cpu)} and node${id}; kept the first`);
      else nodeOfCpu.set(cpu, id);
    }
    nodes.push({
      id,
      cpus,
      memMiB: readNodeMemMiB(hostFs, `${base}/meminfo`),
      freeMiB: readMeminfoMiB(hostFs, `${base}/meminfo`, 'MemFree'),
      distances: readDistances(hostFs, `${base}/distance`, nodeIds, notes),
      hugepages: readHugepages(hostFs, `${base}/hugepages`),
    });
  }
  if (nodes.length === 0) {
    // Kernels without NUMA support have no node directory: one node holding everything.
    for (const cpu of onlineList) nodeOfCpu.set(cpu, 0);
    nodes.push({
      id: 0,
      cpus: onlineList,
      memMiB: readProcMemMiB(hostFs),
      freeMiB: readMeminfoMiB(hostFs, '/proc/meminfo', 'MemAvailable') ?? readMeminfoMiB(hostFs, '/proc/meminfo', 'MemFree'),
      distances: { '0': 10 },
      hugepages: readHugepages(hostFs, '/sys/kernel/mm/hugepages'),
    });
  }

  // Per-CPU topology and caches.
  const l3ByKey = new Map<string, { cacheId: number | null; cpus: number[] }>();
  const l3KeyOfCpu = new Map<number, string>();
  const l2DirOfCpu = new Map<number, string>();
  const cpus: HostCpu[] = known.map((cpu) => {
    const base = `${CPU_DIR}/cpu${cpu}`;
    if (!onlineSet.has(cpu)) {
      return {
        cpu, online: false, socket: null, die: null, cluster: null, core: null, node: null,
        l3: null, siblings: [], kind: null, isolated: false, nohzFull: false,
      };
    }
    const topo = `${base}/topology`;
    const socketRaw = hostFs.readInt(`${topo}/physical_package_id`);
    const siblingList =
      readListOrMask(hostFs, `${topo}/core_cpus_list`, `${topo}/core_cpus`, notes) ??
      readListOrMask(hostFs, `${topo}/thread_siblings_list`, `${topo}/thread_siblings`, notes);
    let siblings = keepOnline(siblingList ?? [cpu]);
    if (!siblings.includes(cpu)) {
      notes.push(`cpu${cpu}: its sibling list does not contain itself; treated as a single thread`);
      siblings = [cpu];
    }
    const { l3, l2Dir } = readCaches(hostFs, base, notes);
    if (l2Dir !== null) l2DirOfCpu.set(cpu, l2Dir);
    if (l3) {
      const shared = keepOnline(l3.cpus);
      // Without a usable shared list, the cache id (unique per package at least) keys it; the
      // package is part of the key because older kernels restart ids in each package.
      const key = shared.includes(cpu) ? shared.join(',') : l3.cacheId !== null ? `id:${socketRaw}/${l3.cacheId}` : `cpu:${cpu}`;
      if (!l3ByKey.has(key)) l3ByKey.set(key, { cacheId: l3.cacheId, cpus: [] });
      l3ByKey.get(key)!.cpus.push(cpu);
      l3KeyOfCpu.set(cpu, key);
    }
    const die = hostFs.readInt(`${topo}/die_id`);
    const cluster = hostFs.readInt(`${topo}/cluster_id`);
    return {
      cpu,
      online: true,
      socket: socketRaw === null || socketRaw < 0 ? null : socketRaw,
      die: die === null || die < 0 ? null : die,
      cluster: cluster === null || cluster < 0 ? null : cluster,
      core: hostFs.readInt(`${topo}/core_id`),
      node: nodeOfCpu.get(cpu) ?? null,
      l3: null,
      siblings,
      kind: null,
      isolated: isolatedSet.has(cpu),
      nohzFull: nohzSet.has(cpu),
    };
  });

  // Number L3 groups by their first CPU, so indexes are stable and readable.
  const l3Groups: L3Group[] = [...l3ByKey.values()]
    .map((group) => ({ cacheId: group.cacheId, cpus: group.cpus.sort((a, b) => a - b) }))
    .sort((a, b) => a.cpus[0]! - b.cpus[0]!)
    .map((group, index) => ({ index, ...group }));
  const l3IndexOfCpu = new Map<number, number>();
  for (const group of l3Groups) for (const cpu of group.cpus) l3IndexOfCpu.set(cpu, group.index);
  for (const entry of cpus) entry.l3 = l3IndexOfCpu.get(entry.cpu) ?? null;

  // Symmetrise siblings: a stale list on one CPU must not make the relation one-sided.
  const byCpu = new Map(cpus.map((entry) => [entry.cpu, entry]));
  for (const entry of cpus) {
    for (const other of entry.siblings) {
      const peer = byCpu.get(other);
      if (peer && !peer.siblings.includes(entry.cpu)) {
        notes.push(`cpu${other}: sibling list lacks cpu${entry.cpu} though cpu${entry.cpu} lists it; added`);
        peer.siblings = [...peer.siblings, entry.cpu].sort((a, b) => a - b);
      }
    }
  }

  const cpuKinds = readCpuKinds(hostFs, onlineList, byCpu, l2DirOfCpu);
  cpuKinds.forEach((kind, index) => {
    for (const cpu of kind.cpus) {
      const entry = byCpu.get(cpu);
      if (entry) entry.kind = index;
    }
  });

  return { cpus, nodes, online: onlineList, isolated, nohzFull, l3Groups, cpuKinds, notes };
}

function readList(hostFs: HostFs, file: string, notes: string[]): number[] | null {
  const text = hostFs.readLine(file);
  if (text === null) return null;
  try {
    return parseCpuList(text);
  } catch (error) {
    if (error instanceof CpuListError) {
      notes.push(`${file}: ${error.message}; ignored`);
      return null;
    }
    throw error;
  }
}

/** Reads a *_list file, falling back to its hex-mask twin (old kernels have masks only). */
function readListOrMask(
  hostFs: HostFs,
  listFile: string,
  maskFile: string,
  notes: string[],
): number[] | null {
  const list = readList(hostFs, listFile, notes);
  if (list !== null) return list;
  const mask = hostFs.readLine(maskFile);
  if (mask === null) return null;
  try {
    return parseCpuMask(mask);
  } catch (error) {
    if (error instanceof CpuListError) {
      notes.push(`${maskFile}: ${error.message}; ignored`);
      return null;
    }
    throw error;
  }
}

/**
 * A CPU's L3 (id and sharing CPUs), and on the way the directory of its L2 (the index dirs come
 * level by level, so the L2 is passed before the L3): the hybrid fallback reads its sharing list
 * only when it needs it (l2ClusterKinds).
 */
function readCaches(hostFs: HostFs, cpuBase: string, notes: string[]): { l3: { cacheId: number | null; cpus: number[] } | null; l2Dir: string | null } {
  const cacheDir = `${cpuBase}/cache`;
  let l2Dir: string | null = null;
  for (const index of hostFs.list(cacheDir)) {
    if (!/^index\d+$/.test(index)) continue;
    const dir = `${cacheDir}/${index}`;
    const level = hostFs.readInt(`${dir}/level`);
    if (level === 2) l2Dir ??= dir;
    if (level !== 3) continue;
    const type = hostFs.readLine(`${dir}/type`);
    if (type !== null && type !== 'Unified' && type !== 'Data') continue;
    const cpus = readListOrMask(hostFs, `${dir}/shared_cpu_list`, `${dir}/shared_cpu_map`, notes) ?? [];
    return { l3: { cacheId: hostFs.readInt(`${dir}/id`), cpus }, l2Dir };
  }
  return { l3: null, l2Dir };
}

function readNodeMemMiB(hostFs: HostFs, file: string): number | null {
  const text = hostFs.read(file);
  const match = text && /MemTotal:\s+(\d+)\s*kB/.exec(text);
  return match ? Math.floor(Number(match[1]) / 1024) : null;
}

/** A "KEY: N kB" line of a meminfo file (the node files prefix it with "Node N "), in MiB. */
function readMeminfoMiB(hostFs: HostFs, file: string, key: string): number | null {
  const text = hostFs.read(file);
  const match = text && new RegExp(`(?:^|\\s)${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
  return match ? Math.floor(Number(match[1]) / 1024) : null;
}

function readProcMemMiB(hostFs: HostFs): number | null {
  const text = hostFs.read('/proc/meminfo');
  const match = text && /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return match ? Math.floor(Number(match[1]) / 1024) : null;
}

function readDistances(hostFs: HostFs, file: string, nodeIds: number[], notes: string[]): Record<string, number> {
  const line = hostFs.readLine(file);
  if (line === null || line === '') return {};
  const values = line.split(/\s+/).map(Number);
  if (values.some((value) => !Number.isFinite(value))) {
    notes.push(`${file}: not a list of numbers; ignored`);
    return {};
  }
  // The kernel prints one distance per node, in node id order.
  if (values.length !== nodeIds.length) {
    notes.push(`${file}: ${values.length} distances for ${nodeIds.length} nodes; ignored`);
    return {};
  }
  const out: Record<string, number> = {};
  nodeIds.forEach((id, index) => (out[String(id)] = values[index]!));
  return out;
}

function readHugepages(hostFs: HostFs, dir: string): Record<string, HugepagePool> {
  const out: Record<string, HugepagePool> = {};
  for (const name of hostFs.list(dir)) {
    const match = /^hugepages-(\d+)kB$/.exec(name);
    if (!match) continue;
    const total = hostFs.readInt(`${dir}/${name}/nr_hugepages`);
    const free = hostFs.readInt(`${dir}/${name}/free_hugepages`);
    // Counts are never negative on a real kernel: a capture saying so is not read as a pool.
    if ((total !== null && total < 0) || (free !== null && free < 0)) continue;
    out[match[1]!] = { total: total ?? 0, free: free ?? 0 };
  }
  return out;
}

/**
 * CPU kinds on hybrid parts. Sources, best first: Intel's cpu_core/cpu_atom PMU devices,
 * per-CPU cpu_capacity (ARM), per-CPU "CPU part" in /proc/cpuinfo (ARM big.LITTLE), and
 * per-CPU maximum frequency, and last the L2 layout of an Intel hybrid (l2ClusterKinds). One kind
 * only means "not hybrid": returns [].
 */
function readCpuKinds(hostFs: HostFs, online: number[], byCpu: ReadonlyMap<number, HostCpu>, l2DirOfCpu: ReadonlyMap<number, string>): CpuKind[] {
  const onlineSet = new Set(online);
  const pCores = hostFs.read('/sys/devices/cpu_core/cpus');
  const eCores = hostFs.read('/sys/devices/cpu_atom/cpus');
  if (pCores !== null && eCores !== null) {
    try {
      return [
        { label: 'efficiency', source: 'cpu_core/cpu_atom', value: 'cpu_atom', rank: 0, cpus: parseCpuList(eCores).filter((c) => onlineSet.has(c)) },
        { label: 'performance', source: 'cpu_core/cpu_atom', value: 'cpu_core', rank: 1, cpus: parseCpuList(pCores).filter((c) => onlineSet.has(c)) },
      ];
    } catch {
      // fall through to the other sources
    }
  }
  const byValue = (source: string, valueOf: (cpu: number) => string | null): CpuKind[] | null => {
    const groups = new Map<string, number[]>();
    for (const cpu of online) {
      const value = valueOf(cpu);
      if (value === null) return null;
      if (!groups.has(value)) groups.set(value, []);
      groups.get(value)!.push(cpu);
    }
    const merged = mergeNearValues(groups);
    if (merged.size < 2) return null;
    return rankKinds(source, merged);
  };
  return (
    byValue('cpu_capacity', (cpu) => hostFs.readLine(`${CPU_DIR}/cpu${cpu}/cpu_capacity`)) ??
    cpuPartKinds(hostFs, online) ??
    byValue('max frequency', (cpu) => hostFs.readLine(`${CPU_DIR}/cpu${cpu}/cpufreq/cpuinfo_max_freq`)) ??
    l2ClusterKinds(hostFs, online, byCpu, l2DirOfCpu) ??
    []
  );
}

/**
 * Intel's hybrid parts (Alder Lake and later) as their L2 caches show them when nothing else
 * does (a capture without the PMU dirs and cpufreq, a VM that passes the cache leaves through):
 * each performance core has an L2 of its own and two SMT threads, efficiency cores come in
 * modules of several cores sharing one L2, one thread each. Only on a GenuineIntel CPU, only
 * when every online CPU is one or the other and both are there; else null (not known).
 */
function l2ClusterKinds(hostFs: HostFs, online: number[], byCpu: ReadonlyMap<number, HostCpu>, l2DirOfCpu: ReadonlyMap<number, string>): CpuKind[] | null {
  const vendor = /^vendor_id\s*:\s*(\S+)/m.exec(hostFs.read('/proc/cpuinfo') ?? '');
  if (vendor?.[1] !== 'GenuineIntel') return null;
  const performance: number[] = [];
  const efficiency: number[] = [];
  for (const cpu of online) {
    const l2 = l2SharedCpus(hostFs, l2DirOfCpu.get(cpu));
    const entry = byCpu.get(cpu);
    if (l2 === null || !entry) return null;
    const cores = new Set(l2.map((other) => Math.min(...(byCpu.get(other)?.siblings ?? [other]))));
    if (cores.size === 1) performance.push(cpu);
    else if (entry.siblings.length <= 1) efficiency.push(cpu);
    else return null; // a shared L2 with SMT threads: not the hybrid layout
  }
  if (performance.length === 0 || efficiency.length === 0) return null;
  return [
    { label: 'efficiency', source: 'L2 clusters', value: 'L2 shared by a module of cores', rank: 0, cpus: efficiency },
    { label: 'performance', source: 'L2 clusters', value: 'L2 of its own', rank: 1, cpus: performance },
  ];
}

/** The CPUs sharing an L2 (its cache/indexN dir, found by readCaches), or null when not readable. */
function l2SharedCpus(hostFs: HostFs, dir: string | undefined): number[] | null {
  const list = dir === undefined ? null : hostFs.readLine(`${dir}/shared_cpu_list`);
  if (list === null) return null;
  try {
    return parseCpuList(list);
  } catch {
    return null;
  }
}

/** Values closer than this (relative to the smaller) are one kind, not two. */
const SAME_KIND_RATIO = 1.1;

/**
 * Merges numeric values that differ by less than 10% into one group (keyed by the smallest).
 * Homogeneous parts still show small per-core differences: Intel Turbo Boost Max 3.0 and AMD
 * preferred cores give a few cores a higher cpuinfo_max_freq (4.5 vs 4.3 GHz), and some Arm
 * servers (NVIDIA Grace) expose slightly uneven cpu_capacity. Real hybrids differ by 20% or more
 * (Raptor Lake P/E 5.0 vs 3.9 GHz, GB10 capacity 997 vs 718, big.LITTLE 1024 vs 446).
 */
function mergeNearValues(groups: Map<string, number[]>): Map<string, number[]> {
  const values = [...groups.keys()];
  if (!values.every((value) => /^\d+(\.\d+)?$/.test(value))) return groups;
  values.sort((a, b) => Number(a) - Number(b));
  const merged = new Map<string, number[]>();
  let key = values[0]!;
  let previous = Number(key);
  for (const value of values) {
    if (Number(value) > previous * SAME_KIND_RATIO) key = value;
    previous = Number(value);
    if (!merged.has(key)) merged.set(key, []);
    merged.get(key)!.push(...groups.get(value)!);
  }
  return merged;
}

function cpuPartKinds(hostFs: HostFs, online: number[]): CpuKind[] | null {
  const text = hostFs.read('/proc/cpuinfo');
  if (text === null) return null;
  const groups = new Map<string, number[]>();
  for (const block of text.split(/\n\s*\n/)) {
    const processor = /^processor\s*:\s*(\d+)/m.exec(block);
    const part = /^CPU part\s*:\s*(\S+)/m.exec(block);
    if (!processor || !part) continue;
    const cpu = Number(processor[1]);
    if (!online.includes(cpu)) continue;
    if (!groups.has(part[1]!)) groups.set(part[1]!, []);
    groups.get(part[1]!)!.push(cpu);
  }
  if (groups.size < 2) return null;
  return rankKinds('CPU part', groups);
}

/**
 * Arm core part numbers (MIDR) by tier, for big.LITTLE hosts that expose no cpu_capacity:
 * 2 = Cortex-X (prime), 1 = Cortex-A7xx (big), 0 = Cortex-A5xx (little). Unknown parts keep
 * file order and are labelled by part number only.
 */
const ARM_PART_TIER: Record<string, number> = {
  '0xd44': 2, '0xd48': 2, '0xd4e': 2, '0xd82': 2, '0xd85': 2,
  '0xd0b': 1, '0xd0d': 1, '0xd41': 1, '0xd47': 1, '0xd4d': 1, '0xd81': 1, '0xd87': 1,
  '0xd05': 0, '0xd46': 0, '0xd80': 0,
};

/** Orders kinds slowest first; numeric sources (capacity, frequency) by value. */
function rankKinds(source: string, groups: Map<string, number[]>): CpuKind[] {
  const entries = [...groups.entries()];
  const score = (value: string): number =>
    source === 'CPU part' ? (ARM_PART_TIER[value.toLowerCase()] ?? -1) : Number(value);
  const known = entries.every(([value]) => Number.isFinite(score(value)) && score(value) >= 0);
  if (known) entries.sort(([a], [b]) => score(a) - score(b));
  return entries.map(([value, cpus], rank) => ({
    label: !known
      ? `${source} ${value}`
      : rank === entries.length - 1
        ? 'performance'
        : rank === 0
          ? 'efficiency'
          : `middle ${rank}`,
    source,
    value,
    rank,
    cpus: cpus.sort((a, b) => a - b),
  }));
}

/** CLI JSON shape of a topology (../shared/CLI.md), plus extra fields. */
export function topologyToJson(topology: Topology): object {
  return {
    cpus: topology.cpus.map((entry) => ({
      cpu: entry.cpu,
      online: entry.online,
      socket: entry.socket,
      die: entry.die,
      cluster: entry.cluster,
      core: entry.core,
      node: entry.node,
      l3: entry.l3,
      siblings: entry.siblings,
      kind: entry.kind,
      isolated: entry.isolated,
      nohzFull: entry.nohzFull,
    })),
    nodes: topology.nodes,
    l3Groups: topology.l3Groups,
    cpuKinds: topology.cpuKinds,
    online: topology.online,
    isolated: topology.isolated,
    nohzFull: topology.nohzFull,
    notes: topology.notes,
  };
}
