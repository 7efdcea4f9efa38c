/**
 * The live pane of one VM: draws buildMonitorLines from the latest snapshot and the control's
 * state; keys go to the control (pause/resume, ACPI shutdown, force quit after y, re-pin) or
 * leave (q, d, Ctrl-C: the VM keeps running). Effects live in useMonitor; this only renders.
 */
import React, { useEffect, useLayoutEffect, useReducer, useRef } from 'react';
import { useApp, useInput } from 'ink';
import type { MonitorSnapshot } from '../../src/monitor/sampler.js';
import type { VmRecord } from '../../src/registry/vm-record.js';
import { useMonitor, type LiveMonitor, type MonitorServices } from '../hooks/use-monitor.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { PaneLines } from '../widgets/PaneLines.js';
import { buildMonitorLines, monitorHelpPages } from '../present/monitor-lines.js';
import type { PaneWriter } from '../terminal/pane-writer.js';

/** How long after the ACPI button the pane offers to force the VM off. */
export const POWERDOWN_WAIT_MS = 30_000;

export interface MonitorScreenProps {
  record: VmRecord;
  services: MonitorServices;
  ascii?: boolean;
  color?: boolean;
  /** Called with the exit status before the app leaves (0 detach, 130 Ctrl-C). */
  onExit?: (code: number) => void;
  /** The area to draw in (inside the wizard); default: the whole terminal. */
  size?: { columns: number; rows: number };
  /** Told when the force-quit question or the pane's help opens or closes: Esc is theirs then (in the wizard). */
  onModalChange?: (open: boolean) => void;
  /**
   * Draw the lines with this writer straight on the terminal (the standalone pane, whose Ink
   * output goes to a sink) instead of through Ink: the once-a-second redraw then costs a few
   * changed rows, not Ink's whole-frame output stage.
   */
  writer?: PaneWriter;
}

interface UiState {
  confirmForce: boolean;
  help: boolean;
  helpPage: number;
  message: string | null;
  /** Ctrl-L presses: each draws the pane whole again. */
  redraws: number;
}

type UiAction = { type: 'help'; open: boolean } | { type: 'help-page'; page: number } | { type: 'redraw' } | { type: 'confirm'; open: boolean } | { type: 'message'; text: string | null };

function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'help':
      return { ...state, help: action.open, helpPage: 0 };
    case 'help-page':
      return { ...state, helpPage: action.page };
    case 'redraw':
      return { ...state, redraws: state.redraws + 1 };
    case 'confirm':
      return { ...state, confirmForce: action.open, message: action.open ? null : state.message };
    case 'message':
      return { ...state, message: action.text };
  }
}

export function MonitorScreen({ record, services, ascii = false, color = true, onExit, size, onModalChange, writer }: MonitorScreenProps): React.ReactElement {
  const { exit } = useApp();
  const terminal = useTerminalSize();
  const { columns, rows } = size ?? terminal;
  const [ui, dispatch] = useReducer(uiReducer, { confirmForce: false, help: false, helpPage: 0, message: null, redraws: 0 });
  // With a writer, a new sample is drawn straight away with the keys' state and size of the last
  // render (kept here), without rendering the tree: React only runs for keys and QMP changes.
  const drawn = useRef({ ui, columns, rows });
  drawn.current = { ui, columns, rows };
  const drawSample = writer
    ? (now: LiveMonitor): boolean => {
        const at = drawn.current;
        writer.draw(paneLines(record, now, at.ui, at.columns, at.rows, ascii), at.columns, at.rows, color);
        return true;
      }
    : undefined;
  const live = useMonitor(record, services, drawSample);
  const modal = ui.confirmForce || ui.help;
  useEffect(() => {
    onModalChange?.(modal);
  }, [modal, onModalChange]);
  // The pending "has not powered off" note after s: a timer handle, cancelled when the pane goes
  // and as soon as the VM has exited (nothing is left to force off), so it never asks whether
  // the VM still runs.
  const powerdownTimer = useRef<unknown>(null);
  const cancelPowerdownNote = () => {
    if (powerdownTimer.current !== null) services.clock.clearTimeout(powerdownTimer.current);
    powerdownTimer.current = null;
  };
  useLayoutEffect(() => {
    if (!live.alive) cancelPowerdownNote();
  });
  useEffect(() => cancelPowerdownNote, [services]);

  const leave = (code: number) => {
    onExit?.(code);
    exit();
  };

  useInput((input, key) => {
    if (key.ctrl && input === 'c') return leave(130);
    if (key.ctrl && input === 'l') {
      // Redraw: after anything else wrote on the terminal (a message of another program).
      writer?.invalidate();
      return dispatch({ type: 'redraw' });
    }
    if (ui.help) {
      // Space turns the help's pages (at sizes where it needs more than one); any other key closes it.
      const pages = monitorHelpPages(columns, rows - 1).length;
      if (input === ' ' && pages > 1) return dispatch({ type: 'help-page', page: (ui.helpPage + 1) % pages });
      return dispatch({ type: 'help', open: false });
    }
    if (ui.confirmForce) {
      dispatch({ type: 'confirm', open: false });
      if (input === 'y') {
        dispatch({ type: 'message', text: 'force quit sent' });
        void services.control.forceQuit();
      } else dispatch({ type: 'message', text: 'force quit cancelled' });
      return;
    }
    if (input === 'q' || input === 'd') return leave(0);
    if (input === '?' || input === 'h') return dispatch({ type: 'help', open: true });
    if (!live.alive) return dispatch({ type: 'message', text: 'the VM has exited: q leaves' });
    if (input === 'p') {
      const running = services.control.state === 'running';
      dispatch({ type: 'message', text: running ? 'pausing...' : 'resuming...' });
      void (running ? services.control.pause() : services.control.resume());
    } else if (input === 's') {
      dispatch({ type: 'message', text: 'ACPI power button sent: the guest shuts down if it listens (F forces)' });
      void services.control.powerdown();
      // A guest that ignores the button (no ACPI daemon, a hung kernel): offer the way on.
      cancelPowerdownNote();
      powerdownTimer.current = services.clock.setTimeout(() => {
        powerdownTimer.current = null;
        dispatch({ type: 'message', text: `the guest has not powered off ${POWERDOWN_WAIT_MS / 1000} s after the ACPI button: F forces it off` });
      }, POWERDOWN_WAIT_MS);
    } else if (input === 'F') {
      dispatch({ type: 'confirm', open: true });
    } else if (input === 'r') {
      dispatch({ type: 'message', text: 're-pinning...' });
      void services.control.repin().then(
        (text) => dispatch({ type: 'message', text }),
        (error: Error) => dispatch({ type: 'message', text: `re-pin failed: ${error.message}` }),
      );
    }
  });

  const lines = paneLines(record, live, ui, columns, rows, ascii);
  useLayoutEffect(() => {
    writer?.draw(lines, columns, rows, color);
  });
  return writer ? <></> : <PaneLines lines={lines} color={color} />;
}

function paneLines(record: VmRecord, live: LiveMonitor, ui: UiState, columns: number, rows: number, ascii: boolean) {
  return buildMonitorLines({
    record,
    snapshot: live.snapshot,
    state: live.state,
    events: live.events,
    disks: live.disks,
    exitNote: live.exitNote,
    message: ui.message,
    confirmForce: ui.confirmForce,
    help: ui.help,
    helpPage: ui.helpPage,
    width: columns,
    height: rows,
    nowMs: live.nowMs,
    ascii,
  });
}

export type { MonitorSnapshot };
