/**
 * The planner's view of a host: online CPUs grouped into physical cores, L3 groups and NUMA nodes,
 * with lookups the placement needs. Built once per plan from a Topology; pure.
 */
import type { HostCpu, Topology } from '../host/topology.js';

export interface HostView {
  topology: Topology;
  byCpu: Map<number, HostCpu>;
  /** Online CPUs, ascending. */
  online: number[];
  /** NUMA node of each online CPU (a CPU without one counts as the first node). */
  nodeOf: Map<number, number>;
  /** Node ids that have online CPUs, ascending. */
  cpuNodes: number[];
  /** Sibling set (a physical core) of each online CPU, as a key "a,b". */
  coreKeyOf: Map<number, string>;
  /** The SMT width most CPUs have (1 without SMT). */
  smtWidth: number;
  /** Kind rank of each CPU on hybrid hosts (higher = faster); 0 elsewhere. */
  kindRankOf: Map<number, number>;
  /** L3 group key: "l3:<index>" when known, else "node:<id>" (one unknown group per node). */
  l3KeyOf: Map<number, string>;
  /** Distance from node a to node b (10 = local; 20 when unknown and a != b). */
  distance(a: number, b: number): number;
}

export function buildHostView(topology: Topology): HostView {
  const byCpu = new Map(topology.cpus.map((entry) => [entry.cpu, entry]));
  const online = topology.cpus.filter((entry) => entry.online).map((entry) => entry.cpu).sort((a, b) => a - b);
  const firstNode = topology.nodes.find((node) => node.cpus.length > 0)?.id ?? 0;
  const nodeOf = new Map<number, number>();
  for (const cpu of online) nodeOf.set(cpu, byCpu.get(cpu)!.node ?? firstNode);
  const cpuNodes = [...new Set(nodeOf.values())].sort((a, b) => a - b);

  const coreKeyOf = new Map<number, string>();
  const widthCount = new Map<number, number>();
  for (const cpu of online) {
    const siblings = byCpu.get(cpu)!.siblings.filter((other) => nodeOf.has(other));
    const core = siblings.includes(cpu) ? siblings : [cpu];
    coreKeyOf.set(cpu, core.join(','));
    widthCount.set(core.length, (widthCount.get(core.length) ?? 0) + 1);
  }
  let smtWidth = 1;
  let best = -1;
  for (const [width, count] of [...widthCount.entries()].sort((a, b) => a[0] - b[0])) {
    if (count > best) {
      best = count;
      smtWidth = width;
    }
  }

  const kindRankOf = new Map<number, number>();
  for (const kind of topology.cpuKinds) for (const cpu of kind.cpus) kindRankOf.set(cpu, kind.rank);
  const l3KeyOf = new Map<number, string>();
  for (const cpu of online) {
    const l3 = byCpu.get(cpu)!.l3;
    l3KeyOf.set(cpu, l3 === null ? `node:${nodeOf.get(cpu)}` : `l3:${l3}`);
  }

  const nodeById = new Map(topology.nodes.map((node) => [node.id, node]));
  const distance = (a: number, b: number): number => {
    const value = nodeById.get(a)?.distances[String(b)];
    return typeof value === 'number' ? value : a === b ? 10 : 20;
  };

  return { topology, byCpu, online, nodeOf, cpuNodes, coreKeyOf, smtWidth, kindRankOf, l3KeyOf, distance };
}

/** Online siblings of a CPU (its physical core), including itself. */
export function coreOf(view: HostView, cpu: number): number[] {
  return (view.coreKeyOf.get(cpu) ?? String(cpu)).split(',').map(Number);
}
