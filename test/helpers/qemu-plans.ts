/**
 * Hand-made VmSpecs and Plans for the QEMU argv, shell preview and pin script tests: they pin
 * down the generators' output independently of the planner's choices, including shapes the
 * planner may never produce and broken plans the generators must refuse.
 */
import type { Plan, VmSpec } from '../../src/spec/types.js';
import { deepMerge, type DeepPartial } from './deep-merge.js';


/** A complete, valid spec: 4 vCPUs (1 socket x 2 cores x 2 threads), 4 GiB RAM, no disk, user net. */
export function qemuSpec(overrides: DeepPartial<VmSpec> = {}): VmSpec {
  const base: VmSpec = {
    name: 'vm1',
    accel: 'kvm',
    machine: 'q35',
    cpu: { model: 'host', features: [], cachePassthrough: false },
    vcpus: { count: 4, sockets: 1, dies: 1, cores: 2, threads: 2 },
    memory: { sizeMiB: 4096, backing: 'ram', prealloc: false, lock: false, share: false },
    numa: [],
    disks: [],
    network: { mode: 'user', ifname: null, vhost: false, queues: 1, mac: null },
    pinning: { strategy: 'compact', map: null, housekeepingPerSocket: 1, preferIsolated: false, requireDedicated: false, hostNode: null },
    emulator: { placement: 'housekeeping', cpus: null },
    iothreads: { count: 0, placement: 'housekeeping' },
    extraArgs: [],
    guest: { os: 'linux', firmware: 'bios', secureBoot: false, tpm: false, hyperv: false, clock: 'utc' },
  };
  return deepMerge(base, overrides);
}

export interface QemuPlanOptions {
  /** Host CPU per vCPU; default vCPU i -> host CPU i. */
  hostCpus?: Array<number | null>;
  emulator?: number[];
  /** Host CPUs per iothread (spec.iothreads.count of them); default [0] each. */
  iothreadCpus?: number[][];
  hostNodes?: number[];
  vendor?: Plan['host']['vendor'];
}

/** The plan the planner would make for `spec`, with QEMU's own vCPU -> topology numbering. */
export function qemuPlan(spec: VmSpec, options: QemuPlanOptions = {}): Plan {
  const { dies, cores, threads } = spec.vcpus;
  const nodeOf = new Map<number, number>();
  spec.numa.forEach((node, index) => node.vcpus.forEach((vcpu) => nodeOf.set(vcpu, index)));
  return {
    spec,
    vcpus: Array.from({ length: spec.vcpus.count }, (_, vcpu) => ({
      vcpu,
      hostCpu: options.hostCpus ? (options.hostCpus[vcpu] ?? null) : vcpu,
      socket: Math.floor(vcpu / (dies * cores * threads)),
      die: Math.floor(vcpu / (cores * threads)) % dies,
      core: Math.floor(vcpu / threads) % cores,
      thread: vcpu % threads,
      guestNode: spec.numa.length > 0 ? (nodeOf.get(vcpu) ?? null) : null,
    })),
    emulator: options.emulator ?? [0],
    iothreads: Array.from({ length: spec.iothreads.count }, (_, index) => ({
      id: `io${index}`,
      hostCpus: options.iothreadCpus?.[index] ?? [0],
    })),
    memory: {
      hostNodes: options.hostNodes ?? [0],
      backing: spec.memory.backing,
      sizeMiB: spec.memory.sizeMiB,
      guestNodes: spec.numa.map((node, id) => ({ id, vcpus: node.vcpus, memMiB: node.memMiB, hostNodes: [node.hostNode ?? 0] })),
    },
    host: { vendor: options.vendor ?? 'intel', housekeeping: [0] },
    warnings: [],
    errors: [],
  };
}

/**
 * Strings that break naive quoting: shell metacharacters, both quote kinds, command
 * substitution, QEMU's comma separator, "=" (QEMU's key separator), newlines, unicode, <&>.
 */
export const HOSTILE_STRINGS = [
  'vm with spaces',
  `quote"double'single`,
  'dollar $(touch /tmp/kvm-tui-pwned) `id` ${HOME}',
  'semi;colon && pipe | amp & ~tilde',
  'comma,here,,twice,',
  'key=value,id=evil',
  'line\nbreak\ttab',
  'unicode é ☃ 日本語 🚀',
  '<tag attr="x">&amp;</tag>',
  "-starts-with-dash '' \\ backslash",
  '*glob? [a-z] {a,b}',
];
