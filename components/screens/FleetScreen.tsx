/**
 * The fleet pane: every libvirt host given with --connect, a section each, refreshed on its own
 * timer by the Fleet model (src/monitor/fleet.ts). Renders only; the model is started and
 * stopped here with the component's life. j/k choose a domain; p, s, F (after y) and r act on it
 * through the model; c reconnects hosts that are down; q leaves (the domains keep running).
 */
import React, { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useApp, useInput, type Key } from 'ink';
import type { FleetAction, FleetHostState } from '../../src/monitor/fleet.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { PaneLines } from '../widgets/PaneLines.js';
import { buildFleetLines, fleetKey, fleetRows } from '../present/fleet-lines.js';
import { VIRSH_AMBIGUOUS_NAME_RE } from '../../src/spec/vm-spec.js';

/** What the pane needs from the model: a start/stop life, a retry, and a clock for ages. */
export interface FleetModel {
  start(): void;
  stop(): void;
  retryNow(): void;
  control(uri: string, name: string, action: FleetAction): Promise<string>;
  hosts(): FleetHostState[];
  subscribe(listener: (hosts: FleetHostState[]) => void): () => void;
  now(): number;
}

export interface FleetScreenProps {
  fleet: FleetModel;
  color?: boolean;
  onExit?: (code: number) => void;
  /** A domain chosen and opened from the start: `monitor --connect URI NAME`. */
  focus?: { uri: string; name: string };
}

export function FleetScreen({ fleet, color = true, onExit, focus }: FleetScreenProps): React.ReactElement {
  const { exit } = useApp();
  const { columns, rows: terminalRows } = useTerminalSize();
  const [hosts, setHosts] = useState<FleetHostState[]>(() => fleet.hosts());
  const [help, setHelp] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  // The force-off question names its domain when F is pressed; y acts on that one only.
  const [confirmForce, setConfirmForce] = useState<{ uri: string; name: string } | null>(null);
  // The chosen domain by identity (host, name): it stays chosen while rows come and go.
  const [chosen, setChosen] = useState<{ uri: string; name: string } | null>(focus ?? null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set(focus ? [fleetKey(focus.uri, focus.name)] : []));
  useEffect(() => {
    const unsubscribe = fleet.subscribe(setHosts);
    fleet.start();
    return () => {
      unsubscribe();
      fleet.stop();
    };
  }, [fleet]);
  const rows = fleetRows(hosts);
  const index = chosen === null ? -1 : rows.findIndex((row) => row.uri === chosen.uri && row.name === chosen.name);
  // The chosen domain, or the first row before any choice. A chosen domain that left the list
  // (undefined, its host down) is gone: keys never fall through to another domain.
  const gone = chosen !== null && index === -1;
  const current = index >= 0 ? rows[index]! : gone ? null : (rows[0] ?? null);
  const act = (action: FleetAction, pending: string, target: { uri: string; name: string } | null = current) => {
    if (!target) return setMessage(gone ? `${chosen!.name} is no longer listed on ${chosen!.uri}: j/k choose another` : 'no domain to act on');
    // virsh would take such a name for another domain's id or UUID.
    if (VIRSH_AMBIGUOUS_NAME_RE.test(target.name)) return setMessage(`${target.name}: virsh reads this name as a domain id or UUID; act on it with virsh by its UUID (virsh domuuid)`);
    setMessage(pending);
    fleet.control(target.uri, target.name, action).then(setMessage, (error: Error) => setMessage(`${target.name}: ${action} failed: ${error.message}`));
  };
  // Data arrives from the model, not from keys: a key must act on what the pane shows now. Ink
  // re-subscribes the handler in a passive effect, which can run after the frame is drawn; the
  // handler is therefore read from a ref the commit updates synchronously (a layout effect).
  const onKey = useRef<(input: string, key: Key) => void>(() => undefined);
  useInput((input, key) => onKey.current(input, key));
  const handle = (input: string, key: Key): void => {
    if (key.ctrl && input === 'c') {
      onExit?.(130);
      return exit();
    }
    if (help) return setHelp(false);
    if (confirmForce) {
      // The domain the question named, and only while it is still listed on its host.
      const target = confirmForce;
      setConfirmForce(null);
      if (input !== 'y') return setMessage('force off cancelled');
      if (!rows.some((row) => row.uri === target.uri && row.name === target.name)) return setMessage(`${target.name} is no longer listed on ${target.uri}: nothing forced off`);
      return act('destroy', `forcing ${target.name} off...`, target);
    }
    if (input === 'q') {
      onExit?.(0);
      return exit();
    }
    if (input === '?' || input === 'h') return setHelp(true);
    if (input === 'c') {
      fleet.retryNow();
      return setMessage('reconnecting hosts that are down...');
    }
    if (key.downArrow || input === 'j' || key.upArrow || input === 'k') {
      if (rows.length === 0) return;
      const from = index >= 0 ? index : 0;
      const to = key.downArrow || input === 'j' ? Math.min(rows.length - 1, from + 1) : Math.max(0, from - 1);
      setChosen({ uri: rows[to]!.uri, name: rows[to]!.name });
      return setMessage(null);
    }
    if (!current) return gone && (key.return || 'psFr'.includes(input) && input !== '') ? setMessage(`${chosen!.name} is no longer listed on ${chosen!.uri}: j/k choose another`) : undefined;
    if (key.return) {
      const id = fleetKey(current.uri, current.name);
      const next = new Set(expanded);
      if (!next.delete(id)) next.add(id);
      return setExpanded(next);
    }
    if (input === 'p') {
      const paused = current.state === 'paused';
      if (!paused && current.state !== 'running') return setMessage(`${current.name} is ${current.state}: nothing to pause`);
      act(paused ? 'resume' : 'pause', paused ? `resuming ${current.name}...` : `pausing ${current.name}...`);
    } else if (input === 's') act('shutdown', `sending the ACPI power button to ${current.name}...`);
    else if (input === 'F') setConfirmForce({ uri: current.uri, name: current.name });
    else if (input === 'r') {
      if (!current.ours) return setMessage(`${current.name} was not defined by kvm-tui: it has no recorded plan to re-pin to`);
      act('repin', `re-pinning ${current.name}...`);
    }
  };
  useLayoutEffect(() => {
    onKey.current = handle;
  });
  const lines = buildFleetLines({ hosts, width: columns, height: terminalRows, nowMs: fleet.now(), help, message, selected: confirmForce ?? (current ? { uri: current.uri, name: current.name } : null), confirmForce: confirmForce !== null, expanded });
  return <PaneLines lines={lines} color={color} />;
}
