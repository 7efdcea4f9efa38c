/**
 * The readable topology tree: node > package > L3 group > cores. Pure string output.
 *
 * Big hosts stay compact because regular layouts are summarised instead of listed: an L3 group
 * whose cores all look alike (same thread count, same sibling spacing, one CPU kind, nothing
 * isolated) is one line ("16 cores x 2 threads, siblings N and N+256"), a package with a single
 * such group shares its line, and runs of one-core L3 groups (POWER's per-core L3) collapse into
 * one wrapped list. Anything irregular is listed core by core, because that is where a reader
 * needs to see the detail.
 */
import { formatCpuList } from './cpulist.js';
import type { HostCpu, Topology } from './topology.js';
import { pageLabel } from '../shared/page-sizes.js';
import { wrapText } from '../shared/text.js';

export function formatGiB(mib: number | null): string {
  if (mib === null) return '? GiB';
  return `${(mib / 1024).toFixed(mib >= 10 * 1024 ? 0 : 1)} GiB`;
}

/** One-line summary of a topology ("32 CPUs online, 2 NUMA nodes, 2 packages, ..."). */
export function summarizeTopology(topology: Topology): string {
  return summarizeTopologyForms(topology)[0]!;
}

/**
 * The summary in forms from the longest to the shortest, for a line of fixed width (the
 * wizard's title): the whole one, then the same with short words ("8 nodes, 2 pkgs, 16 L3s"),
 * then without the L3 groups, the packages, the cores (the CPU count and SMT say most of it),
 * then the isolated CPUs as a count. The CPU count, the nodes and SMT are in every form;
 * `formatTopologyTree` (the Topology step's head, kvm-tui topology) always has the whole one.
 */
export function summarizeTopologyForms(topology: Topology): string[] {
  const online = topology.cpus.filter((entry) => entry.online);
  const cores = new Set(online.map((entry) => entry.siblings.join(',')));
  const packageIds = new Set(online.map((entry) => entry.socket));
  const maxThreads = Math.max(1, ...online.map((entry) => entry.siblings.length));
  const offline = topology.cpus.length - online.length;
  const smt = maxThreads > 1 ? `SMT${maxThreads}` : 'no SMT';
  const isolated = topology.isolated.length ? formatCpuList(topology.isolated) : null;
  // Package id -1 (POWER, some VMs) says nothing about how many packages there are.
  const packages = (short: boolean) => (packageIds.has(null) ? (short ? 'pkgs ?' : 'packages unknown') : short ? `${packageIds.size} pkg${packageIds.size === 1 ? '' : 's'}` : plural(packageIds.size, 'package'));
  const full = [
    `${online.length} CPUs online${offline ? ` (${offline} offline)` : ''}`,
    plural(topology.nodes.length, 'NUMA node'),
    packages(false),
    plural(topology.l3Groups.length, 'L3 group'),
    plural(cores.size, 'core'),
    smt,
    ...(isolated ? [`isolated ${isolated}`] : []),
  ];
  const short = (drop: { l3?: boolean; packages?: boolean; cores?: boolean; isolatedCount?: boolean }) => [
    `${online.length} CPUs${offline ? ` (${offline} offline)` : ''}`,
    plural(topology.nodes.length, 'node'),
    ...(drop.packages ? [] : [packages(true)]),
    ...(drop.l3 ? [] : [`${topology.l3Groups.length} L3${topology.l3Groups.length === 1 ? '' : 's'}`]),
    ...(drop.cores ? [] : [plural(cores.size, 'core')]),
    smt,
    ...(isolated ? [drop.isolatedCount ? `${topology.isolated.length} isolated` : `isolated ${isolated}`] : []),
  ];
  const forms = [
    full,
    short({}),
    short({ l3: true }),
    short({ l3: true, packages: true }),
    short({ l3: true, packages: true, cores: true }),
    short({ l3: true, packages: true, cores: true, isolatedCount: true }),
  ].map((parts) => parts.join(', '));
  return forms.filter((form, index) => forms.indexOf(form) === index);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function formatTopologyTree(topology: Topology, width = 80): string {
  const lines: string[] = wrapLine(summarizeTopology(topology), width, '  ');
  const online = topology.cpus.filter((entry) => entry.online);
  const byNode = groupBy(online, (entry) => entry.node);
  const headers = topology.nodes.map((node) => {
    const hp = Object.entries(node.hugepages)
      .filter(([, pool]) => pool.total > 0)
      .map(([sizeKiB, pool]) => `${pageLabel(Number(sizeKiB))} ${pool.free}/${pool.total} free`);
    return (
      `node ${node.id}  ${formatGiB(node.memMiB)}` +
      (node.cpus.length ? `  cpus ${formatCpuList(node.cpus)}` : '  (no CPUs: memory only)') +
      (hp.length ? `  hugepages ${hp.join(', ')}` : '')
    );
  });
  const distanceTexts = topology.nodes.map((node) => (topology.nodes.length > 1 ? describeDistances(node.id, node.distances) : ''));
  // Distances go on the node lines when every one fits, else on their own line under each:
  // one layout for the whole output, so the eye finds them in the same place.
  const inline = headers.every((header, index) => !distanceTexts[index] || `${header}  ${distanceTexts[index]}`.length <= width);
  topology.nodes.forEach((node, index) => {
    const distances = distanceTexts[index]!;
    if (inline || !distances) {
      lines.push(...wrapLine(headers[index]! + (distances ? `  ${distances}` : ''), width, '    '));
    } else {
      lines.push(...wrapLine(headers[index]!, width, '    '));
      lines.push(...wrapLine(`  ${distances}`, width, '    '));
    }
    lines.push(...packageLines(byNode.get(node.id) ?? [], topology, width));
  });
  const homeless = byNode.get(null) ?? [];
  if (homeless.length) {
    const homelessCpus = formatCpuList(homeless.map((entry) => entry.cpu));
    lines.push(...wrapLine(`no NUMA node (its node is offline or unlisted)  cpus ${homelessCpus}`, width, '    '));
    lines.push(...packageLines(homeless, topology, width));
  }
  const offline = topology.cpus.filter((entry) => !entry.online).map((entry) => entry.cpu);
  if (offline.length) lines.push(...wrapLine(`offline cpus ${formatCpuList(offline)}`, width, '  '));
  if (topology.cpuKinds.length) {
    const kinds = topology.cpuKinds.map((kind) => `${kind.label} (${kind.value}) ${formatCpuList(kind.cpus)}`);
    lines.push(...wrapLine(`cpu kinds from ${topology.cpuKinds[0]!.source}: ${kinds.join('; ')}`, width, '  '));
  }
  lines.push(...wrapLine('legend: c<core id>[threads]  * isolated  ~ nohz_full  E/P cpu kind', width, '  '));
  return lines.join('\n') + '\n';
}

/** "distances: 12 to 1-3, 32 to 4-7": other nodes grouped by distance, nearest first. */
function describeDistances(nodeId: number, distances: Record<string, number>): string {
  const byDistance = new Map<number, number[]>();
  for (const [id, distance] of Object.entries(distances)) {
    if (Number(id) === nodeId) continue;
    if (!byDistance.has(distance)) byDistance.set(distance, []);
    byDistance.get(distance)!.push(Number(id));
  }
  if (byDistance.size === 0) return '';
  const parts = [...byDistance.entries()]
    .sort(([a], [b]) => a - b)
    .map(([distance, ids]) => `${distance} to ${formatCpuList(ids)}`);
  return `distances: ${parts.join(', ')}`;
}

interface Block {
  l3: number | null;
  cpus: HostCpu[];
  cores: HostCpu[][];
  /** One-line description when the cores are regular, else null. */
  summary: string | null;
}

function packageLines(cpus: HostCpu[], topology: Topology, width: number): string[] {
  const lines: string[] = [];
  for (const [socket, cpusOfPackage] of groupBy(cpus, (entry) => entry.socket)) {
    const dies = new Set(cpusOfPackage.map((entry) => entry.die));
    const packageLabel = `  package ${socket ?? '?'}${dies.size > 1 ? `  dies ${[...dies].join(',')}` : ''}`;
    const blocks: Block[] = [...groupBy(cpusOfPackage, (entry) => entry.l3)].map(([l3, cpusOfL3]) => {
      const cores = [...groupBy(cpusOfL3, (entry) => entry.siblings.join(',')).values()];
      return { l3, cpus: cpusOfL3, cores, summary: describeRegularCores(cores) };
    });
    const only = blocks.length === 1 ? blocks[0]! : null;
    if (only?.summary) {
      lines.push(...wrapLine(`${packageLabel}  ${blockLabel(only)}  ${only.summary}`, width, '      '));
      continue;
    }
    lines.push(...wrapLine(`${packageLabel}  cpus ${formatCpuList(cpusOfPackage.map((entry) => entry.cpu))}`, width, '      '));
    for (let index = 0; index < blocks.length; ) {
      const run = singleCoreRun(blocks, index);
      if (run.length >= 3) {
        const first = run[0]!;
        const ids = `#${first.l3}-${run.at(-1)!.l3}`;
        const head = `${run.length} L3 groups (${ids}), each 1 core x ${first.cores[0]!.length} threads:`;
        const words = run.map((block) => formatCpuList(block.cpus.map((entry) => entry.cpu)));
        lines.push(...wrapWords([...head.split(' '), ...words], width, '    ', '      '));
        index += run.length;
        continue;
      }
      const block = blocks[index]!;
      lines.push(...wrapLine(`    ${blockLabel(block)}${block.summary ? `  ${block.summary}` : ''}`, width, '      '));
      if (!block.summary) {
        lines.push(...wrapWords(block.cores.map((threads) => coreWord(threads, topology)), width, '      ', '      '));
      }
      index++;
    }
  }
  return lines;
}

function blockLabel(block: Block): string {
  const cpuText = `cpus ${formatCpuList(block.cpus.map((entry) => entry.cpu))}`;
  return block.l3 === null ? `${cpuText}  no L3 info` : `L3 #${block.l3}  ${cpuText}`;
}

/** Blocks from `start` on that each hold one core, with the same thread count: POWER's per-core L3. */
function singleCoreRun(blocks: Block[], start: number): Block[] {
  const run: Block[] = [];
  for (let index = start; index < blocks.length; index++) {
    const block = blocks[index]!;
    if (block.l3 === null || block.cores.length !== 1 || !block.summary) break;
    if (run.length && block.cores[0]!.length !== run[0]!.cores[0]!.length) break;
    run.push(block);
  }
  return run;
}

/**
 * "16 cores x 2 threads, siblings N and N+256" when every core has the same thread count and
 * the same spacing between its threads, one CPU kind and no isolation marks; else null.
 */
function describeRegularCores(cores: HostCpu[][]): string | null {
  const threadCount = cores[0]!.length;
  const offsetsOf = (threads: HostCpu[]) => threads.map((entry) => entry.cpu - threads[0]!.cpu).join(',');
  const offsets = offsetsOf(cores[0]!);
  const kind = cores[0]![0]!.kind;
  for (const threads of cores) {
    if (threads.length !== threadCount || offsetsOf(threads) !== offsets) return null;
    if (threads.some((entry) => entry.isolated || entry.nohzFull || entry.kind !== kind)) return null;
  }
  const head = `${plural(cores.length, 'core')} x ${plural(threadCount, 'thread')}`;
  if (threadCount === 1) return head;
  const steps = offsets.split(',').map(Number);
  const adjacent = steps.every((step, index) => step === index);
  if (adjacent) return cores.length === 1 ? head : `${head}, siblings adjacent`;
  return `${head}, siblings ${steps.map((step) => (step === 0 ? 'N' : `N+${step}`)).join(steps.length === 2 ? ' and ' : ',')}`;
}

function coreWord(threads: HostCpu[], topology: Topology): string {
  const first = threads[0]!;
  const marks = threads.map((entry) => `${entry.cpu}${entry.isolated ? '*' : ''}${entry.nohzFull ? '~' : ''}`);
  const kind = first.kind !== null && topology.cpuKinds.length ? topology.cpuKinds[first.kind]!.label[0]!.toUpperCase() : '';
  return `c${first.core ?? '?'}${kind}[${marks.join(',')}]`;
}

/**
 * One long line broken at spaces, or after a comma inside a long CPU list, continuing with
 * `nextIndent`; its own spacing (indent, column gaps) kept, numbers never cut.
 */
function wrapLine(text: string, width: number, nextIndent: string): string[] {
  return wrapText(text, width, nextIndent, 'overflow', { keepSpacing: true, breakAfterComma: true });
}

/** Words packed into lines of at most `width` after `indent` (a longer single word gets its own line). */
function wrapWords(words: string[], width: number, indent: string, nextIndent: string): string[] {
  return words.length === 0 ? [] : wrapText(indent + words.join(' '), width, nextIndent, 'overflow', { keepSpacing: true });
}

/** Items grouped by key, groups and items in first-seen order. */
export function groupBy<T, K>(items: T[], keyOf: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (!out.has(key)) out.set(key, []);
    out.get(key)!.push(item);
  }
  return out;
}

/**
 * CPUs other VMs hold, one line per VM (`  "web"  CPUs 2-3`), names quoted so no name can fake a
 * line; [] when none. What plan and topology print under "held by other VMs".
 */
export function formatHeldCpus(taken: ReadonlyMap<number, string>): string[] {
  return heldCpusByVm(taken).map(([name, cpus]) => `  ${JSON.stringify(name)}  CPU${cpus.length === 1 ? '' : 's'} ${formatCpuList(cpus)}`);
}

/** The held CPUs grouped by who holds them, each VM's CPUs ascending, VMs by their first CPU. */
export function heldCpusByVm(taken: ReadonlyMap<number, string>): Array<[string, number[]]> {
  const byVm = new Map<string, number[]>();
  for (const [cpu, name] of [...taken].sort((a, b) => a[0] - b[0])) byVm.set(name, [...(byVm.get(name) ?? []), cpu]);
  return [...byVm];
}
