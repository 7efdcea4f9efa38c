/**
 * The live pane's effects: starts the sampler and the VM control when the pane mounts, stops and
 * closes them when it leaves, and exposes the latest snapshot, QMP state and event lines. The
 * services come from the caller (the monitor command, or a test with recorded snapshots and a
 * fake clock); nothing here reads the host itself.
 */
import { useEffect, useRef, useState } from 'react';
import { computeDiskRates, type DiskCounterSample, type DiskRates } from '../../src/monitor/rates.js';
import type { MonitorServices } from '../../src/app/monitor-services.js';
import type { MonitorSnapshot } from '../../src/monitor/sampler.js';
import type { VmRecord } from '../../src/registry/vm-record.js';
import type { VmEventLine } from '../../src/run/vm-control.js';

export type { MonitorServices };

export interface LiveMonitor {
  snapshot: MonitorSnapshot | null;
  state: string | null;
  events: VmEventLine[];
  alive: boolean;
  nowMs: number;
  /** Per disk I/O rates from QMP query-blockstats, one reading per sample. */
  disks: DiskRates[];
  /** Once exited: QEMU's last words, or why there are none. */
  exitNote: string | null;
}

/** The pane redraws for control changes (events, answers) at most ten times a second. */
export const REDRAW_MIN_MS = 100;
/** How long a sample waits for QMP's disk counters before it is drawn without new ones. */
export const DISKS_WAIT_MS = 250;
/**
 * After QEMU answered that it has no disks, the pane asks again only every this many samples (a
 * disk can be hot-plugged) instead of every second: a query costs QEMU and the pane a wake-up and
 * a socket round trip each, the larger part of the pane's QMP work on a diskless VM.
 */
export const NO_DISKS_ASK_EVERY = 10;

/**
 * `drawSample`: given by a pane that draws itself (the standalone monitor's PaneWriter), called
 * with each new sample instead of a React render; it returns whether it drew. A sample then costs
 * the pane's own draw, not a render and commit of the tree and Ink's frame. Everything else (keys,
 * QMP changes, the exit) still renders through React, which reads the same latest sample.
 */
export function useMonitor(record: VmRecord, services: MonitorServices, drawSample?: (live: LiveMonitor) => boolean): LiveMonitor {
  // The latest sample and its disk rates: read by every render and by drawSample.
  const latest = useRef<{ snapshot: MonitorSnapshot | null; disks: DiskRates[] }>({ snapshot: null, disks: [] });
  const draw = useRef(drawSample);
  draw.current = drawSample;
  const [exitNote, setExitNote] = useState<string | null>(null);
  const [, setVersion] = useState(0);
  const current = (): LiveMonitor => {
    const { snapshot, disks } = latest.current;
    const alive = snapshot ? snapshot.figures.alive : true;
    return {
      snapshot,
      state: alive ? services.control.state : 'exited',
      events: services.control.events.toArray(),
      alive,
      nowMs: snapshot?.figures.atMs ?? services.clock.now(),
      disks,
      exitNote,
    };
  };
  const view = useRef(current);
  view.current = current;
  useEffect(() => {
    const { control } = services;
    let closed = false;
    let lastDisks: { atMs: number; counters: DiskCounterSample[] } | null = null;
    let samplesSinceNoDisks = 0;
    let unanswered = 0;
    // QMP events can come in bursts: redraw for them at most every REDRAW_MIN_MS.
    let pending: unknown = null;
    // One draw for one sample, with its disk rates (drawing the snapshot and then again for the
    // disks doubled the monitor's CPU): by the pane itself where it can, else a render.
    const publish = (next: MonitorSnapshot, disks: DiskRates[]) => {
      // A live sample's draw that waited for its disk rates never replaces the exit's.
      if (latest.current.snapshot?.figures.alive === false) return;
      latest.current = { snapshot: next, disks };
      let drew = false;
      try {
        drew = draw.current?.(view.current()) ?? false;
      } catch {
        // A draw that failed is left to a render, which fails the same way where React's error
        // boundary shows it (not as a sampler error logged every second).
      }
      if (!drew) setVersion((version) => version + 1);
    };
    const unsubscribe = control.onChange(() => {
      if (pending !== null || closed) return;
      pending = services.clock.setTimeout(() => {
        pending = null;
        if (!closed) setVersion((version) => version + 1);
      }, REDRAW_MIN_MS);
    });
    void control.connect();
    const stop = services.startSampler(record, (next) => {
      if (!next.figures.alive) {
        latest.current = { ...latest.current, snapshot: next };
        setVersion((version) => version + 1);
        const said = services.cleanUpExited(record);
        setExitNote(said ?? exitWithoutMessage(control.events.toArray()));
        return;
      }
      const atMs = next.figures.atMs;
      if (lastDisks !== null && lastDisks.counters.length === 0 && ++samplesSinceNoDisks < NO_DISKS_ASK_EVERY) {
        if (!closed) publish(next, []);
        return;
      }
      samplesSinceNoDisks = 0;
      // Drawn when the disk counters are in, or without them when QMP is slow to answer.
      let drawn = false;
      const draw = (rates?: DiskRates[]) => {
        if (drawn || closed) return;
        drawn = true;
        services.clock.clearTimeout(fallback);
        publish(next, rates ?? latest.current.disks);
      };
      const fallback = services.clock.setTimeout(() => draw(), DISKS_WAIT_MS);
      control.blockstats().then(
        (counters) => {
          if (closed) return;
          if (counters === null) {
            // No answer: asked again at the next sample, even after an earlier "no disks". One
            // missing answer (a slow QMP) keeps the last rates on screen; a second one in a row
            // (QMP gone, and VmControl does not reconnect) takes them away.
            samplesSinceNoDisks = NO_DISKS_ASK_EVERY - 1;
            return draw(++unanswered >= 2 ? [] : undefined);
          }
          unanswered = 0;
          const rates = lastDisks ? computeDiskRates(lastDisks.counters, counters, (atMs - lastDisks.atMs) / 1000) : undefined;
          lastDisks = { atMs, counters };
          draw(rates);
        },
        () => draw(),
      );
    });
    return () => {
      closed = true;
      if (pending !== null) services.clock.clearTimeout(pending);
      stop();
      unsubscribe();
      control.close();
    };
  }, [record, services]);
  return current();
}

/**
 * What the pane says of an exit QEMU wrote nothing about: after its SHUTDOWN event (a QMP quit,
 * the guest powering off) QEMU quit as told; without one it was killed (SIGKILL) or crashed.
 */
export function exitWithoutMessage(events: readonly { text: string }[]): string {
  const shutdown = [...events].reverse().find((event) => event.text.startsWith('event SHUTDOWN'));
  if (shutdown) return `QEMU quit after ${shutdown.text.slice('event '.length)}; its runtime dir is removed`;
  return 'QEMU left no message (killed with SIGKILL, or it crashed); its runtime dir is removed';
}
