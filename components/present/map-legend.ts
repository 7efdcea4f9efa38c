/**
 * The Plan step's map legend as lines (pure): what each mark on the core map means, then who
 * holds the CPUs marked X. It wraps between its entries instead of running off the line; when the
 * VMs that hold CPUs do not fit the rows it may use, the first ones are named and the rest
 * counted, with where the whole list is (the Topology step). Every mark is a letter, so the
 * legend reads without colour.
 */
import { formatCpuList } from '../../src/host/cpulist.js';
import type { Topology } from '../../src/host/topology.js';
import { formatHeldCpus, heldCpusByVm, summarizeTopology } from '../../src/host/topology-text.js';
import { printable, wrapText } from '../../src/shared/text.js';
import type { CoreMapLine, CpuMark, Segment } from './core-map-lines.js';

/** The marks, as the help's "map marks" line lists them. */
const MARKS: Segment[] = [
  { text: 'map:', tone: 'dim' },
  { text: 'vN vCPU', tone: 'vcpu' },
  { text: 'E emulator', tone: 'emulator' },
  { text: 'IN iothread', tone: 'iothread' },
  { text: 'N* isolated', tone: 'isolated' },
  { text: 'Nh housekeeping', tone: 'dim' },
];

/** Continuation lines start under the legend's first entry. */
const INDENT = '  ';

/** Where the whole list of held CPUs is when the legend counts some of the VMs. */
export const HELD_ELSEWHERE = '2 Topology lists them';

/**
 * The legend in at most `maxRows` lines of `width` columns (fewer when it fits). The marks come
 * first; then, when other VMs hold CPUs, "X held by N other VMs: web 2,3; db 4-7" whole if it
 * fits, else as many VMs as fit (with their CPUs, or their CPU count when the list is long) and
 * "+K more (2 Topology lists them)". Only a terminal too narrow for the count alone cuts it.
 */
export function mapLegendLines(taken: ReadonlyMap<number, string>, width: number, maxRows: number): CoreMapLine[] {
  const held = heldCpusByVm(taken).map(([who, cpus]) => ({ name: printable(who), cpus }));
  if (held.length === 0) return packMarks([], width);
  const head = `X held by ${held.length} other VM${held.length === 1 ? '' : 's'}:`;
  const entry = (vm: (typeof held)[number], form: 'cpus' | 'count') =>
    form === 'cpus' ? `${vm.name} ${formatCpuList(vm.cpus)}` : `${vm.name} (${vm.cpus.length} CPU${vm.cpus.length === 1 ? '' : 's'})`;
  const attempt = (shown: number, form: 'cpus' | 'count'): CoreMapLine[] => {
    const rest = held.length - shown;
    const entries = held.slice(0, shown).map((vm, index) => entry(vm, form) + (index < shown - 1 || rest > 0 ? ';' : ''));
    return packMarks([
      { text: shown === 0 ? `X held by ${held.length} other VM${held.length === 1 ? '' : 's'}` : head, tone: 'taken' },
      ...entries.map((text): Segment => ({ text, tone: 'taken' })),
      ...(rest > 0 ? [{ text: shown === 0 ? `(${HELD_ELSEWHERE})` : `+${rest} more (${HELD_ELSEWHERE})`, tone: 'taken' as const }] : []),
    ], width);
  };
  for (let shown = held.length; shown >= 0; shown--) {
    for (const form of ['cpus', 'count'] as const) {
      const lines = attempt(shown, form);
      if (lines.length <= maxRows) return lines;
    }
  }
  return attempt(0, 'count').slice(0, Math.max(1, maxRows));
}

/** The marks, then `rest`, packed; without the "map:" label when that saves a line (the marks alone fit 60 columns). */
function packMarks(rest: readonly Segment[], width: number): CoreMapLine[] {
  const labelled = pack([...MARKS, ...rest], width);
  const bare = pack([...MARKS.slice(1), ...rest], width);
  return bare.length < labelled.length ? bare : labelled;
}

/** Entries packed into lines (a space between two); an entry longer than a line is wrapped on its own lines. */
function pack(items: readonly Segment[], width: number): CoreMapLine[] {
  const lines: CoreMapLine[] = [];
  let line: CoreMapLine = [];
  let used = 0;
  let fresh = true;
  const newLine = () => {
    lines.push(line);
    line = [{ text: INDENT, tone: 'plain' }];
    used = INDENT.length;
    fresh = true;
  };
  for (const item of items) {
    if (!fresh && used + 1 + item.text.length > width) newLine();
    if (used + (fresh ? 0 : 1) + item.text.length <= width) {
      if (!fresh) line.push({ text: ' ', tone: 'plain' });
      line.push(item);
      used += (fresh ? 0 : 1) + item.text.length;
      fresh = false;
      continue;
    }
    // Longer than a line (a long CPU list, a long name): broken after its commas, else cut into pieces.
    const pieces = wrapText(item.text, Math.max(1, width - INDENT.length), '', 'cut', { breakAfterComma: true });
    pieces.forEach((piece, index) => {
      if (index > 0) newLine();
      line.push({ ...item, text: piece });
      used += piece.length;
      fresh = false;
    });
  }
  if (!fresh) lines.push(line);
  return lines;
}

/**
 * The Topology step's head, above its map (it scrolls with it): the host's whole summary (the
 * title line may show a shorter form) and, when other VMs hold CPUs, each VM with all its CPUs
 * (the Plan step's legend may count some of them), wrapped to `width`.
 */
export function topologyHeadLines(topology: Topology, taken: ReadonlyMap<number, string>, width: number): CoreMapLine[] {
  const lines: CoreMapLine[] = wrapText(summarizeTopology(topology), width, INDENT, 'cut', { breakAfterComma: true }).map((text) => [{ text, tone: 'plain' }]);
  const held = formatHeldCpus(taken);
  if (held.length === 0) return lines;
  const title = `held by ${held.length} other VM${held.length === 1 ? '' : 's'} (X on the map; a plan leaves these CPUs alone):`;
  for (const text of wrapText(title, width, INDENT)) lines.push([{ text, tone: 'taken' }]);
  for (const line of held) for (const text of wrapText(line, width, '      ', 'cut', { keepSpacing: true, breakAfterComma: true })) lines.push([{ text, tone: 'taken' }]);
  return lines;
}

/** The CPUs other VMs hold as core-map marks (X). */
export function heldMarks(taken: ReadonlyMap<number, string>): Map<number, CpuMark[]> {
  return new Map([...taken.keys()].map((cpu) => [cpu, [{ label: 'X', tone: 'taken' as const }]]));
}
