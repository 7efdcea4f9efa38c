/**
 * What the host offers one VM: its CPUs as the planner sees them, minus the ones other running VMs
 * hold, with the housekeeping and isolated sets worked out once. Every placement step reads this
 * one record instead of recomputing (and re-passing) the same sets.
 */
import { pickHousekeeping } from './housekeeping.js';
import type { HostView } from './host-view.js';

export interface HostOffer {
  view: HostView;
  /** Host CPU -> name of the VM holding it. These are never handed out. */
  taken: ReadonlyMap<number, string>;
  /** Online CPUs no other VM holds, ascending. */
  freeCpus: number[];
  /** CPUs kept for the host's own work, ascending (see pickHousekeeping). */
  housekeepingCpus: number[];
  housekeepingSet: ReadonlySet<number>;
  /** Free isolated CPUs outside the housekeeping set, ascending: the first pool when isolation is preferred. */
  isolatedFreeCpus: number[];
}

/**
 * Builds the offer for a VM that keeps `housekeepingPerSocket` host threads per socket free.
 * `taken` is the registry's view of CPUs held by running VMs (empty when nothing else runs).
 */
export function buildHostOffer(view: HostView, taken: ReadonlyMap<number, string>, housekeepingPerSocket: number): HostOffer {
  const freeCpus = view.online.filter((cpu) => !taken.has(cpu));
  const housekeepingCpus = pickHousekeeping(view, taken, housekeepingPerSocket);
  const housekeepingSet = new Set(housekeepingCpus);
  const isolatedFreeCpus = freeCpus.filter((cpu) => view.byCpu.get(cpu)!.isolated && !housekeepingSet.has(cpu));
  return { view, taken, freeCpus, housekeepingCpus, housekeepingSet, isolatedFreeCpus };
}
