/**
 * The resolved VM spec (after preset + spec file + CLI overrides + validation) and the Plan the
 * planner makes from it. These two shapes are the contract between spec/, plan/, generate/ and
 * run/. The schema in vm-spec.ts (checked by check.ts) produces VmSpec; plan/ produces Plan.
 */

export type Accel = 'kvm' | 'tcg';
export type MemoryBacking = 'ram' | 'hugepages-2M' | 'hugepages-1G';
export type DiskCache = 'none' | 'writeback' | 'writethrough' | 'directsync' | 'unsafe';
export type DiskAio = 'native' | 'io_uring' | 'threads';
export type PinStrategy = 'compact' | 'spread' | 'none';
export type GuestOs = 'linux' | 'windows' | 'other';
export type GuestFirmware = 'bios' | 'uefi';
export type GuestClock = 'utc' | 'localtime';

export interface VmSpec {
  name: string;
  accel: Accel;
  /** QEMU machine type: "q35" (default), "pc", or a versioned one ("pc-q35-7.2"). */
  machine: string;
  cpu: {
    /** "host" = host passthrough; otherwise a named QEMU model ("Skylake-Server", "EPYC", "qemu64"). */
    model: string;
    /** "+name" / "-name" feature toggles, in order. */
    features: string[];
    /** Pass host cache topology to the guest (host-passthrough only). */
    cachePassthrough: boolean;
    /** The virtual PMU (perf counters): false = off (pmu=off; no PMU MSR switching on exits), null = QEMU's default. */
    pmu?: boolean | null;
  };
  vcpus: {
    count: number;
    /** Guest topology; resolved so that sockets*dies*cores*threads === count. */
    sockets: number;
    dies: number;
    cores: number;
    threads: number;
    /**
     * True when the spec gave only a count: the planner then chooses sockets/cores/threads from
     * where the vCPUs land (guest threads = host SMT width when whole cores are used) and writes
     * them into Plan.spec. Optional so specs built by hand stay valid (absent = explicit).
     */
    autoTopology?: boolean;
  };
  memory: {
    sizeMiB: number;
    backing: MemoryBacking;
    prealloc: boolean;
    /** mlock guest memory (-overcommit mem-lock=on / <locked/>). */
    lock: boolean;
    /** share=on: needed by vhost-user / virtiofs. */
    share: boolean;
  };
  /** Guest NUMA: empty = off. Each guest node lists its vCPUs and memory; hostNode binds it. */
  numa: Array<{ vcpus: number[]; memMiB: number; hostNode: number | null }>;
  disks: Array<{
    path: string;
    format: 'raw' | 'qcow2';
    cache: DiskCache;
    aio: DiskAio;
    /** Give this disk its own iothread. */
    iothread: boolean;
    readonly: boolean;
  }>;
  network: {
    mode: 'none' | 'user' | 'tap';
    /** tap interface name (mode tap); null = let QEMU pick "tap%d"? No: tap requires a name. */
    ifname: string | null;
    vhost: boolean;
    queues: number;
    mac: string | null;
  };
  pinning: {
    strategy: PinStrategy;
    /** Explicit vCPU -> host CPU map; when set it wins over strategy (validated by the same rules). */
    map: number[] | null;
    /** Host CPUs kept free for the host per socket (default 1). */
    housekeepingPerSocket: number;
    /** Prefer CPUs listed in isolcpus / cpu/isolated. */
    preferIsolated: boolean;
    /** Refuse to plan rather than overcommit (the vCPUs must each get a CPU of their own). */
    requireDedicated: boolean;
    /** Restrict to one host NUMA node (compact) unless impossible; null = planner decides. */
    hostNode: number | null;
    /**
     * "idle": one vCPU per physical core, its SMT siblings left idle (held for this VM, given to
     * nothing: not its emulator or iothreads, not other VMs) so nothing competes with the vCPU for
     * the core. "share" (default, absent = share): siblings are used. Optional so specs built by
     * hand stay valid.
     */
    siblings?: 'share' | 'idle';
  };
  /** Where QEMU's emulator (main loop) threads run. */
  emulator: { placement: 'housekeeping' | 'with-vcpus' | 'dedicated'; cpus: number[] | null };
  /**
   * QEMU's iothreads (io0, io1...). `cpus`: host CPUs every iothread runs on, as given (the core
   * map's hand placement), instead of `placement`; null/absent = placed by `placement`.
   */
  iothreads: { count: number; placement: 'housekeeping' | 'dedicated' | 'with-vcpus'; cpus?: number[] | null };
  extraArgs: string[];
  /**
   * Real-time scheduling of the vCPU threads (SCHED_FIFO / SCHED_RR at `priority`), set by launch
   * and the pin script (chrt) and by libvirt (<vcpusched>); null/absent = the normal scheduler.
   * Only for vCPUs on cores of their own: a real-time vCPU that spins starves what shares its CPU.
   */
  vcpuScheduler?: { policy: 'fifo' | 'rr'; priority: number } | null;
  /**
   * What the guest OS needs from the platform; `os` chooses the defaults of the rest (windows:
   * UEFI with secure boot, TPM 2.0, Hyper-V enlightenments, RTC in local time; linux and other:
   * BIOS, none of those, RTC in UTC).
   */
  guest: {
    os: GuestOs;
    firmware: GuestFirmware;
    /** UEFI secure boot with Microsoft's keys enrolled (needs firmware uefi and machine q35). */
    secureBoot: boolean;
    /** An emulated TPM 2.0 (swtpm). */
    tpm: boolean;
    /** Hyper-V enlightenments (hv-*); given to the guest only under accel kvm. */
    hyperv: boolean;
    /** What the guest's RTC counts: UTC (Linux) or the host's local time (Windows' default). */
    clock: GuestClock;
  };
}

/** A named preset: a partial spec plus a one-line description and its reasoning. */
export interface Preset {
  name: string;
  description: string;
  reasoning: string;
  /** Where it came from: "builtin" or the file path of a user's preset. */
  source: string;
  spec: VmSpec;
  /**
   * The preset's spec as written (partial, before defaults): overrides are merged into this and
   * validated once, so e.g. --vcpus recomputes the guest topology and guest NUMA split.
   */
  input?: Record<string, unknown>;
}

export interface PlanVcpu {
  vcpu: number;
  /** Host CPU this vCPU is pinned to; null when pinning is off. */
  hostCpu: number | null;
  /** Guest topology position. */
  socket: number;
  die: number;
  core: number;
  thread: number;
  /** Guest NUMA node, or null when guest NUMA is off. */
  guestNode: number | null;
}

export interface PlanIothread {
  id: string;
  hostCpus: number[];
  /** Indexes into spec.disks served by this iothread (the k-th disk with iothread:true gets io<k>). */
  disks?: number[];
}

export interface PlanMessage {
  code: string;
  message: string;
}

export interface Plan {
  spec: VmSpec;
  vcpus: PlanVcpu[];
  /** Host CPUs for the emulator threads ([] = not pinned). */
  emulator: number[];
  iothreads: PlanIothread[];
  /** With pinning.siblings "idle": the SMT siblings of the vCPUs' cores, held idle (absent = none). */
  idleSiblings?: number[];
  memory: {
    hostNodes: number[];
    backing: MemoryBacking;
    sizeMiB: number;
    /** Per guest NUMA node: host node it binds to. Empty when guest NUMA is off. */
    guestNodes: Array<{ id: number; vcpus: number[]; memMiB: number; hostNodes: number[] }>;
  };
  /** Host facts the generators need (so they never read the host). */
  host: {
    vendor: 'intel' | 'amd' | 'other';
    /** Host CPUs every vCPU may use when not pinned, and the housekeeping set. */
    housekeeping: number[];
  };
  warnings: PlanMessage[];
  errors: PlanMessage[];
}
