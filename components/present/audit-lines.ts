/**
 * The audit checklist as lines of text (pure): category headers, rows, a row's details (evidence,
 * why, fix) wrapped to a width, the apply confirmation panel, and the scroll window that keeps
 * the selected row and its details in view. No Ink here; the screen draws these.
 */
import { fixText, stepToShell } from '../../src/audit/fix.js';
import { isProblem } from '../../src/audit/run-checks.js';
import { CATEGORIES } from '../../src/audit/types.js';
import type { AuditRow } from '../../src/state/audit-view.js';
import { wrapText } from '../../src/shared/text.js';

export type AuditLine =
  | { kind: 'category'; text: string }
  | { kind: 'row'; row: AuditRow }
  | { kind: 'detail'; text: string; color?: string };

export interface ColoredText {
  text: string;
  color?: string;
}

/** Category headers (with their problem counts), rows, and the details of expanded rows. */
export function buildAuditLines(rows: readonly AuditRow[], expanded: ReadonlySet<string>, width: number): AuditLine[] {
  const lines: AuditLine[] = [];
  for (const category of CATEGORIES) {
    const inCategory = rows.filter((row) => row.category === category);
    if (inCategory.length === 0) continue;
    const done = inCategory.filter((row) => row.result !== null).map((row) => row.result!);
    const problems = done.filter((result) => isProblem(result.status)).length;
    lines.push({ kind: 'category', text: `${category}${problems > 0 ? ` (${problems} to fix)` : ''}` });
    for (const row of inCategory) {
      lines.push({ kind: 'row', row });
      if (expanded.has(row.id)) lines.push(...detailLines(row, width - 4).map((line) => ({ ...line, text: `    ${line.text}` })));
    }
  }
  return lines;
}

/** Evidence, why and fix of a row, wrapped to `width`. */
export function detailLines(row: AuditRow | undefined, width: number): { kind: 'detail'; text: string; color?: string }[] {
  if (!row) return [];
  const out: { kind: 'detail'; text: string; color?: string }[] = [];
  const add = (label: string, text: string, color?: string) => {
    wrapText(`${label}${text}`, Math.max(10, width), ' '.repeat(Math.min(label.length, 10))).forEach((line) => out.push({ kind: 'detail', text: line, color }));
  };
  if (!row.result) {
    add('why: ', row.why);
    out.push({ kind: 'detail', text: 'checking…', color: 'gray' });
    return out;
  }
  add('found: ', row.result.evidence);
  add('why: ', row.why, 'gray');
  const fix = fixText(row.result.fix);
  if (fix === null) out.push({ kind: 'detail', text: 'fix: nothing to do', color: 'gray' });
  else {
    for (const [index, line] of fix.split('\n').entries()) add(index === 0 ? 'fix: ' : '     ', line, 'yellow');
    if (row.result.fix!.applicable) out.push({ kind: 'detail', text: 'a: apply the runtime part now (asks first)', color: 'green' });
  }
  return out;
}

/** The confirmation before applying a row's runtime fix: the exact commands, cut to `maxLines`. */
export function applyPanel(row: AuditRow | undefined, width: number, maxLines: number): ColoredText[] {
  const fix = row?.result?.fix;
  if (!row || !fix) return [];
  const lines: ColoredText[] = [{ text: `Apply the runtime fix for "${row.title}"? kvm-tui will run:`, color: 'yellow' }];
  const commands = fix.apply.flatMap((step) => wrapText(`$ ${stepToShell(step)}`, width - 2, '    ').map((text) => `  ${text}`));
  // A many-CPU host has long tee lists: keep the question and the answer keys on screen.
  const room = Math.max(1, maxLines - 3);
  const shown = commands.length > room ? [...commands.slice(0, room - 1), `  … ${commands.length - room + 1} more lines (the fix script has them all)`] : commands;
  for (const text of shown) lines.push({ text });
  if (fix.persistent.length > 0) lines.push({ text: 'The persistent part is not applied: w writes it to the fix script.', color: 'gray' });
  lines.push({ text: 'y run these commands · n cancel', color: 'yellow' });
  return lines;
}

/**
 * The first line to show so that the selected row, its details and (when it is a category's
 * first row) its header are in view, moving as little as possible from `previousOffset`.
 */
export function scrollOffset(lines: readonly AuditLine[], selectedId: string | undefined, listHeight: number, previousOffset: number): number {
  const selectedLine = lines.findIndex((line) => line.kind === 'row' && line.row.id === selectedId);
  let blockStart = selectedLine;
  if (blockStart > 0 && lines[blockStart - 1]!.kind === 'category') blockStart--;
  let blockEnd = selectedLine;
  while (blockEnd + 1 < lines.length && lines[blockEnd + 1]!.kind === 'detail') blockEnd++;
  let offset = Math.min(previousOffset, Math.max(0, lines.length - listHeight));
  if (selectedLine >= 0) {
    if (blockEnd >= offset + listHeight) offset = blockEnd - listHeight + 1;
    if (blockStart < offset || selectedLine < offset) offset = Math.min(blockStart, selectedLine);
  }
  return offset;
}

