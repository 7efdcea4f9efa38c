/**
 * The host audit checklist: the wizard's first step and the guided setup. Rows appear as checks
 * finish (a spinner on pending ones), grouped by category, with a summary line. ↑/↓ move, Enter
 * or Space expands a row (evidence, why, fix), `p` shows only problems, `w` writes every fix into
 * a shell script for review, `a` applies a row's runtime fix after showing its exact commands and
 * asking y/n, then re-runs that check. Persistent changes only ever go to the script.
 *
 * `ChecklistView` only renders: rows and view state in, keys out as actions (decided by
 * src/state/audit-view.ts). `Checklist` is the same view with its own state and effects, for use
 * outside the wizard (and in tests).
 */
import React, { useReducer, useRef, type Dispatch } from 'react';
import { Box, Text, useInput } from 'ink';
import Spinner from 'ink-spinner';
import * as path from 'node:path';
import type { ApplyFix } from '../../src/audit/apply-fix.js';
import { DEFAULT_FIX_SCRIPT } from '../../src/audit/fix-script.js';
import { countStatuses, formatSummary } from '../../src/audit/run-checks.js';
import type { CheckResult } from '../../src/audit/types.js';
import { STATUS_BADGE } from '../../src/audit/status-badge.js';
import {
  auditViewReducer,
  initialAuditView,
  selectedRow,
  visibleRows,
  type AuditKeyContext,
  type AuditRow,
  type AuditViewAction,
  type AuditViewState,
} from '../../src/state/audit-view.js';
import { splitKeyChunk } from '../../src/state/keys.js';
import { useAuditEffects, type WriteScript } from '../hooks/use-audit-effects.js';
import { applyPanel, buildAuditLines, detailLines, scrollOffset, type AuditLine } from '../present/audit-lines.js';
import { fit, wrapText } from '../../src/shared/text.js';

export type { AuditRow } from '../../src/state/audit-view.js';
export type { WriteScript } from '../hooks/use-audit-effects.js';


/** At this width the details of the selected row get their own pane beside the list. */
export const WIDE_LAYOUT_MIN_COLUMNS = 120;

export interface ChecklistViewProps {
  rows: readonly AuditRow[];
  view: AuditViewState;
  dispatch: Dispatch<AuditViewAction>;
  width: number;
  height: number;
  /** Where `w` writes. */
  scriptPath: string;
  canApply: boolean;
  applyDisabledReason: string | null;
  /** Whether `c` (go on to the next step) and Esc (leave) mean something here. */
  canContinue: boolean;
  canExit: boolean;
  /** Whether this screen takes keys (false while another screen is shown). */
  active?: boolean;
}

export function ChecklistView(props: ChecklistViewProps) {
  const { rows, view, dispatch, width, height } = props;
  const mode = view.mode;
  // The scroll position is where the last frame was, kept so the list moves as little as
  // possible; it is presentation, not state (the selection lives in the reducer).
  const offsetRef = useRef(0);

  const wide = width >= WIDE_LAYOUT_MIN_COLUMNS;
  const visible = visibleRows(rows, view.onlyProblems, view.filter);
  const selected = selectedRow(rows, view);
  const finished = rows.filter((row) => row.result !== null).map((row) => row.result!);
  const pending = rows.length - finished.length;

  // Layout: header, list (scrolled), optional confirmation panel, message line, key help.
  const panel = mode.kind === 'confirm-apply' || mode.kind === 'applying' ? applyPanel(rows.find((row) => row.id === mode.id), width, height - 6) : [];
  const footer =
    mode.kind === 'confirm-overwrite'
      ? { text: `${path.basename(mode.file)} exists: o overwrite · n write ${path.basename(mode.alternative)} · esc cancel`, color: 'yellow' }
      : mode.kind === 'filter'
      ? { text: `/${view.filter}█  (Enter keeps the filter, Esc drops it)`, color: 'cyan' }
      : visible.length === 0 && view.filter
      ? { text: `no row matches "${view.filter}": / to change it, Esc to drop it`, color: 'yellow' }
      : view.message;
  // Errors can be long (a command and its stderr): up to three wrapped lines, taken from the list.
  const footerLines = mode.kind === 'applying' ? [''] : wrapText(footer?.text ?? '', width).slice(0, 3);
  const listHeight = Math.max(3, height - 2 - footerLines.length - panel.length);
  const listWidth = wide ? Math.max(60, Math.floor(width * 0.55)) : width;
  const detailWidth = wide ? width - listWidth - 1 : 0;

  const keyContext: AuditKeyContext = {
    rows,
    pageSize: Math.max(1, listHeight - 2),
    scriptPath: props.scriptPath,
    canApply: props.canApply,
    applyDisabledReason: props.applyDisabledReason,
    canContinue: props.canContinue,
    canExit: props.canExit,
  };
  useInput(
    (input, key) => {
      for (const press of splitKeyChunk({ input, ...key })) dispatch({ type: 'audit/key', key: press, context: keyContext });
    },
    { isActive: props.active ?? true },
  );

  const lines = buildAuditLines(visible, wide ? new Set() : view.expanded, listWidth);
  const offset = scrollOffset(lines, selected?.id, listHeight, offsetRef.current);
  offsetRef.current = offset;
  const shown = lines.slice(offset, offset + listHeight);

  const counts = countStatuses(finished);
  // The filter first: on a narrow terminal the summary's end is what gets cut.
  const fullHeader = `Host audit${view.filter ? ` · /${view.filter}: ${visible.length} shown` : ''} · ${formatSummary(counts, pending)}${view.onlyProblems ? ' · problems only' : ''}`;
  // Narrow terminals: the same counts in fewer words ("Audit · /kvm: 3 shown · 35: 16 pass 7 warn ..."),
  // so that the counts at the end are not what is cut.
  const header = fullHeader.length + (pending > 0 ? 2 : 0) <= width ? fullHeader : fullHeader.replace(/^Host audit/, 'Audit').replace(/ checks: /, ': ').replace(/, (\d+ )/g, ' $1').replace(' · problems only', ' · problems');
  const helpKeys = ['↑↓ move', '⏎ details', '/ filter', `p ${view.onlyProblems ? 'all rows' : 'problems'}`, 'w fix script', 'a apply', ...(props.canContinue ? ['c continue'] : []), ...(props.canExit ? ['esc back'] : [])];
  // Two spaces between keys where they fit, one on a narrow terminal (60 columns hold them all).
  const help = helpKeys.join('  ').length <= width ? helpKeys.join('  ') : helpKeys.join(' ');

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
            <ListLine key={`${offset + index}`} line={line} selectedId={selected?.id} width={listWidth} expanded={view.expanded} wide={wide} />
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

function ListLine({ line, selectedId, width, expanded, wide }: { line: AuditLine; selectedId?: string; width: number; expanded: ReadonlySet<string>; wide: boolean }) {
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
  const badge = STATUS_BADGE[row.result.status];
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

export interface ChecklistProps {
  rows: readonly AuditRow[];
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
  /** For the script header. */
  now?: () => Date;
  /** kvm-tui-fixes.sh -> kvm-tui-fixes-2.sh; default appends -2. */
  nextFreeName?: (file: string) => string;
  onExit?: () => void;
  /** A fix was applied: the host's facts changed. */
  onHostChanged?: () => void;
  onContinue?: () => void;
}

/** The checklist with its own view state and effects (the wizard keeps both in its app state). */
export function Checklist(props: ChecklistProps) {
  const [view, dispatch] = useReducer(auditViewReducer, initialAuditView);
  useAuditEffects(view.request, props.rows, dispatch, {
    applyFix: props.applyFix ?? null,
    writeScript: props.writeScript ?? (() => {
      throw new Error('no script writer given');
    }),
    nextFreeName: props.nextFreeName ?? ((file) => file.replace(/(\.[^./]*)?$/, '-2$1')),
    now: props.now ?? (() => new Date(0)),
    rerun: props.rerun ?? (async () => null),
    onContinue: props.onContinue,
    onExit: props.onExit,
    onHostChanged: props.onHostChanged,
  });
  return (
    <ChecklistView
      rows={props.rows}
      view={view}
      dispatch={dispatch}
      width={props.width}
      height={props.height}
      scriptPath={props.scriptPath ?? `./${DEFAULT_FIX_SCRIPT}`}
      canApply={props.applyFix !== undefined}
      applyDisabledReason={props.applyDisabledReason ?? null}
      canContinue={props.onContinue !== undefined}
      canExit={props.onExit !== undefined}
    />
  );
}
