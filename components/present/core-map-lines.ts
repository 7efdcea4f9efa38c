/**
 * Pure layout of the core map: node > package > L3 group > core > SMT threads, as lines of
 * coloured segments that a viewport can slice. Marks (vCPU, emulator, iothread, taken by another
 * VM) are drawn on the threads they occupy. No Ink here, so it is tested as plain data.
 */
import { formatCpuList } from '../../src/host/cpulist.js';
import type { HostCpu, Topology } from '../../src/host/topology.js';
import { formatGiB, groupBy } from '../../src/host/topology-text.js';
import { pageLabel } from '../../src/shared/page-sizes.js';

export type SegmentTone = 'plain' | 'dim' | 'heading' | 'isolated' | 'vcpu' | 'emulator' | 'iothread' | 'taken' | 'warn';

export interface Segment {
  text: string;
  tone: SegmentTone;
  /** The host CPU a thread's segment draws (the editor's up/down finds CPUs by their column). */
  cpu?: number;
}

export type CoreMapLine = Segment[];

export interface CpuMark {
  /** Short label drawn after the CPU number ("v3", "E", "I0", "vm2"). */
  label: string;
  tone: 'vcpu' | 'emulator' | 'iothread' | 'taken';
}

/**
 * `cursor`: the host CPU the core-map editor points at, drawn with a ">" before its number.
 * `housekeeping`: the CPUs the host keeps for itself (the plan's), drawn with an "h" after the
 * number (as isolated ones get "*"): a mark in text, not colour alone.
 */
export function buildCoreMapLines(
  topology: Topology,
  width: number,
  marks: Map<number, CpuMark[]> = new Map(),
  cursor: number | null = null,
  housekeeping: ReadonlySet<number> = new Set(),
): CoreMapLine[] {
  const lines: CoreMapLine[] = [];
  const online = topology.cpus.filter((entry) => entry.online);
  const numberWidth = String(Math.max(0, ...topology.cpus.map((entry) => entry.cpu))).length;
  const nodeIds: Array<number | null> = topology.nodes.map((node) => node.id);
  if (online.some((entry) => entry.node === null)) nodeIds.push(null);

  for (const nodeId of nodeIds) {
    const node = topology.nodes.find((candidate) => candidate.id === nodeId);
    const cpusOfNode = online.filter((entry) => entry.node === nodeId);
    if (node) {
      const pools = Object.entries(node.hugepages)
        .map(([sizeKiB, pool]) => `${pageLabel(Number(sizeKiB))} ${pool.free}/${pool.total}`)
        .join(' ');
      lines.push([
        { text: `node ${node.id}`, tone: 'heading' },
        { text: `  ${formatGiB(node.memMiB)}${pools ? `  hugepages free/total ${pools}` : ''}`, tone: 'dim' },
        ...(cpusOfNode.length === 0 ? [{ text: '  memory only', tone: 'dim' as const }] : []),
      ]);
    } else {
      lines.push([{ text: 'no NUMA node (offline node)', tone: 'warn' }]);
    }
    for (const [socket, cpusOfPackage] of groupBy(cpusOfNode, (entry) => entry.socket)) {
      lines.push([
        { text: ` pkg ${socket ?? '?'}`, tone: 'plain' },
        { text: ` · cpus ${formatCpuList(cpusOfPackage.map((entry) => entry.cpu))}`, tone: 'dim' },
      ]);
      const blocks = [...groupBy(cpusOfPackage, (entry) => entry.l3)].map(([l3, cpusOfL3]) => {
        const label: Segment = { text: l3 === null ? 'L3 ?' : `L3#${l3}`, tone: 'dim' };
        const cells = [...groupBy(cpusOfL3, (entry) => entry.siblings.join(',')).values()].map((threads) =>
          coreCell(threads, numberWidth, marks, topology, cursor, housekeeping),
        );
        return { label, cells };
      });
      const indent = 3;
      const blockWidth = (block: (typeof blocks)[number]) =>
        block.label.text.length + 1 + block.cells.reduce((sum, cell) => sum + segmentsWidth(cell) + 1, 0);
      if (blocks.every((block) => indent + blockWidth(block) <= width)) {
        // Small L3 groups (one or a few cores each): several groups share a line.
        let line: CoreMapLine = [{ text: ' '.repeat(indent), tone: 'plain' }];
        let used = indent;
        for (const block of blocks) {
          const needed = blockWidth(block) + 1;
          if (used + needed > width && line.length > 1) {
            lines.push(line);
            line = [{ text: ' '.repeat(indent), tone: 'plain' }];
            used = indent;
          }
          line.push(block.label, { text: ' ', tone: 'plain' });
          for (const cell of block.cells) line.push(...cell, { text: ' ', tone: 'plain' });
          line.push({ text: ' ', tone: 'plain' });
          used += needed;
        }
        if (line.length > 1) lines.push(line);
        continue;
      }
      for (const block of blocks) {
        let line: CoreMapLine = [{ text: ' '.repeat(indent), tone: 'plain' }, block.label, { text: ' ', tone: 'plain' }];
        let used = indent + block.label.text.length + 1;
        const continuation = ' '.repeat(indent + block.label.text.length + 1);
        for (const cell of block.cells) {
          const cellWidth = segmentsWidth(cell) + 1;
          if (used + cellWidth > width && line.length > 3) {
            lines.push(line);
            line = [{ text: continuation, tone: 'plain' }];
            used = continuation.length;
          }
          line.push(...cell, { text: ' ', tone: 'plain' });
          used += cellWidth;
        }
        lines.push(line);
      }
    }
  }
  const offline = topology.cpus.filter((entry) => !entry.online).map((entry) => entry.cpu);
  if (offline.length) lines.push([{ text: `offline: ${formatCpuList(offline)}`, tone: 'dim' }]);
  return lines;
}

function coreCell(threads: HostCpu[], numberWidth: number, marks: Map<number, CpuMark[]>, topology: Topology, cursor: number | null, housekeeping: ReadonlySet<number>): Segment[] {
  const kind = threads[0]!.kind;
  const kindLetter = kind !== null && topology.cpuKinds[kind] ? topology.cpuKinds[kind]!.label[0]!.toUpperCase() : '';
  const out: Segment[] = [{ text: kindLetter + '[', tone: 'dim' }];
  threads.forEach((entry, index) => {
    if (index > 0) out.push({ text: '|', tone: 'dim' });
    const cpuMarks = marks.get(entry.cpu) ?? [];
    const tone: SegmentTone = cpuMarks[0]?.tone ?? (entry.isolated ? 'isolated' : 'plain');
    const label = cpuMarks.map((mark) => mark.label).join('+');
    // An isolated CPU also carries "*" (as kvm-tui topology prints it): not colour alone.
    const text = String(entry.cpu).padStart(numberWidth) + (entry.isolated ? '*' : '') + (housekeeping.has(entry.cpu) ? 'h' : '') + (label ? `:${label}` : '');
    // The editor's cursor: a ">" (readable without colour) and the warn tone.
    out.push(entry.cpu === cursor ? { text: `>${text}`, tone: 'warn', cpu: entry.cpu } : { text, tone, cpu: entry.cpu });
  });
  out.push({ text: ']', tone: 'dim' });
  return out;
}

function segmentsWidth(segments: Segment[]): number {
  return segments.reduce((sum, segment) => sum + segment.text.length, 0);
}

/**
 * The CPU the editor's cursor reaches going up or down: on the nearest line above (below) that
 * draws CPUs, the one whose column is closest to the cursor's (the left one on a tie). The
 * cursor stays where it is at the top (bottom) or when it is not drawn.
 */
export function cursorStep(lines: readonly CoreMapLine[], cpu: number, direction: 'up' | 'down'): number {
  const placed: Array<{ line: number; column: number; cpu: number }> = [];
  lines.forEach((line, lineIndex) => {
    let column = 0;
    for (const segment of line) {
      // The cursor's ">" does not move its CPU's column.
      if (segment.cpu !== undefined) placed.push({ line: lineIndex, column: column + (segment.text.startsWith('>') ? 1 : 0), cpu: segment.cpu });
      column += segment.text.length;
    }
  });
  const from = placed.find((entry) => entry.cpu === cpu);
  if (!from) return cpu;
  const step = direction === 'up' ? -1 : 1;
  for (let line = from.line + step; line >= 0 && line < lines.length; line += step) {
    const onLine = placed.filter((entry) => entry.line === line);
    if (onLine.length === 0) continue;
    onLine.sort((a, b) => Math.abs(a.column - from.column) - Math.abs(b.column - from.column) || a.column - b.column);
    return onLine[0]!.cpu;
  }
  return cpu;
}
