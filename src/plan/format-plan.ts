/**
 * The plan as text: a summary, a table vCPU -> host CPU with where that CPU is on the host and
 * where the vCPU is in the guest, then emulator, iothreads, memory and warnings. Pure.
 */
import type { Topology } from '../host/topology.js';
import { formatSizeMiB } from '../spec/size.js';
import type { Plan } from '../spec/types.js';
import { formatCpuList } from '../host/cpulist.js';

export function formatPlan(plan: Plan, topology: Topology, source: string): string {
  const { spec } = plan;
  const byCpu = new Map(topology.cpus.map((entry) => [entry.cpu, entry]));
  const out: string[] = [];
  const cpuText = [spec.cpu.model, ...spec.cpu.features].join(',') + (spec.cpu.cachePassthrough ? ' (host cache info)' : '');
  out.push(`Plan for ${JSON.stringify(spec.name)} from ${source}`);
  out.push(`  ${spec.vcpus.count} vCPUs, ${formatSizeMiB(spec.memory.sizeMiB)}, accel ${spec.accel}, machine ${spec.machine}, cpu ${cpuText}`);
  const { sockets, dies, cores, threads } = spec.vcpus;
  out.push(`  guest topology: ${sockets} socket${sockets === 1 ? '' : 's'} x ${dies} die${dies === 1 ? '' : 's'} x ${cores} core${cores === 1 ? '' : 's'} x ${threads} thread${threads === 1 ? '' : 's'}${spec.vcpus.autoTopology ? ' (chosen from the placement)' : ''}`);
  out.push(`  pinning: ${spec.pinning.map ? 'manual map' : spec.pinning.strategy}`);
  out.push('');

  const header = ['vCPU', 'host CPU', 'node', 'L3', 'core siblings', 'guest socket/die/core/thread', ...(spec.numa.length > 0 ? ['guest node'] : [])];
  const rows = plan.vcpus.map((vcpu) => {
    const host = vcpu.hostCpu === null ? undefined : byCpu.get(vcpu.hostCpu);
    return [
      String(vcpu.vcpu),
      vcpu.hostCpu === null ? 'any' : String(vcpu.hostCpu),
      host?.node == null ? '-' : String(host.node),
      host?.l3 == null ? '-' : String(host.l3),
      host ? formatCpuList(host.siblings) : '-',
      `${vcpu.socket}/${vcpu.die}/${vcpu.core}/${vcpu.thread}`,
      ...(spec.numa.length > 0 ? [String(vcpu.guestNode)] : []),
    ];
  });
  out.push(...table(header, rows).map((line) => `  ${line}`));
  out.push('');

  const pinned = (cpus: number[]) => (cpus.length === 0 ? 'not pinned' : formatCpuList(cpus));
  out.push(`  emulator:     ${pinned(plan.emulator)} (${spec.emulator.cpus ? 'as given' : spec.emulator.placement})`);
  if (plan.idleSiblings && plan.idleSiblings.length > 0) out.push(`  held idle:    ${formatCpuList(plan.idleSiblings)} (the vCPUs' SMT siblings: nothing runs there)`);
  if (plan.iothreads.length === 0) out.push('  iothreads:    none');
  for (const thread of plan.iothreads) {
    const disks = thread.disks && thread.disks.length > 0 ? `, ${thread.disks.map((index) => spec.disks[index]!.path).join(', ')}` : '';
    out.push(`  iothread ${thread.id}: ${pinned(thread.hostCpus)} (${spec.iothreads.cpus ? 'as given' : spec.iothreads.placement}${disks})`);
  }
  const memoryFlags = [spec.memory.prealloc && 'prealloc', spec.memory.lock && 'locked', spec.memory.share && 'shared'].filter(Boolean);
  const nodes = plan.memory.hostNodes.length === 0 ? 'any host node' : `host node${plan.memory.hostNodes.length === 1 ? '' : 's'} ${plan.memory.hostNodes.join(', ')}`;
  out.push(`  memory:       ${formatSizeMiB(plan.memory.sizeMiB)} ${plan.memory.backing} on ${nodes}${memoryFlags.length > 0 ? ` (${memoryFlags.join(', ')})` : ''}`);
  for (const node of plan.memory.guestNodes) {
    out.push(`    guest node ${node.id}: vCPUs ${formatCpuList(node.vcpus)}, ${formatSizeMiB(node.memMiB)} on host node ${node.hostNodes.join(', ') || 'any'}`);
  }
  out.push(`  housekeeping: ${plan.host.housekeeping.length > 0 ? formatCpuList(plan.host.housekeeping) : 'none kept'} (host vendor ${plan.host.vendor})`);
  // Shown because they go on the command line as written, after everything kvm-tui sets.
  if (plan.spec.extraArgs.length > 0) out.push(`  extra QEMU args (appended as given): ${plan.spec.extraArgs.map((arg) => JSON.stringify(arg)).join(' ')}`);

  if (plan.warnings.length > 0) {
    out.push('', 'Warnings:');
    for (const warning of plan.warnings) out.push(`  - [${warning.code}] ${warning.message}`);
  }
  if (plan.errors.length > 0) {
    out.push('', 'Errors:');
    for (const error of plan.errors) out.push(`  - [${error.code}] ${error.message}`);
  }
  return out.join('\n') + '\n';
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
