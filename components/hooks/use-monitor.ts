/**
 * The live pane's effects: starts the sampler and the VM control when the pane mounts, stops and
 * closes them when it leaves, and exposes the latest snapshot, QMP state and event lines. The
 * services come from the caller (the monitor command, or a test with recorded snapshots and a
 * fake clock); nothing here reads the host itself.
 */
import { useEffect, useState } from 'react';
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
}

export function useMonitor(record: VmRecord, services: MonitorServices): LiveMonitor {
  const [snapshot, setSnapshot] = useState<MonitorSnapshot | null>(null);
  const [, setVersion] = useState(0);
  useEffect(() => {
    const { control } = services;
    const unsubscribe = control.onChange(() => setVersion((version) => version + 1));
    void control.connect();
    const stop = services.startSampler(record, setSnapshot);
    return () => {
      stop();
      unsubscribe();
      control.close();
    };
  }, [record, services]);
  const alive = snapshot ? snapshot.figures.alive : true;
  return {
    snapshot,
    state: alive ? services.control.state : 'exited',
    events: services.control.events.toArray(),
    alive,
    nowMs: snapshot?.figures.atMs ?? services.clock.now(),
  };
}
