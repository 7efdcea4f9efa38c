/**
 * The housekeeping CPUs: the ones a plan leaves to the host's own work (interrupts, kernel
 * threads, QEMU's helpers by default), so that vCPUs are not interrupted by it.
 */
import { coreOf, type HostView } from './host-view.js';

/**
 * Housekeeping CPUs: per socket, whole cores (all their siblings) until at least `perSocket`
 * threads, lowest-numbered non-isolated cores first; on hybrid hosts cores of the slowest kind
 * first (an E-core does the host's chores, the P-cores stay whole for VMs). Whole cores, because
 * a vCPU on the sibling of a busy housekeeping thread gets its noise anyway. A CPU another VM holds is skipped (it is
 * not the host's to keep free), its free siblings are kept. Returns CPUs ascending.
 */
export function pickHousekeeping(view: HostView, taken: ReadonlyMap<number, string>, perSocket: number): number[] {
  if (perSocket <= 0) return [];
  const bySocket = new Map<string, number[]>();
  for (const cpu of view.online) {
    const socket = view.byCpu.get(cpu)!.socket;
    const key = socket === null ? `n${view.nodeOf.get(cpu)}` : `s${socket}`;
    if (!bySocket.has(key)) bySocket.set(key, []);
    bySocket.get(key)!.push(cpu);
  }
  const out: number[] = [];
  for (const cpus of bySocket.values()) {
    const cores = uniqueCores(view, cpus).sort((a, b) => {
      const isolatedA = a.some((cpu) => view.byCpu.get(cpu)!.isolated) ? 1 : 0;
      const isolatedB = b.some((cpu) => view.byCpu.get(cpu)!.isolated) ? 1 : 0;
      const rank = (core: number[]) => view.kindRankOf.get(core[0]!) ?? 0;
      return isolatedA - isolatedB || rank(a) - rank(b) || a[0]! - b[0]!;
    });
    let count = 0;
    for (const core of cores) {
      if (count >= perSocket) break;
      const free = core.filter((cpu) => !taken.has(cpu));
      if (free.length === 0) continue;
      out.push(...free);
      count += free.length;
    }
  }
  return out.sort((a, b) => a - b);
}

/** The physical cores (sibling lists) the given CPUs belong to, each once, in first-seen order. */
function uniqueCores(view: HostView, cpus: number[]): number[][] {
  const seen = new Set<string>();
  const out: number[][] = [];
  for (const cpu of cpus) {
    const key = view.coreKeyOf.get(cpu)!;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(coreOf(view, cpu));
  }
  return out;
}
