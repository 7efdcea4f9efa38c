/**
 * Hand-made VmSpecs and Plans for the libvirt XML tests: they exercise the generator on shapes
 * the planner may never produce (and on broken plans it must refuse), independently of the
 * planner's choices.
 */
import type { Plan, PlanIothread, VmSpec } from '../../src/spec/types.js';
import { deepMerge, type DeepPartial } from './deep-merge.js';


/** A complete, valid VmSpec: 4 vCPUs (1 socket x 2 cores x 2 threads), 4 GiB, one disk, user net. */
export function handSpec(overrides: DeepPartial<VmSpec> = {}): VmSpec {
  const base: VmSpec = {
    name: 'vm1',
    accel: 'kvm',
    machine: 'q35',
    cpu: { model: 'host', features: [], cachePassthrough: false },
    vcpus: { count: 4, sockets: 1, dies: 1, cores: 2, threads: 2 },
    memory: { sizeMiB: 4096, backing: 'ram', prealloc: false, lock: false, share: false },
    numa: [],
    disks: [{ path: '/var/lib/vm/disk.qcow2', format: 'qcow2', cache: 'none', aio: 'native', iothread: true, readonly: false }],
    network: { mode: 'user', ifname: null, vhost: false, queues: 1, mac: null },
    pinning: { strategy: 'compact', map: null, housekeepingPerSocket: 1, preferIsolated: false, requireDedicated: false, hostNode: null },
    emulator: { placement: 'housekeeping', cpus: null },
    iothreads: { count: 1, placement: 'housekeeping' },
    extraArgs: [],
    guest: { os: 'linux', firmware: 'bios', secureBoot: false, tpm: false, hyperv: false, clock: 'utc' },
  };
  return deepMerge(base, overrides);
}

export interface HandPlanOptions {
  /** Host CPU per vCPU (index = vCPU); null entries leave that vCPU floating. Default: 2, 3, 4, ... */
  hostCpus?: Array<number | null>;
  emulator?: number[];
  /** Host CPUs per iothread; default: [1] for each declared iothread. */
  iothreadCpus?: number[][];
  hostNodes?: number[];
  /** Host nodes per guest NUMA cell (index = cell); default [0] each. */
  cellHostNodes?: number[][];
  /** Leave PlanIothread.disks out (plans from before the planner said which disk each serves). */
  withoutDiskMap?: boolean;
}

/**
 * A plan for `spec` the way the planner would shape it: guest topology positions from the spec,
 * guest cells from spec.numa, pins from the options.
 */
export function handPlan(spec: VmSpec, options: HandPlanOptions = {}): Plan {
  const { cores, threads, dies } = spec.vcpus;
  const cellOf = new Map<number, number>();
  spec.numa.forEach((cell, index) => cell.vcpus.forEach((vcpu) => cellOf.set(vcpu, index)));
  const vcpus = Array.from({ length: spec.vcpus.count }, (_, vcpu) => ({
    vcpu,
    hostCpu: options.hostCpus ? (options.hostCpus[vcpu] ?? null) : vcpu + 2,
    socket: Math.floor(vcpu / (dies * cores * threads)),
    die: Math.floor(vcpu / (cores * threads)) % dies,
    core: Math.floor(vcpu / threads) % cores,
    thread: vcpu % threads,
    guestNode: spec.numa.length > 0 ? (cellOf.get(vcpu) ?? null) : null,
  }));
  // As the planner does: the k-th disk asking for an iothread is served by io<k>.
  const iothreadDisks = spec.disks.flatMap((disk, index) => (disk.iothread ? [index] : []));
  const iothreads: PlanIothread[] = Array.from({ length: spec.iothreads.count }, (_, index) => ({
    id: `io${index}`,
    hostCpus: options.iothreadCpus?.[index] ?? [1],
    ...(options.withoutDiskMap ? {} : { disks: iothreadDisks[index] === undefined ? [] : [iothreadDisks[index]!] }),
  }));
  return {
    spec,
    vcpus,
    emulator: options.emulator ?? [0, 1],
    iothreads,
    memory: {
      hostNodes: options.hostNodes ?? [0],
      backing: spec.memory.backing,
      sizeMiB: spec.memory.sizeMiB,
      guestNodes: spec.numa.map((cell, id) => ({ id, vcpus: cell.vcpus, memMiB: cell.memMiB, hostNodes: options.cellHostNodes?.[id] ?? [cell.hostNode ?? 0] })),
    },
    host: { vendor: 'intel', housekeeping: [0, 1] },
    warnings: [],
    errors: [],
  };
}

/**
 * Names that break naive XML or shell handling. None contains "/" or control characters: the
 * spec schema refuses those, and libvirt forbids "/" in names.
 */
export const HOSTILE_NAMES = [
  'vm with spaces',
  `quote"double'single`,
  'dollar $(touch pwned) `id` ${HOME}',
  'semi;colon && pipe | amp &',
  'unicode é ☃ 日本語 🚀',
  '<tag attr="x">&amp;<tag>',
  ']]> <![CDATA[ x',
  // Entity look-alikes: a serializer that skips "&" before "name;" would corrupt these.
  'amp &amp; &foo; &#38; &#x26; &lt',
];
