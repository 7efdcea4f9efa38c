/**
 * The interactive app's one state and its reducer: which screen is shown, the spec being edited
 * (today: the chosen preset), the preset picker, the audit (results and view state, kept across
 * screen switches), and an error banner. Screens render from it; keys and effects change it
 * only through `appReducer`, so a key press always acts on the latest state. Pure: no Ink, no I/O.
 */
import type { CheckResult } from '../audit/types.js';
import { auditViewReducer, initialAuditView, type AuditViewAction, type AuditViewState } from './audit-view.js';
import type { KeyPress } from './keys.js';
import type { VmRecord } from '../registry/vm-record.js';
import type { SpecOverrides } from '../spec/resolve.js';

export interface Banner {
  text: string;
  hint?: string;
}

export interface AppState {
  screen: string;
  /** The preset the plan and preview show. */
  presetName: string;
  /** The VM's sizing on top of the preset (vCPUs, memory, huge pages, accel, network), as typed. */
  overrides: SpecOverrides;
  /** The preset picker is open: it owns digits and arrows, screen switching is locked. */
  picking: boolean;
  /** The picker's `/` filter: the text, and whether it is being typed (then it owns every key). */
  presetFilter: { text: string; typing: boolean };
  /** The core-map editor is open on the Plan step: it owns Enter and Esc. */
  mapEditing: boolean;
  audit: {
    /** Finished checks by id; a check missing here is still running. */
    results: ReadonlyMap<string, CheckResult>;
    view: AuditViewState;
  };
  banner: Banner | null;
  /** The launch of the planned VM from the Launch step, and the VM it started. */
  launch: LaunchState;
}

export interface LaunchState {
  status: 'idle' | 'running' | 'done' | 'failed';
  /** One line per step as it happens. */
  lines: string[];
  /** The VM it started (its registry record), once done. */
  record: VmRecord | null;
  error: string | null;
}

export type AppAction =
  | AuditViewAction
  | { type: 'audit/result'; result: CheckResult }
  | { type: 'audit/rerun-started'; id: string }
  /**
   * `lockedWhenTyped`: the picker was open on the frame the key was typed on. Both the picker and
   * the frame see a digit; when the picker takes it (and closes), the same digit must not also
   * switch screens, though by then the state says the picker is closed.
   */
  | {
      type: 'nav/key';
      key: KeyPress;
      screenIds: readonly string[];
      lockedWhenTyped: boolean;
      /**
       * Something inside the screen (an editor, a question, a help pane) was open on the frame the
       * key was typed on: Esc, Enter and c are its keys then, not steps (Esc closes only it).
       */
      modalWhenTyped?: boolean;
      /** Whether Enter goes on to the next step on this screen (false where it has its own job). */
      enterGoesOn?: boolean;
    }
  | { type: 'nav/show'; screen: string }
  | { type: 'plan/open-picker' }
  | { type: 'plan/close-picker' }
  | { type: 'plan/preset-filter'; text: string; typing: boolean }
  | { type: 'plan/edit-map'; open: boolean }
  | { type: 'plan/choose'; presetName: string }
  | { type: 'plan/override'; overrides: SpecOverrides }
  | { type: 'plan/reset-overrides' }
  | { type: 'banner/show'; banner: Banner }
  | { type: 'banner/dismiss' }
  | { type: 'launch/begin' }
  | { type: 'launch/step'; text: string }
  | { type: 'launch/done'; record: VmRecord }
  | { type: 'launch/failed'; error: string };

export function initialAppState(options: { screen: string; presetName: string }): AppState {
  return {
    screen: options.screen,
    presetName: options.presetName,
    overrides: {},
    picking: false,
    presetFilter: { text: '', typing: false },
    mapEditing: false,
    audit: { results: new Map(), view: initialAuditView },
    banner: null,
    launch: { status: 'idle', lines: [], record: null, error: null },
  };
}

export function appReducer(state: AppState, action: AppAction): AppState {
  switch (action.type) {
    case 'audit/result':
      return { ...state, audit: { ...state.audit, results: new Map(state.audit.results).set(action.result.id, action.result) } };
    case 'audit/rerun-started': {
      const results = new Map(state.audit.results);
      results.delete(action.id);
      return { ...state, audit: { ...state.audit, results } };
    }
    case 'nav/key':
      return action.lockedWhenTyped ? state : navigate(state, action.key, action.screenIds, { modal: action.modalWhenTyped ?? false, enterGoesOn: action.enterGoesOn ?? true });
    case 'nav/show':
      return state.picking ? state : { ...state, screen: action.screen };
    case 'plan/open-picker':
      return { ...state, picking: true };
    case 'plan/close-picker':
      return { ...state, picking: false, presetFilter: { ...state.presetFilter, typing: false } };
    case 'plan/preset-filter':
      return state.picking ? { ...state, presetFilter: { text: action.text, typing: action.typing } } : state;
    case 'plan/edit-map':
      return state.mapEditing === action.open ? state : { ...state, mapEditing: action.open };
    case 'plan/choose':
      // A closing picker's input handler can fire once more after its last frame: a choice
      // counts only while the picker is open.
      // A new preset starts from its own sizing.
      return state.picking ? { ...state, presetName: action.presetName, overrides: {}, picking: false, presetFilter: { ...state.presetFilter, typing: false } } : state;
    case 'plan/override':
      return { ...state, overrides: { ...state.overrides, ...action.overrides } };
    case 'plan/reset-overrides':
      return { ...state, overrides: {} };
    case 'banner/show':
      return { ...state, banner: action.banner };
    case 'banner/dismiss':
      return { ...state, banner: null };
    case 'launch/begin':
      // One launch at a time; a VM launched from here stays the monitored one (stop it first).
      return state.launch.status === 'running' || state.launch.status === 'done' ? state : { ...state, launch: { status: 'running', lines: [], record: null, error: null } };
    case 'launch/step':
      return state.launch.status === 'running' ? { ...state, launch: { ...state.launch, lines: [...state.launch.lines, action.text].slice(-50) } } : state;
    case 'launch/done':
      // The live pane comes next: that is what a launch is for.
      return { ...state, screen: 'monitor', launch: { ...state.launch, status: 'done', record: action.record } };
    case 'launch/failed':
      return { ...state, launch: { ...state.launch, status: 'failed', error: action.error } };
    default: {
      const view = auditViewReducer(state.audit.view, action);
      return view === state.audit.view ? state : { ...state, audit: { ...state.audit, view } };
    }
  }
}

/**
 * Digits 1..n pick a screen, Tab / Shift-Tab cycle; c (and Enter where it has no other job) goes
 * on to the next step, Esc back to the one before (never past the ends: the walk is a line, and
 * edits are app state, so going back loses none). Nothing moves while the picker is open; while
 * something inside the screen is open (`modal`), only digits and Tab move.
 */
function navigate(state: AppState, key: KeyPress, screenIds: readonly string[], options: { modal: boolean; enterGoesOn: boolean }): AppState {
  if (state.picking || screenIds.length === 0) return state;
  const index = Math.max(0, screenIds.indexOf(state.screen));
  const digit = Number.parseInt(key.input, 10);
  let next = index;
  if (/^[1-9]$/.test(key.input) && digit <= screenIds.length) next = digit - 1;
  else if (key.tab && key.shift) next = (index + screenIds.length - 1) % screenIds.length;
  else if (key.tab) next = (index + 1) % screenIds.length;
  else if (options.modal || key.ctrl || (key.meta && !key.escape)) return state;
  else if (key.input === 'c' || (key.return && options.enterGoesOn)) next = Math.min(screenIds.length - 1, index + 1);
  else if (key.escape) next = Math.max(0, index - 1);
  else return state;
  return next === index && state.screen === screenIds[index] ? state : { ...state, screen: screenIds[next]! };
}
