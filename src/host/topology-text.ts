/**
 * The readable topology tree: node > package > L3 group > core > threads. Pure string output.
 * Big hosts stay compact: the cores of one L3 group are packed on wrapped lines.
 */
import { formatCpuList } from './cpulist.js';
import type { HostCpu, Topology } from './topology.js';

export function formatGiB(mib: number | null): string {
  if (mib === null) return '? GiB';
  return `${(mib / 1024).toFixed(mib >= 10 * 1024 ? 0 : 1)} GiB`;
}

/** One-line summary of a topology ("32 CPUs online, 2 NUMA nodes, 2 packages, ..."). */
export function summarizeTopology(topology: Topology): string {
  const online = topology.cpus.filter((entry) => entry.online);
  const cores = new Set(online.map((entry) => entry.siblings.join(',')));
  const packages = new Set(online.map((entry) => entry.socket));
  const maxThreads = Math.max(1, ...online.map((entry) => entry.siblings.length));
  const offline = topology.cpus.length - online.length;
  const parts = [
    `${online.length} CPUs online${offline ? ` (${offline} offline)` : ''}`,
    plural(topology.nodes.length, 'NUMA node'),
    plural(packages.size, 'package'),
    plural(topology.l3Groups.length, 'L3 group'),
    plural(cores.size, 'core'),
    maxThreads > 1 ? `SMT${maxThreads}` : 'no SMT',
  ];
  if (topology.isolated.length) parts.push(`isolated ${formatCpuList(topology.isolated)}`);
  return parts.join(', ');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function formatTopologyTree(topology: Topology, width = 80): string {
  const lines: string[] = [summarizeTopology(topology)];
  const online = topology.cpus.filter((entry) => entry.online);
  const byNode = groupBy(online, (entry) => entry.node);
  for (const node of topology.nodes) {
    const hp = Object.entries(node.hugepages)
      .filter(([, pool]) => pool.total > 0)
      .map(([sizeKiB, pool]) => `${pageLabel(Number(sizeKiB))} ${pool.free}/${pool.total} free`);
    const distances = Object.entries(node.distances)
      .map(([id, distance]) => `${id}:${distance}`)
      .join(' ');
    lines.push(
      `node ${node.id}  ${formatGiB(node.memMiB)}` +
        (node.cpus.length ? `  cpus ${formatCpuList(node.cpus)}` : '  (no CPUs: memory only)') +
        (hp.length ? `  hugepages ${hp.join(', ')}` : '') +
        (topology.nodes.length > 1 && distances ? `  distances ${distances}` : ''),
    );
    lines.push(...packageLines(byNode.get(node.id) ?? [], topology, width));
  }
  const homeless = byNode.get(null) ?? [];
  if (homeless.length) {
    lines.push(`no NUMA node (its node is offline or unlisted)  cpus ${formatCpuList(homeless.map((entry) => entry.cpu))}`);
    lines.push(...packageLines(homeless, topology, width));
  }
  const offline = topology.cpus.filter((entry) => !entry.online).map((entry) => entry.cpu);
  if (offline.length) lines.push(`offline cpus ${formatCpuList(offline)}`);
  if (topology.cpuKinds.length) {
    lines.push(
      'cpu kinds: ' +
        topology.cpuKinds.map((kind) => `${kind.label} ${formatCpuList(kind.cpus)}`).join('; ') +
        ` (from ${topology.cpuKinds[0]!.source})`,
    );
  }
  lines.push('legend: core[threads]  * isolated  ~ nohz_full');
  return lines.join('\n') + '\n';
}

function packageLines(cpus: HostCpu[], topology: Topology, width: number): string[] {
  const lines: string[] = [];
  for (const [socket, cpusOfPackage] of groupBy(cpus, (entry) => entry.socket)) {
    const dies = new Set(cpusOfPackage.map((entry) => entry.die));
    lines.push(`  package ${socket ?? '?'}${dies.size > 1 ? `  dies ${[...dies].join(',')}` : ''}`);
    for (const [l3, cpusOfL3] of groupBy(cpusOfPackage, (entry) => entry.l3)) {
      const label = l3 === null ? 'no L3 info' : `L3 #${l3}`;
      lines.push(`    ${label}  cpus ${formatCpuList(cpusOfL3.map((entry) => entry.cpu))}`);
      const cores = groupBy(cpusOfL3, (entry) => entry.siblings.join(','));
      const words = [...cores.values()].map((threads) => coreWord(threads, topology));
      lines.push(...wrapWords(words, width, '      '));
    }
  }
  return lines;
}

function coreWord(threads: HostCpu[], topology: Topology): string {
  const first = threads[0]!;
  const marks = threads.map((entry) => `${entry.cpu}${entry.isolated ? '*' : ''}${entry.nohzFull ? '~' : ''}`);
  const kind = first.kind !== null && topology.cpuKinds.length ? topology.cpuKinds[first.kind]!.label[0]!.toUpperCase() : '';
  return `c${first.core ?? '?'}${kind}[${marks.join(',')}]`;
}

function wrapWords(words: string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of words) {
    if (line.length > indent.length && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
    }
    line += (line.length > indent.length ? ' ' : '') + word;
  }
  if (line.length > indent.length) lines.push(line);
  return lines;
}

export function pageLabel(sizeKiB: number): string {
  if (sizeKiB >= 1024 * 1024) return `${sizeKiB / (1024 * 1024)}G`;
  if (sizeKiB >= 1024) return `${sizeKiB / 1024}M`;
  return `${sizeKiB}K`;
}

function groupBy<T, K>(items: T[], keyOf: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (!out.has(key)) out.set(key, []);
    out.get(key)!.push(item);
  }
  return out;
}
