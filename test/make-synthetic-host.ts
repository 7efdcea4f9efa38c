/**
 * Writes a synthetic host root: by default 2 packages x 4 NUMA nodes x 2 L3 groups per node x
 * 16 cores x SMT2 = 512 threads, shaped like a big EPYC/Xeon as Linux shows it. It serves the
 * topology reader's tests (does it read a host of this size exactly right?) and the scale
 * benchmarks (how fast are reading, planning and drawing at 512 threads?).
 *
 *   npx tsx test/make-synthetic-host.ts OUTDIR      # writes OUTDIR/sys/... and OUTDIR/proc/...
 *
 * The returned model is the generator's own truth, built before any file is written, so a test
 * compares the reader against it rather than against the files.
 *
 * Numbering follows Linux on x86: the first thread of every core gets CPUs 0..cores-1 in core
 * order, the second thread cores..2*cores-1 (so CPU 0's sibling is 256 here). core_id is the
 * core's index within its package, as on real hosts (unique only per package).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SyntheticShape {
  packages: number;
  nodesPerPackage: number;
  l3PerNode: number;
  coresPerL3: number;
  threadsPerCore: number;
  memMiBPerNode: number;
}

export const DEFAULT_SHAPE: SyntheticShape = {
  packages: 2,
  nodesPerPackage: 4,
  l3PerNode: 2,
  coresPerL3: 16,
  threadsPerCore: 2,
  memMiBPerNode: 64 * 1024,
};

export interface SyntheticCpu {
  cpu: number;
  socket: number;
  node: number;
  /** Index of the L3 instance, also written as its cache `id`. */
  l3: number;
  /** Core id within its package (sysfs core_id). */
  core: number;
  /** All threads of this core, sorted. */
  siblings: number[];
}

export interface SyntheticNode {
  id: number;
  cpus: number[];
  memMiB: number;
  freeMiB: number;
  distances: Record<string, number>;
  hugepages: Record<string, { total: number; free: number }>;
}

export interface SyntheticHost {
  shape: SyntheticShape;
  cpus: SyntheticCpu[];
  nodes: SyntheticNode[];
  /** CPU lists of each L3 instance, by L3 index. */
  l3Groups: number[][];
}

/** SLIT-like distances: 10 local, 12 same package, 32 across packages. */
const DISTANCE_LOCAL = 10;
const DISTANCE_SAME_PACKAGE = 12;
const DISTANCE_OTHER_PACKAGE = 32;

export function syntheticHostModel(shape: SyntheticShape = DEFAULT_SHAPE): SyntheticHost {
  const coresPerNode = shape.l3PerNode * shape.coresPerL3;
  const coresPerPackage = shape.nodesPerPackage * coresPerNode;
  const coreCount = shape.packages * coresPerPackage;
  const nodeCount = shape.packages * shape.nodesPerPackage;
  const cpus: SyntheticCpu[] = [];
  for (let thread = 0; thread < shape.threadsPerCore; thread++) {
    for (let coreIndex = 0; coreIndex < coreCount; coreIndex++) {
      cpus.push({
        cpu: thread * coreCount + coreIndex,
        socket: Math.floor(coreIndex / coresPerPackage),
        node: Math.floor(coreIndex / coresPerNode),
        l3: Math.floor(coreIndex / shape.coresPerL3),
        core: coreIndex % coresPerPackage,
        siblings: Array.from({ length: shape.threadsPerCore }, (_, t) => t * coreCount + coreIndex),
      });
    }
  }
  const nodes: SyntheticNode[] = [];
  for (let id = 0; id < nodeCount; id++) {
    const packageOf = (node: number) => Math.floor(node / shape.nodesPerPackage);
    const distances: Record<string, number> = {};
    for (let other = 0; other < nodeCount; other++) {
      distances[String(other)] =
        other === id ? DISTANCE_LOCAL : packageOf(other) === packageOf(id) ? DISTANCE_SAME_PACKAGE : DISTANCE_OTHER_PACKAGE;
    }
    nodes.push({
      id,
      cpus: cpus.filter((entry) => entry.node === id).map((entry) => entry.cpu).sort((a, b) => a - b),
      memMiB: shape.memMiBPerNode,
      // Distinct per node too: half the memory, less the node id in MiB.
      freeMiB: shape.memMiBPerNode / 2 - id,
      distances,
      // Distinct per node, so a reader mixing up nodes' pools is caught.
      hugepages: {
        '2048': { total: 1024 + id, free: 1000 + id },
        '1048576': { total: id % 2 === 0 ? 8 : 0, free: id % 2 === 0 ? 8 - (id % 4) : 0 },
      },
    });
  }
  const l3Count = coreCount / shape.coresPerL3;
  const l3Groups = Array.from({ length: l3Count }, (_, l3) =>
    cpus.filter((entry) => entry.l3 === l3).map((entry) => entry.cpu).sort((a, b) => a - b),
  );
  cpus.sort((a, b) => a.cpu - b.cpu);
  return { shape, cpus, nodes, l3Groups };
}

/** Kernel-style cpulist ("0-15,256-271"). */
function cpuList(cpus: number[]): string {
  const parts: string[] = [];
  let start = 0;
  for (let i = 1; i <= cpus.length; i++) {
    if (i === cpus.length || cpus[i] !== cpus[i - 1]! + 1) {
      parts.push(start === i - 1 ? `${cpus[start]}` : `${cpus[start]}-${cpus[i - 1]}`);
      start = i;
    }
  }
  return parts.join(',');
}

/**
 * Writes the host under outDir (created; must be empty or absent) and returns its model.
 * Only the files Linux has and the probes read are written, to keep generation fast.
 */
export function writeSyntheticHost(outDir: string, shape: SyntheticShape = DEFAULT_SHAPE): SyntheticHost {
  const host = syntheticHostModel(shape);
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0) {
    throw new Error(`${outDir} exists and is not empty`);
  }
  const madeDirs = new Set<string>();
  const write = (file: string, content: string) => {
    const target = path.join(outDir, file);
    const dir = path.dirname(target);
    if (!madeDirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    fs.writeFileSync(target, content + '\n');
  };

  const cpuDir = 'sys/devices/system/cpu';
  const all = cpuList(host.cpus.map((entry) => entry.cpu));
  for (const file of ['online', 'present', 'possible']) write(`${cpuDir}/${file}`, all);
  write(`${cpuDir}/offline`, '');
  write(`${cpuDir}/isolated`, '');
  write(`${cpuDir}/nohz_full`, '(null)');
  for (const entry of host.cpus) {
    const base = `${cpuDir}/cpu${entry.cpu}`;
    // cpu0 has no online file on x86 (it cannot be unplugged).
    if (entry.cpu !== 0) write(`${base}/online`, '1');
    write(`${base}/topology/physical_package_id`, String(entry.socket));
    write(`${base}/topology/die_id`, '0');
    write(`${base}/topology/core_id`, String(entry.core));
    write(`${base}/topology/core_cpus_list`, cpuList(entry.siblings));
    write(`${base}/topology/thread_siblings_list`, cpuList(entry.siblings));
    write(`${base}/cache/index3/level`, '3');
    write(`${base}/cache/index3/type`, 'Unified');
    write(`${base}/cache/index3/id`, String(entry.l3));
    write(`${base}/cache/index3/shared_cpu_list`, cpuList(host.l3Groups[entry.l3]!));
  }

  const nodeDir = 'sys/devices/system/node';
  const nodeIds = cpuList(host.nodes.map((node) => node.id));
  for (const file of ['online', 'possible', 'has_cpu', 'has_memory', 'has_normal_memory']) write(`${nodeDir}/${file}`, nodeIds);
  for (const node of host.nodes) {
    const base = `${nodeDir}/node${node.id}`;
    const memKiB = node.memMiB * 1024;
    write(`${base}/cpulist`, cpuList(node.cpus));
    write(`${base}/meminfo`, [
      `Node ${node.id} MemTotal:       ${memKiB} kB`,
      `Node ${node.id} MemFree:        ${node.freeMiB * 1024} kB`,
      `Node ${node.id} MemUsed:        ${memKiB - node.freeMiB * 1024} kB`,
    ].join('\n'));
    write(`${base}/distance`, host.nodes.map((other) => node.distances[String(other.id)]).join(' '));
    for (const [sizeKiB, pool] of Object.entries(node.hugepages)) {
      write(`${base}/hugepages/hugepages-${sizeKiB}kB/nr_hugepages`, String(pool.total));
      write(`${base}/hugepages/hugepages-${sizeKiB}kB/free_hugepages`, String(pool.free));
      write(`${base}/hugepages/hugepages-${sizeKiB}kB/surplus_hugepages`, '0');
    }
  }

  const totalKiB = host.nodes.reduce((sum, node) => sum + node.memMiB * 1024, 0);
  write('proc/meminfo', `MemTotal:       ${totalKiB} kB\nMemFree:        ${Math.floor(totalKiB / 2)} kB\nHugepagesize:       2048 kB`);
  write('proc/cmdline', 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro');
  return host;
}

const invokedAsScript = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedAsScript) {
  const outDir = process.argv[2];
  if (!outDir || process.argv.length > 3) {
    process.stderr.write('usage: npx tsx test/make-synthetic-host.ts OUTDIR\n');
    process.exit(2);
  }
  try {
    const host = writeSyntheticHost(outDir);
    process.stdout.write(
      `wrote a ${host.cpus.length}-thread, ${host.nodes.length}-node, ${host.shape.packages}-package host to ${outDir}\n` +
        `read it with: kvm-tui --root ${outDir} topology\n`,
    );
  } catch (error) {
    process.stderr.write(`make-synthetic-host: ${(error as Error).message}\n`);
    process.exit(2);
  }
}
