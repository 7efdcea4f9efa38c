/**
 * What the live pane may do, built from the command context: the VM control (QMP on the VM's
 * monitor socket, re-pin through taskset) and the sampler on the live /proc. Tests build their
 * own from recorded snapshots and a fake clock.
 */
import type { Clock, CommandContext } from '../context.js';
import { Sampler, type MonitorSnapshot } from '../monitor/sampler.js';
import { removeStaleRunDir } from '../registry/registry.js';
import type { VmRecord } from '../registry/vm-record.js';
import { qemuLogTail } from '../run/launch.js';
import { VmControl, type DiskCounters, type VmEventLine } from '../run/vm-control.js';
import { runDirPaths } from '../shared/vm-paths.js';

/** What the pane can do to the VM (src/run/vm-control.ts implements it). */
export interface MonitorControl {
  state: string | null;
  events: { toArray(): VmEventLine[] };
  connect(): Promise<string | null>;
  onChange(listener: () => void): () => void;
  pause(): Promise<void>;
  resume(): Promise<void>;
  powerdown(): Promise<void>;
  forceQuit(): Promise<void>;
  repin(): Promise<string>;
  /** Every disk's counters; null when QMP gave no answer (not connected, gone, an error). */
  blockstats(): Promise<DiskCounters[] | null>;
  close(): void;
}

export interface MonitorServices {
  clock: Clock;
  control: MonitorControl;
  /** Starts sampling; returns the stop function. */
  startSampler(record: VmRecord, onSnapshot: (snapshot: MonitorSnapshot) => void): () => void;
  /**
   * Once the VM has exited: what QEMU last said (its log's last lines: "terminating on signal 15
   * from pid N", an assertion...), read before its runtime directory is removed.
   */
  cleanUpExited(record: VmRecord): string | null;
}

export function buildMonitorServices(ctx: CommandContext, record: VmRecord): MonitorServices {
  const procFs = ctx.procFs;
  const control = new VmControl(record, { clock: ctx.clock, run: ctx.run, procFs });
  return {
    clock: ctx.clock,
    control,
    cleanUpExited: (vm) => {
      const said = qemuLogTail(runDirPaths(vm.runDir), 2);
      removeStaleRunDir(vm.runDir, ctx.identity.uid ?? 0, procFs);
      return said;
    },
    startSampler: (vm, onSnapshot) => {
      const sampler = new Sampler({ procFs, record: vm, clock: ctx.clock, onSnapshot, onError: (error) => control.log(`reading /proc: ${error.message}`) });
      sampler.start();
      return () => sampler.stop();
    },
  };
}
