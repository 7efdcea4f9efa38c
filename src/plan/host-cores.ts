/**
 * The free host cores an automatic placement draws from: how they rank, how many guest cores
 * ("units" of `threads` host CPUs) they hold, and taking units from them in a given order. Shared
 * by compact and spread, which differ only in the order they hand the cores over.
 */
import type { HostOffer } from './host-offer.js';

/** One physical host core, as far as the pool being placed into has it. */
export interface HostCore {
  /** Free CPUs of this core in the pool, ascending. */
  cpus: number[];
  node: number;
  l3: string;
  /** No sibling is held by another VM. */
  clean: boolean;
  isolated: boolean;
  kindRank: number;
  /** Part of the housekeeping set (only in the pool of a host too small to keep it free). */
  housekeeping: boolean;
}

/** The guest-threads setting a placement attempt is made for. */
export interface ThreadConfig {
  threads: number;
  /** Allow several guest cores on one host core (and guest cores across host cores). */
  packing: boolean;
}

/**
 * The cores the given pool CPUs belong to. Without `preferIsolated`, isolated CPUs are neither
 * sought nor avoided, so `isolated` is false throughout.
 */
export function buildHostCores(offer: HostOffer, poolCpus: number[], preferIsolated: boolean): HostCore[] {
  const { view } = offer;
  const byKey = new Map<string, number[]>();
  for (const cpu of poolCpus) {
    const key = view.coreKeyOf.get(cpu)!;
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key)!.push(cpu);
  }
  return [...byKey.entries()].map(([key, free]) => {
    const all = key.split(',').map(Number);
    const first = free[0]!;
    return {
      cpus: free.sort((a, b) => a - b),
      node: view.nodeOf.get(first)!,
      l3: view.l3KeyOf.get(first)!,
      clean: all.every((cpu) => !offer.taken.has(cpu)),
      isolated: preferIsolated && free.every((cpu) => view.byCpu.get(cpu)!.isolated),
      kindRank: view.kindRankOf.get(first) ?? 0,
      housekeeping: free.some((cpu) => offer.housekeepingSet.has(cpu)),
    };
  });
}

/**
 * Best core first: not housekeeping, then no sibling held by another VM, then isolated, then
 * faster CPU kinds, then by number (deterministic plans).
 */
export function compareHostCores(a: HostCore, b: HostCore): number {
  return (
    Number(a.housekeeping) - Number(b.housekeeping) ||
    Number(b.clean) - Number(a.clean) ||
    Number(b.isolated) - Number(a.isolated) ||
    b.kindRank - a.kindRank ||
    a.cpus[0]! - b.cpus[0]!
  );
}

/** Guest cores one host core can hold without packing (0 or 1). */
export function strictUnits(core: HostCore, threads: number): number {
  return core.cpus.length >= threads ? 1 : 0;
}

/** Guest cores a set of host cores can hold under the config. */
export function totalUnits(cores: HostCore[], config: ThreadConfig): number {
  if (!config.packing) return cores.reduce((sum, core) => sum + strictUnits(core, config.threads), 0);
  return Math.floor(cores.reduce((sum, core) => sum + core.cpus.length, 0) / config.threads);
}

/**
 * Takes `units` guest cores of `threads` CPUs from cores in the given order: one per host core
 * first; with packing, then further ones from leftover siblings, then across cores. Housekeeping
 * cores (present only when the host is too small to keep them) come after every other option.
 * Returns the CPUs of each guest core, or null when the cores cannot hold them all.
 */
export function takeUnits(cores: HostCore[], units: number, config: ThreadConfig): number[][] | null {
  const { threads } = config;
  const out: number[][] = [];
  const passes = [cores.filter((core) => !core.housekeeping), cores.filter((core) => core.housekeeping)];
  for (const pass of passes) {
    const left = pass.map((core) => [...core.cpus]);
    for (const cpus of left) {
      if (out.length === units) return out;
      if (cpus.length >= threads) out.push(cpus.splice(0, threads));
    }
    if (out.length === units) return out;
    if (!config.packing) continue;
    for (const cpus of left) {
      while (cpus.length >= threads && out.length < units) out.push(cpus.splice(0, threads));
    }
    if (out.length === units) return out;
    const spill = left.flat();
    while (spill.length >= threads && out.length < units) out.push(spill.splice(0, threads));
    if (out.length === units) return out;
    // Leftovers of this pass (fewer than `threads`) are not combined with the next pass's CPUs:
    // a guest core half on a housekeeping core would be worse than spanning host cores.
  }
  return out.length === units ? out : null;
}
