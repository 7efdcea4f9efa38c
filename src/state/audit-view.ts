/**
 * The audit screen's state and how keys change it, as a pure reducer: the cursor, expanded rows,
 * the problems filter, the modal step (confirm apply, applying, confirm overwrite), the message
 * line, and the side effect a key asked for (write the fix script, apply a fix, leave the
 * screen). Every key is decided here against the latest state, so keys that arrive faster than
 * frames never act on a stale selection or mode; a hook runs the requested effect and reports
 * back with an action. No Ink, no I/O: tested as data.
 */
import { isProblem } from '../audit/run-checks.js';
import { CATEGORIES, type Check, type CheckResult, type CheckStatus } from '../audit/types.js';
import type { KeyPress } from './keys.js';
import { editFilter, matchesFilter } from './text-filter.js';

/** One row of the checklist: a check and its result (null while it runs). */
export interface AuditRow {
  id: string;
  title: string;
  category: Check['category'];
  why: string;
  result: CheckResult | null;
}

export type AuditMode =
  | { kind: 'list' }
  /** The `/` filter is being typed: every key edits it (Enter keeps it, Esc drops it). */
  | { kind: 'filter' }
  | { kind: 'confirm-apply'; id: string }
  | { kind: 'applying'; id: string }
  | { kind: 'confirm-overwrite'; file: string; alternative: string };

export interface AuditMessage {
  text: string;
  color?: string;
  /** The row it is about: it goes when the cursor leaves that row. */
  rowId?: string;
}

/** A side effect a key asked for; `seq` tells one request from the next. */
export type AuditRequest =
  | { seq: number; kind: 'write-script'; file: string; overwrite: boolean }
  | { seq: number; kind: 'apply'; id: string }
  | { seq: number; kind: 'continue' }
  | { seq: number; kind: 'exit' };

export interface AuditViewState {
  /** The selected row's id; null = the first visible row. */
  cursorId: string | null;
  expanded: ReadonlySet<string>;
  onlyProblems: boolean;
  /** Rows shown are those matching this (title, id, category, evidence); '' shows all. */
  filter: string;
  mode: AuditMode;
  message: AuditMessage | null;
  request: AuditRequest | null;
  seq: number;
}

export const initialAuditView: AuditViewState = {
  cursorId: null,
  expanded: new Set(),
  onlyProblems: false,
  filter: '',
  mode: { kind: 'list' },
  message: null,
  request: null,
  seq: 0,
};

/** What a key needs to know beyond the state: the rows as shown, the page size and what is offered. */
export interface AuditKeyContext {
  rows: readonly AuditRow[];
  /** Rows a PgUp/PgDn moves. */
  pageSize: number;
  scriptPath: string;
  /** Whether fixes can be applied here (false on a captured host); `applyDisabledReason` says why not. */
  canApply: boolean;
  applyDisabledReason: string | null;
  canContinue: boolean;
  canExit: boolean;
}

export type AuditViewAction =
  | { type: 'audit/key'; key: KeyPress; context: AuditKeyContext }
  | { type: 'audit/request-taken'; seq: number }
  | { type: 'audit/script-written'; file: string; fixes: number }
  | { type: 'audit/script-exists'; file: string; alternative: string }
  | { type: 'audit/script-failed'; file: string; error: string }
  | { type: 'audit/apply-failed'; id: string; error: string }
  | { type: 'audit/applied'; id: string }
  | { type: 'audit/rechecked'; id: string; before: CheckStatus; after: CheckStatus | null };

/** Category order, then the checks' own order within each. */
export function orderRows(rows: readonly AuditRow[]): AuditRow[] {
  return CATEGORIES.flatMap((category) => rows.filter((row) => row.category === category));
}

/**
 * The rows as shown: in category order, only problems (and running checks) with `p`, only those
 * matching the `/` filter (title, id, category, status, evidence) when there is one.
 */
export function visibleRows(rows: readonly AuditRow[], onlyProblems: boolean, filter = ''): AuditRow[] {
  return orderRows(rows).filter(
    (row) =>
      (!onlyProblems || row.result === null || isProblem(row.result.status)) &&
      matchesFilter(filter, [row.title, row.id, row.category, row.result?.status, row.result?.evidence]),
  );
}

/** The selected row among the visible ones (the first when the cursor is not among them). */
export function selectedRow(rows: readonly AuditRow[], view: Pick<AuditViewState, 'cursorId' | 'onlyProblems'> & { filter?: string }): AuditRow | undefined {
  const visible = visibleRows(rows, view.onlyProblems, view.filter);
  return visible.find((row) => row.id === view.cursorId) ?? visible[0];
}

export function auditViewReducer(state: AuditViewState, action: AuditViewAction): AuditViewState {
  switch (action.type) {
    case 'audit/key':
      return onKey(state, action.key, action.context);
    case 'audit/request-taken':
      return state.request?.seq === action.seq ? { ...state, request: null } : state;
    case 'audit/script-written':
      return { ...state, mode: { kind: 'list' }, message: { text: `wrote ${action.file} (${action.fixes} fixes): review it, then run it as root`, color: 'green' } };
    case 'audit/script-exists':
      return { ...state, mode: { kind: 'confirm-overwrite', file: action.file, alternative: action.alternative } };
    case 'audit/script-failed':
      return { ...state, mode: { kind: 'list' }, message: { text: `could not write ${action.file}: ${action.error}`, color: 'red' } };
    case 'audit/apply-failed':
      return { ...state, mode: { kind: 'list' }, message: { text: `${action.id}: ${action.error}`, color: 'red', rowId: action.id } };
    case 'audit/applied':
      return { ...state, mode: { kind: 'list' }, message: { text: `${action.id}: applied, re-checking…`, rowId: action.id } };
    case 'audit/rechecked':
      return {
        ...state,
        message: action.after
          ? { text: `${action.id}: applied; ${action.before} → ${action.after}`, color: action.after === 'pass' ? 'green' : 'yellow', rowId: action.id }
          : { text: `${action.id}: applied`, rowId: action.id },
      };
  }
}

function request(state: AuditViewState, next: DistributiveOmit<AuditRequest, 'seq'>, changes: Partial<AuditViewState> = {}): AuditViewState {
  const seq = state.seq + 1;
  return { ...state, ...changes, seq, request: { ...next, seq } as AuditRequest };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function onKey(state: AuditViewState, key: KeyPress, context: AuditKeyContext): AuditViewState {
  const mode = state.mode;
  if (mode.kind === 'applying') return state;
  if (mode.kind === 'filter') {
    const edited = editFilter(state.filter, key);
    if (!edited) return state;
    return { ...state, filter: edited.text, mode: edited.done ? { kind: 'list' } : mode };
  }
  if (mode.kind === 'confirm-apply') {
    if (key.input === 'y' || key.input === 'Y') return request(state, { kind: 'apply', id: mode.id }, { mode: { kind: 'applying', id: mode.id } });
    if (key.input === 'n' || key.input === 'N' || key.escape) return { ...state, mode: { kind: 'list' }, message: { text: 'not applied' } };
    return state;
  }
  if (mode.kind === 'confirm-overwrite') {
    if (key.input === 'o' || key.input === 'O') return request(state, { kind: 'write-script', file: mode.file, overwrite: true });
    if (key.input === 'n' || key.input === 'N') return request(state, { kind: 'write-script', file: mode.alternative, overwrite: false });
    if (key.escape) return { ...state, mode: { kind: 'list' }, message: { text: 'script not written' } };
    return state;
  }
  const visible = visibleRows(context.rows, state.onlyProblems, state.filter);
  const current = visible.find((row) => row.id === state.cursorId) ?? visible[0];
  const moveTo = (target: (index: number, count: number) => number): AuditViewState => {
    if (visible.length === 0) return state;
    const index = Math.max(0, visible.findIndex((row) => row.id === current?.id));
    const next = visible[Math.min(Math.max(target(index, visible.length), 0), visible.length - 1)]!;
    // A message about one row does not outlive the cursor on it.
    const message = state.message?.rowId !== undefined && state.message.rowId !== next.id ? null : state.message;
    return { ...state, cursorId: next.id, message };
  };
  const page = Math.max(1, context.pageSize);
  if (key.upArrow || key.input === 'k') return moveTo((index) => index - 1);
  if (key.downArrow || key.input === 'j') return moveTo((index) => index + 1);
  if (key.pageUp) return moveTo((index) => index - page);
  if (key.pageDown) return moveTo((index) => index + page);
  if (key.input === 'g' || key.home) return moveTo(() => 0);
  if (key.input === 'G' || key.end) return moveTo((_, count) => count - 1);
  if (key.return || key.input === ' ') {
    if (!current) return state;
    const expanded = new Set(state.expanded);
    if (expanded.has(current.id)) expanded.delete(current.id);
    else expanded.add(current.id);
    return { ...state, expanded };
  }
  if (key.input === 'p') return { ...state, onlyProblems: !state.onlyProblems, message: null };
  if (key.input === '/') return { ...state, mode: { kind: 'filter' }, message: null };
  // Esc drops a filter kept with Enter (and goes no further: the list is back whole).
  if (key.escape && state.filter !== '') return { ...state, filter: '' };
  if (key.input === 'w') return request(state, { kind: 'write-script', file: context.scriptPath, overwrite: false });
  if (key.input === 'a') {
    const result = current?.result;
    if (!current || !result) return state;
    if (!result.fix || !result.fix.applicable) {
      return { ...state, message: { text: `${current.id}: nothing kvm-tui can apply${result.fix ? ' (w: fix script)' : ''}`, rowId: current.id } };
    }
    if (!context.canApply) return { ...state, message: { text: context.applyDisabledReason ?? 'applying fixes is not available here', color: 'yellow' } };
    return { ...state, mode: { kind: 'confirm-apply', id: current.id } };
  }
  if (key.input === 'c' && context.canContinue) return request(state, { kind: 'continue' });
  if (key.escape && context.canExit) return request(state, { kind: 'exit' });
  return state;
}
