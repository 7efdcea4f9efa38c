/**
 * NUMA layout as the planner will see it, and the user-space tool people reach for to inspect
 * or bind it.
 */
import { formatCpuList } from '../../host/cpulist.js';
import { formatGiB } from '../../host/topology-text.js';
import { installFix, makeFix } from '../fix.js';
import { commandsDisabledOutcome } from '../probe-helpers.js';
import type { Check } from '../types.js';

const nodes: Check = {
  id: 'numa.nodes',
  title: 'NUMA nodes (CPUs and memory per node)',
  category: 'numa',
  needsRoot: false,
  why: "A vCPU reading memory of another node pays ~1.5-2x latency: a VM's vCPUs and RAM belong on one node, so the planner needs each node's CPUs and memory.",
  run(ctx) {
    const topology = ctx.topology;
    if (!topology) return { status: 'skip', evidence: `unknown: ${ctx.topologyError ?? 'no topology'}`, fix: null };
    const described = topology.nodes.map((node) => `node${node.id}: CPUs ${node.cpus.length > 0 ? formatCpuList(node.cpus) : 'none'}, ${formatGiB(node.memMiB)}`);
    const evidence = `${topology.nodes.length} node${topology.nodes.length === 1 ? '' : 's'}: ${described.join('; ')}`;
    const cpuOnly = topology.nodes.filter((node) => node.cpus.length > 0 && node.memMiB === 0);
    if (cpuOnly.length > 0) {
      return {
        status: 'warn',
        evidence: `${evidence}; ${cpuOnly.map((node) => `node${node.id}`).join(', ')} has CPUs but no memory: VMs pinned there always use remote memory`,
        fix: makeFix({
          runtime: [`# pin latency-sensitive VMs to the CPUs of nodes with memory (${topology.nodes.filter((node) => (node.memMiB ?? 0) > 0).map((node) => `node${node.id}`).join(', ') || 'none'})`],
          persistent: ['# populate memory on every socket (a DIMM per channel), or turn off sub-NUMA clustering (SNC / NPS) in the firmware setup'],
          needsRoot: false,
          reboot: true,
        }),
      };
    }
    return { status: 'info', evidence, fix: null };
  },
};

const numactl: Check = {
  id: 'numa.numactl',
  title: 'numactl installed',
  category: 'numa',
  needsRoot: true,
  runsCommands: true,
  why: 'numactl --hardware shows node distances and free memory, and numactl --membind/--cpunodebind runs helpers next to a VM; the tuning guide expects it.',
  run(ctx) {
    if (ctx.run === null) return commandsDisabledOutcome(ctx);
    const binary = ctx.which('numactl');
    if (binary) return { status: 'pass', evidence: `numactl: ${binary}`, fix: null };
    return {
      status: 'warn',
      evidence: 'numactl: not found in PATH',
      fix: installFix(ctx.distro, 'command -v numactl >/dev/null 2>&1', { debian: ['numactl'], fedora: ['numactl'], suse: ['numactl'], arch: ['numactl'] }),
    };
  },
};

export const NUMA_CHECKS: Check[] = [nodes, numactl];
