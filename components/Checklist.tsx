/**
 * The host audit checklist: the wizard's first step and the guided setup. Rows appear as checks
 * finish (a spinner on pending ones), grouped by category, with a summary line. ↑/↓ move, Enter
 * or Space expands a row (evidence, why, fix), `p` shows only problems, `w` writes every fix into
 * a shell script for review, `a` applies a row's runtime fix after showing its exact commands and
 * asking y/n, then re-runs that check. Persistent changes only ever go to the script.
 *
 * `Checklist` is presentational: rows, the applier and the script writer come in as props.
 * `AuditChecklist` wires it to the real checks through the useAudit hook.
 */
import React, { useMemo, useRef, useState } from 'react';
import { Box, Text, useInput, type Key } from 'ink';
import Spinner from 'ink-spinner';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeApplyFix, type ApplyFix } from '../src/audit/apply-fix.js';
import { ALL_CHECKS } from '../src/audit/checks/index.js';
import { fixText, stepToShell } from '../src/audit/fix.js';
import { buildFixScript, DEFAULT_FIX_SCRIPT, writeFixScript } from '../src/audit/fix-script.js';
import { buildProbeContext } from '../src/audit/probe-context.js';
import { countStatuses, formatSummary, isProblem } from '../src/audit/run-checks.js';
import { CATEGORIES, type Check, type CheckResult, type CheckStatus } from '../src/audit/types.js';
import { HostFs } from '../src/host/host-fs.js';
import { runCommand } from '../src/run/run-command.js';
import { useAudit, type AuditRow } from './use-audit.js';

export type { AuditRow } from './use-audit.js';

/** Writes the script; throws FixScriptExists when the file is there and overwrite is false. */
export type WriteScript = (file: string, content: string, options: { overwrite: boolean }) => string;

export interface ChecklistProps {
  rows: AuditRow[];
  width: number;
  height: number;
  /** Runs an applicable fix's commands; absent (e.g. on a captured host) disables `a`. */
  applyFix?: ApplyFix;
  /** Why applying is unavailable, shown when `a` is pressed without `applyFix`. */
  applyDisabledReason?: string;
  /** Re-runs one check after a fix; resolves with its new result. */
  rerun?: (id: string) => Promise<CheckResult | null>;
  writeScript?: WriteScript;
  /** Where `w` writes; default ./kvm-tui-fixes.sh. */
  scriptPath?: string;
  /** For the script header; tests pass a fixed clock. */
  now?: () => Date;
  /** Esc: leave the screen (the wizard frame handles q itself). */
  onExit?: () => void;
  /** `c`: go on to the next wizard step. */
  onContinue?: () => void;
}

const BADGE: Record<CheckStatus, { label: string; color: string }> = {
  pass: { label: 'PASS', color: 'green' },
  warn: { label: 'WARN', color: 'yellow' },
  fail: { label: 'FAIL', color: 'red' },
  info: { label: 'INFO', color: 'cyan' },
  skip: { label: 'SKIP', color: 'gray' },
};

/** At this width the details of the selected row get their own pane beside the list. */
export const WIDE_LAYOUT_MIN_COLUMNS = 120;

type Mode =
  | { kind: 'list' }
  | { kind: 'confirm-apply'; id: string }
  | { kind: 'applying'; id: string }
  | { kind: 'confirm-overwrite'; file: string; alternative: string };

type Line =
  | { kind: 'category'; text: string }
  | { kind: 'row'; row: AuditRow }
  | { kind: 'detail'; text: string; color?: string };

export function Checklist(props: ChecklistProps) {
  const { rows, width, height } = props;
  // The state only triggers a render; selectedRef is the selection (see below).
  const [, setSelectedId] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [onlyProblems, setOnlyProblems] = useState(false);
  const [mode, setModeState] = useState<Mode>({ kind: 'list' });
  // Like the selection, the mode is read through a ref so a key right after another sees it.
  const modeRef = useRef<Mode>(mode);
  const setMode = (next: Mode) => {
    modeRef.current = next;
    setModeState(next);
  };
  const [message, setMessage] = useState<{ text: string; color?: string } | null>(null);
  const offsetRef = useRef(0);

  const wide = width >= WIDE_LAYOUT_MIN_COLUMNS;
  const visible = useMemo(
    () => orderRows(rows).filter((row) => !onlyProblems || row.result === null || isProblem(row.result.status)),
    [rows, onlyProblems],
  );
  // Keys can arrive faster than renders: moves and toggles read the latest selection from refs,
  // not from this render's closure, so two quick ↓ move two rows.
  const visibleRef = useRef(visible);
  visibleRef.current = visible;
  const selectedRef = useRef<string | null>(null);
  const currentRow = (): AuditRow | undefined => {
    const rowsNow = visibleRef.current;
    return rowsNow.find((row) => row.id === selectedRef.current) ?? rowsNow[0];
  };
  const selected = currentRow();
  const finished = rows.filter((row) => row.result !== null).map((row) => row.result!);
  const pending = rows.length - finished.length;

  const move = (target: (index: number, count: number) => number) => {
    const rowsNow = visibleRef.current;
    if (rowsNow.length === 0) return;
    const index = Math.max(0, rowsNow.findIndex((row) => row.id === currentRow()?.id));
    const next = rowsNow[Math.min(Math.max(target(index, rowsNow.length), 0), rowsNow.length - 1)]!;
    selectedRef.current = next.id;
    setSelectedId(next.id);
  };

  const writeScript = (overwrite: boolean, file = props.scriptPath ?? `./${DEFAULT_FIX_SCRIPT}`) => {
    const write = props.writeScript ?? ((target, content, options) => writeFixScript(target, content, options));
    const withFixes = finished.filter((result) => result.fix !== null && result.status !== 'pass');
    try {
      const written = write(file, buildFixScript(finished, props.now?.() ?? new Date()), { overwrite });
      setMode({ kind: 'list' });
      setMessage({ text: `wrote ${written} (${withFixes.length} fixes): review it, then run it as root`, color: 'green' });
    } catch (error) {
      if ((error as { target?: string }).target !== undefined || /already exists/.test((error as Error).message)) {
        setMode({ kind: 'confirm-overwrite', file, alternative: nextFreeName(file) });
        return;
      }
      setMode({ kind: 'list' });
      setMessage({ text: `could not write ${file}: ${(error as Error).message}`, color: 'red' });
    }
  };

  const startApply = () => {
    const selected = currentRow();
    const result = selected?.result;
    if (!selected || !result) return;
    if (!result.fix || !result.fix.applicable) {
      setMessage({ text: `${selected.id}: nothing kvm-tui can apply${result.fix ? ' (w: fix script)' : ''}` });
      return;
    }
    if (!props.applyFix) {
      setMessage({ text: props.applyDisabledReason ?? 'applying fixes is not available here', color: 'yellow' });
      return;
    }
    setMode({ kind: 'confirm-apply', id: selected.id });
  };

  const runApply = async (id: string) => {
    const row = rows.find((entry) => entry.id === id);
    const fix = row?.result?.fix;
    if (!row || !fix || !props.applyFix) return;
    setMode({ kind: 'applying', id });
    const before = row.result!.status;
    const outcome = await props.applyFix(fix);
    setMode({ kind: 'list' });
    if (!outcome.ok) {
      setMessage({ text: `${id}: ${outcome.error ?? 'failed'}`, color: 'red' });
      return;
    }
    setMessage({ text: `${id}: applied, re-checking…` });
    const after = (await props.rerun?.(id)) ?? null;
    setMessage(
      after
        ? { text: `${id}: applied; ${before} → ${after.status}`, color: after.status === 'pass' ? 'green' : 'yellow' }
        : { text: `${id}: applied` },
    );
  };

  const handleKey = (input: string, key: Key) => {
    const mode = modeRef.current;
    if (mode.kind === 'applying') return;
    if (mode.kind === 'confirm-apply') {
      if (input === 'y' || input === 'Y') void runApply(mode.id);
      else if (input === 'n' || input === 'N' || key.escape) {
        setMode({ kind: 'list' });
        setMessage({ text: 'not applied' });
      }
      return;
    }
    if (mode.kind === 'confirm-overwrite') {
      if (input === 'o' || input === 'O') writeScript(true, mode.file);
      else if (input === 'n' || input === 'N') writeScript(false, mode.alternative);
      else if (key.escape) {
        setMode({ kind: 'list' });
        setMessage({ text: 'script not written' });
      }
      return;
    }
    const page = Math.max(1, listHeight - 2);
    if (key.upArrow || input === 'k') move((index) => index - 1);
    else if (key.downArrow || input === 'j') move((index) => index + 1);
    else if (key.pageUp) move((index) => index - page);
    else if (key.pageDown) move((index) => index + page);
    else if (input === 'g' || key.home) move(() => 0);
    else if (input === 'G' || key.end) move((_, count) => count - 1);
    else if (key.return || input === ' ') {
      const row = currentRow();
      if (!row) return;
      setExpanded((previous) => {
        const next = new Set(previous);
        if (next.has(row.id)) next.delete(row.id);
        else next.add(row.id);
        return next;
      });
    } else if (input === 'p') {
      setOnlyProblems((value) => !value);
      setMessage(null);
    } else if (input === 'w') writeScript(false);
    else if (input === 'a') startApply();
    else if (input === 'c' && props.onContinue) props.onContinue();
    else if (key.escape && props.onExit) props.onExit();
  };
  useInput((input, key) => {
    // A slow render lets typed keys pile up and arrive as one chunk ("jjj"): handle each one.
    const plainChars = input.length > 1 && !key.ctrl && !key.meta && !key.escape && !key.return && /^[\x20-\x7e]+$/.test(input);
    if (plainChars) for (const char of input) handleKey(char, { ...key, return: false });
    else handleKey(input, key);
  });

  // Layout: header, list (scrolled), optional confirmation panel, message line, key help.
  const panel = mode.kind === 'confirm-apply' || mode.kind === 'applying' ? applyPanel(rows.find((row) => row.id === mode.id), width, height - 6) : [];
  const footer =
    mode.kind === 'confirm-overwrite'
      ? { text: `${path.basename(mode.file)} exists: o overwrite · n write ${path.basename(mode.alternative)} · esc cancel`, color: 'yellow' }
      : message;
  // Errors can be long (a command and its stderr): up to three wrapped lines, taken from the list.
  const footerLines = mode.kind === 'applying' ? [''] : wrapText(footer?.text ?? '', width).slice(0, 3);
  const listHeight = Math.max(3, height - 2 - footerLines.length - panel.length);
  const listWidth = wide ? Math.max(60, Math.floor(width * 0.55)) : width;
  const detailWidth = wide ? width - listWidth - 1 : 0;

  const lines = buildLines(visible, wide ? new Set() : expanded, listWidth);
  const selectedLine = lines.findIndex((line) => line.kind === 'row' && line.row.id === selected?.id);
  // The selected row with its details (and its category header when it is the first row).
  let blockStart = selectedLine;
  if (blockStart > 0 && lines[blockStart - 1]!.kind === 'category') blockStart--;
  let blockEnd = selectedLine;
  while (blockEnd + 1 < lines.length && lines[blockEnd + 1]!.kind === 'detail') blockEnd++;
  let offset = Math.min(offsetRef.current, Math.max(0, lines.length - listHeight));
  if (selectedLine >= 0) {
    if (blockEnd >= offset + listHeight) offset = blockEnd - listHeight + 1;
    if (blockStart < offset || selectedLine < offset) offset = Math.min(blockStart, selectedLine);
  }
  offsetRef.current = offset;
  const shown = lines.slice(offset, offset + listHeight);

  const counts = countStatuses(finished);
  const header = `Host audit · ${formatSummary(counts, pending)}${onlyProblems ? ' · problems only' : ''}`;
  const help = `↑↓ move  ⏎ details  p ${onlyProblems ? 'all rows' : 'problems'}  w write fix script  a apply${props.onContinue ? '  c continue' : ''}${props.onExit ? '  esc back' : ''}`;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate-end" bold>
        {header}
        {pending > 0 ? ' ' : ''}
        {pending > 0 ? <Spinner type="dots" /> : null}
      </Text>
      <Box flexDirection="row" height={listHeight}>
        <Box flexDirection="column" width={listWidth}>
          {shown.map((line, index) => (
            <ListLine key={`${offset + index}`} line={line} selectedId={selected?.id} width={listWidth} expanded={expanded} wide={wide} />
          ))}
        </Box>
        {wide ? (
          <Box flexDirection="column" width={detailWidth} marginLeft={1}>
            {[
              ...(selected ? [{ text: `${selected.title} [${selected.id}]`, color: 'blue' as string | undefined }] : []),
              ...detailLines(selected, detailWidth),
            ]
              .slice(0, listHeight)
              .map((line, index) => (
                <Text key={index} wrap="truncate-end" color={line.color}>
                  {line.text || ' '}
                </Text>
              ))}
          </Box>
        ) : null}
      </Box>
      {panel.map((line, index) => (
        <Text key={`panel-${index}`} wrap="truncate-end" color={line.color}>
          {line.text || ' '}
        </Text>
      ))}
      {mode.kind === 'applying' ? (
        <Text>
          <Spinner type="dots" /> applying…
        </Text>
      ) : (
        footerLines.map((line, index) => (
          <Text key={`footer-${index}`} wrap="truncate-end" color={footer?.color}>
            {line || ' '}
          </Text>
        ))
      )}
      <Text wrap="truncate-end" color="gray">
        {help}
      </Text>
    </Box>
  );
}

function ListLine({ line, selectedId, width, expanded, wide }: { line: Line; selectedId?: string; width: number; expanded: ReadonlySet<string>; wide: boolean }) {
  if (line.kind === 'category') {
    return (
      <Text wrap="truncate-end" bold color="blue">
        {line.text}
      </Text>
    );
  }
  if (line.kind === 'detail') {
    return (
      <Text wrap="truncate-end" color={line.color}>
        {line.text || ' '}
      </Text>
    );
  }
  const row = line.row;
  const isSelected = row.id === selectedId;
  const marker = isSelected ? '›' : ' ';
  const fold = wide ? ' ' : expanded.has(row.id) ? '▾' : '▸';
  const titleWidth = Math.min(46, Math.max(20, Math.floor(width * 0.45)));
  const title = fit(row.title, titleWidth);
  if (row.result === null) {
    return (
      <Text wrap="truncate-end">
        <Text inverse={isSelected}>{`${marker}${fold} `}</Text>
        <Text color="gray">
          <Spinner type="dots" />
        </Text>
        <Text inverse={isSelected}>{`    ${title} `}</Text>
        <Text color="gray">checking…</Text>
      </Text>
    );
  }
  const badge = BADGE[row.result.status];
  // One Text per line: nested spans stay on one row and the whole line truncates at the edge.
  return (
    <Text wrap="truncate-end">
      <Text inverse={isSelected}>{`${marker}${fold} `}</Text>
      <Text color={badge.color} bold>
        {badge.label}
      </Text>
      <Text inverse={isSelected}>{` ${title} `}</Text>
      <Text color="gray">{row.result.evidence}</Text>
    </Text>
  );
}

/** Category order, then the checks' own order within each. */
function orderRows(rows: AuditRow[]): AuditRow[] {
  return CATEGORIES.flatMap((category) => rows.filter((row) => row.category === category));
}

function buildLines(rows: AuditRow[], expanded: ReadonlySet<string>, width: number): Line[] {
  const lines: Line[] = [];
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
function detailLines(row: AuditRow | undefined, width: number): { kind: 'detail'; text: string; color?: string }[] {
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

function applyPanel(row: AuditRow | undefined, width: number, maxLines: number): { text: string; color?: string }[] {
  const fix = row?.result?.fix;
  if (!row || !fix) return [];
  const lines: { text: string; color?: string }[] = [{ text: `Apply the runtime fix for "${row.title}"? kvm-tui will run:`, color: 'yellow' }];
  const commands = fix.apply.flatMap((step) => wrapText(`$ ${stepToShell(step)}`, width - 2, '    ').map((text) => `  ${text}`));
  // A many-CPU host has long tee lists: keep the question and the answer keys on screen.
  const room = Math.max(1, maxLines - 3);
  const shown = commands.length > room ? [...commands.slice(0, room - 1), `  … ${commands.length - room + 1} more lines (the fix script has them all)`] : commands;
  for (const text of shown) lines.push({ text });
  if (fix.persistent.length > 0) lines.push({ text: 'The persistent part is not applied: w writes it to the fix script.', color: 'gray' });
  lines.push({ text: 'y run these commands · n cancel', color: 'yellow' });
  return lines;
}

/** Word wrap; words longer than the width are cut. Continuation lines get `indent`. */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const prefix = lines.length === 0 && line === '' ? '' : line === '' ? indent : '';
    const candidate = line === '' ? `${prefix}${word}` : `${line} ${word}`;
    if (candidate.length <= width) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    let rest = `${lines.length === 0 ? '' : indent}${word}`;
    while (rest.length > width) {
      lines.push(rest.slice(0, width));
      rest = indent + rest.slice(width);
    }
    line = rest;
  }
  if (line !== '') lines.push(line);
  return lines.length > 0 ? lines : [''];
}

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** kvm-tui-fixes.sh -> kvm-tui-fixes-2.sh (the first that does not exist). */
function nextFreeName(file: string): string {
  const ext = path.extname(file);
  const base = file.slice(0, file.length - ext.length);
  for (let n = 2; n < 1000; n++) {
    const candidate = `${base}-${n}${ext}`;
    if (!fs.existsSync(candidate)) return candidate;
  }
  return `${base}-${Date.now()}${ext}`;
}

export interface AuditChecklistProps {
  hostFs: HostFs;
  capturedRoot: boolean;
  env: NodeJS.ProcessEnv;
  width: number;
  height: number;
  checks?: readonly Check[];
  scriptPath?: string;
  onExit?: () => void;
  onContinue?: () => void;
}

/** The checklist on the real checks (what the wizard shows as its first step). */
export function AuditChecklist(props: AuditChecklistProps) {
  const checks = props.checks ?? ALL_CHECKS;
  const { hostFs, capturedRoot, env } = props;
  const makeContext = useMemo(
    () => () => {
      // A fresh HostFs per run: a re-check after a fix must see the new values, not cached errors.
      return buildProbeContext({ hostFs: new HostFs(hostFs.root), capturedRoot, env });
    },
    [hostFs, capturedRoot, env],
  );
  const audit = useAudit({ checks, makeContext });
  const applyFix = useMemo(() => (capturedRoot ? undefined : makeApplyFix(runCommand)), [capturedRoot]);
  return (
    <Checklist
      rows={audit.rows}
      width={props.width}
      height={props.height}
      applyFix={applyFix}
      applyDisabledReason={capturedRoot ? 'captured host (--root): fixes cannot be applied to it; w writes them to a script' : undefined}
      rerun={audit.rerun}
      scriptPath={props.scriptPath}
      onExit={props.onExit}
      onContinue={props.onContinue}
    />
  );
}
