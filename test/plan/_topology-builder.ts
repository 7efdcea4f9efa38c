/**
 * Small in-memory hosts for the planner's unit tests (the real captures are in the table test).
 * Numbering follows Linux on x86: first threads of all cores 0..C-1, second threads C..2C-1, so
 * CPU 0's sibling is C. Cores are laid out socket -> node -> L3 group -> core.
 */
import type { CpuInfo } from '../../src/host/cpuinfo.js';
import type { HostCpu, HostNode, Topology } from '../../src/host/topology.js';

export interface Shape {
  sockets?: number;
  nodesPerSocket?: number;
  l3PerNode?: number;
  coresPerL3?: number;
  threads?: number;
  isolated?: number[];
  offline?: number[];
  /** Free 2M pages per node (same for every node). */
  free2M?: number;
  free1G?: number;
  memMiBPerNode?: number;
  /** MemFree per node (absent: not known, as a capture without it). */
  freeMiBPerNode?: number;
}

export function buildTopology(shape: Shape = {}): Topology {
  const sockets = shape.sockets ?? 1;
  const nodesPerSocket = shape.nodesPerSocket ?? 1;
  const l3PerNode = shape.l3PerNode ?? 1;
  const coresPerL3 = shape.coresPerL3 ?? 4;
  const threads = shape.threads ?? 2;
  const totalCores = sockets * nodesPerSocket * l3PerNode * coresPerL3;
  const offline = new Set(shape.offline ?? []);
  const isolated = new Set(shape.isolated ?? []);
  const cpus: HostCpu[] = [];
  const nodeCpus = new Map<number, number[]>();
  const l3Cpus = new Map<number, number[]>();
  for (let thread = 0; thread < threads; thread++) {
    for (let coreIndex = 0; coreIndex < totalCores; coreIndex++) {
      const cpu = thread * totalCores + coreIndex;
      const l3 = Math.floor(coreIndex / coresPerL3);
      const node = Math.floor(l3 / l3PerNode);
      const socket = Math.floor(node / nodesPerSocket);
      const siblings = Array.from({ length: threads }, (_, index) => index * totalCores + coreIndex).filter((other) => !offline.has(other));
      const online = !offline.has(cpu);
      cpus.push({
        cpu,
        online,
        socket: online ? socket : null,
        die: online ? 0 : null,
        cluster: null,
        core: online ? coreIndex % (nodesPerSocket * l3PerNode * coresPerL3) : null,
        node: online ? node : null,
        l3: online ? l3 : null,
        siblings: online ? siblings : [],
        kind: null,
        isolated: online && isolated.has(cpu),
        nohzFull: false,
      });
      if (online) {
        nodeCpus.set(node, [...(nodeCpus.get(node) ?? []), cpu]);
        l3Cpus.set(l3, [...(l3Cpus.get(l3) ?? []), cpu]);
      }
    }
  }
  cpus.sort((a, b) => a.cpu - b.cpu);
  const nodeCount = sockets * nodesPerSocket;
  const nodes: HostNode[] = Array.from({ length: nodeCount }, (_, id) => ({
    id,
    cpus: (nodeCpus.get(id) ?? []).sort((a, b) => a - b),
    memMiB: shape.memMiBPerNode ?? 65536,
    ...(shape.freeMiBPerNode === undefined ? {} : { freeMiB: shape.freeMiBPerNode }),
    distances: Object.fromEntries(Array.from({ length: nodeCount }, (_, other) => [String(other), other === id ? 10 : 21])),
    hugepages: {
      '2048': { total: shape.free2M ?? 0, free: shape.free2M ?? 0 },
      '1048576': { total: shape.free1G ?? 0, free: shape.free1G ?? 0 },
    },
  }));
  const online = cpus.filter((cpu) => cpu.online).map((cpu) => cpu.cpu);
  return {
    cpus,
    nodes,
    online,
    isolated: online.filter((cpu) => isolated.has(cpu)),
    nohzFull: [],
    l3Groups: [...l3Cpus.entries()].map(([index, members]) => ({ index, cacheId: index, cpus: members.sort((a, b) => a - b) })),
    cpuKinds: [],
    notes: [],
  };
}

export function x86CpuInfo(vendor: 'intel' | 'amd', flags: string[] = ['pdpe1gb', 'lm', 'vmx']): CpuInfo {
  return {
    vendor,
    vendorId: vendor === 'intel' ? 'GenuineIntel' : 'AuthenticAMD',
    modelName: vendor === 'intel' ? 'Test Xeon' : 'Test EPYC',
    flags: new Set(flags),
    readable: true,
    reason: null,
  };
}
