/**
 * Manual placement: the user's own vCPU -> host CPU map (pinning.map), checked against the same
 * rules as an automatic placement and given the same warnings. The future core-map editor, where
 * vCPUs are assigned to host CPUs by hand, produces such a map and lands here.
 */
import { formatCpuList } from '../host/cpulist.js';
import { groupNodesOf, type PlacementRequest, type VcpuPlacement } from './placement.js';
import { groupIndexOfVcpu } from './vcpu-groups.js';

/**
 * Follows `map` (host CPU of each vCPU) after checking every entry: unknown, offline and held
 * CPUs are errors, and so is a CPU given twice while requireDedicated is set. Returns null when
 * any entry is refused.
 */
export function placeManual(request: PlacementRequest & { map: number[] }): VcpuPlacement | null {
  const { offer, spec, groups, messages, map } = request;
  const { view, taken } = offer;
  const onlineSet = new Set(view.online);
  const firstUse = new Map<number, number>();
  map.forEach((cpu, vcpu) => {
    const at = `pinning.map[${vcpu}]`;
    if (!view.byCpu.has(cpu)) messages.fail('unknown-cpu', `${at}: host CPU ${cpu} does not exist (host CPUs: ${formatCpuList([...view.byCpu.keys()])})`);
    else if (!onlineSet.has(cpu)) messages.fail('offline-cpu', `${at}: host CPU ${cpu} is offline`);
    else if (taken.has(cpu)) messages.fail('cpu-taken', `${at}: host CPU ${cpu} is held by VM "${taken.get(cpu)}"`);
    else if (firstUse.has(cpu)) {
      if (spec.pinning.requireDedicated) {
        messages.fail('duplicate-cpu', `${at}: host CPU ${cpu} is already given to vCPU ${firstUse.get(cpu)} (each vCPU needs its own CPU; set pinning.requireDedicated false to share)`);
      }
    } else firstUse.set(cpu, vcpu);
  });
  if (messages.errors.length > 0) return null;
  if (firstUse.size < map.length) {
    messages.warn('overcommit', `the manual map puts ${map.length} vCPUs on ${firstUse.size} host CPUs: vCPUs sharing a CPU wait for each other`);
  }
  const onHousekeeping = [...firstUse.keys()].filter((cpu) => offer.housekeepingSet.has(cpu));
  if (onHousekeeping.length > 0) {
    messages.warn('housekeeping-used', `the manual map uses housekeeping CPUs ${formatCpuList(onHousekeeping)}; the host's own work will interrupt those vCPUs`);
  }
  return { vcpuHost: [...map], threads: manualThreads(request), groupNodes: groupNodesOf(view, groups, map) };
}

/**
 * Guest threads per core for a map. With an automatic topology, consecutive vCPUs that fill
 * exactly one host core (and one group) become threads of one guest core; else 1. An explicit
 * topology keeps its own threads.
 */
function manualThreads(request: PlacementRequest & { map: number[] }): number {
  const { offer, spec, groups, map } = request;
  const width = offer.view.smtWidth;
  if (spec.vcpus.autoTopology && width > 1 && map.length % width === 0) {
    for (let start = 0; start < map.length; start += width) {
      const chunk = map.slice(start, start + width).sort((a, b) => a - b);
      const wholeCore = chunk.join(',') === offer.view.coreKeyOf.get(chunk[0]!);
      if (!wholeCore || groupIndexOfVcpu(groups, start) !== groupIndexOfVcpu(groups, start + width - 1)) return 1;
    }
    return width;
  }
  return spec.vcpus.autoTopology ? 1 : spec.vcpus.threads;
}
