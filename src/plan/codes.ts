/**
 * The typed codes a Plan's warnings and errors carry. Errors mean "cannot be made as asked"
 * (exit 1); warnings mean "made, but know this".
 */

export const PLAN_ERROR_CODES = [
  /** More vCPUs than free host CPUs while each vCPU must have a CPU of its own. */
  'not-enough-cpus',
  /** Every host CPU is held by other VMs: nothing to place on, even shared. */
  'no-free-cpus',
  /** 1G hugepages asked for on an x86 CPU without the pdpe1gb flag. */
  'no-pdpe1gb',
  /** A manual map or emulator list names a CPU the host does not have. */
  'unknown-cpu',
  /** A manual map or emulator list names an offline CPU. */
  'offline-cpu',
  /** A manual map names a CPU another VM holds. */
  'cpu-taken',
  /** A manual map gives one host CPU to two vCPUs while requireDedicated is set. */
  'duplicate-cpu',
  /** pinning.hostNode or numa[].hostNode names a node the host does not have (or one without CPUs). */
  'unknown-node',
  /** accel kvm on a host that is not x86: KVM only runs guests of the host's architecture. */
  'kvm-arch-mismatch',
] as const;

export const PLAN_WARNING_CODES = [
  /** The vCPUs (or one guest node's vCPUs) span more than one host NUMA node. */
  'cross-numa',
  /** The vCPUs span more than one L3 cache group. */
  'split-l3',
  /** A vCPU's SMT sibling runs another VM's vCPU, or this VM's emulator or an iothread. */
  'sibling-shared',
  /** The hugepage pool on the memory's host node(s) has fewer free pages than the VM needs. */
  'hugepages-missing',
  /** More vCPUs than CPUs to run them: vCPUs share host CPUs. */
  'overcommit',
  /** The host is too small to keep its housekeeping CPUs free; vCPUs were placed on them. */
  'no-housekeeping',
  /** A manual map uses a housekeeping CPU. */
  'housekeeping-used',
  /** The host has isolated CPUs but not enough of them: some vCPUs are on ordinary CPUs. */
  'not-isolated',
  /** Two vCPUs shown to the guest as separate cores are SMT siblings on the host. */
  'smt-hidden',
  /** The vCPUs span CPU kinds (performance and efficiency cores). */
  'mixed-cpu-kinds',
  /** The chosen host node(s) have less memory than the VM. */
  'memory-exceeds-node',
  /** Preallocated RAM larger than the planned nodes' free memory now (an error for launch). */
  'memory-exceeds-free',
  /** RAM (not preallocated) larger than the planned nodes' free memory now: reclaim or swap later. */
  'memory-not-free',
  /** The emulator or an iothread runs off the host nodes of the vCPUs and memory. */
  'helper-remote',
  /** Two guest NUMA nodes had to share one host node. */
  'guest-numa-shared-node',
  /** A named CPU model of another vendor than the host's: KVM cannot give the other vendor's features (enforced: QEMU refuses). */
  'cpu-model-vendor',
  /** An iothread or the emulator asked for a dedicated CPU and none was free: put on housekeeping. */
  'no-dedicated-cpu',
  /** pinning.hostNode / numa[].hostNode had no room: the vCPUs went to other nodes. */
  'host-node-unavailable',
  /** accel kvm, but /dev/kvm is missing or does not open read-write here (an error for launch). */
  'kvm-unavailable',
  /** A tap with vhost, but /dev/vhost-net is missing or does not open here (an error for launch). */
  'vhost-unavailable',
  /** A TPM and a "," in the VM name: libvirt's swtpm cannot take the paths it makes of the name. */
  'tpm-name-comma',
  /** Real-time vCPUs (vcpuScheduler) share a host CPU with something else (an error for launch). */
  'realtime-shared',
  /** pinning.siblings idle, but too few whole free cores: vCPUs share cores with their siblings. */
  'siblings-not-idle',
  /** QEMU says this host cannot give features of the named CPU model (an error for launch: enforce). */
  'cpu-model-unavailable',
  /** The guest asks for Hyper-V enlightenments under TCG, which refuses them: the guest runs without. */
  'hyperv-needs-kvm',
  /** emulator.cpus / iothreads.cpus (placed by hand) put a helper on a vCPU's own host CPU. */
  'helper-on-vcpu',
] as const;

export type PlanErrorCode = (typeof PLAN_ERROR_CODES)[number];
export type PlanWarningCode = (typeof PLAN_WARNING_CODES)[number];

/** Plan warnings that make `launch` refuse: the VM would not start, or start and then fail. */
export const LAUNCH_BLOCKING_CODES: ReadonlySet<string> = new Set(['hugepages-missing', 'memory-exceeds-node', 'memory-exceeds-free', 'kvm-unavailable', 'vhost-unavailable', 'cpu-model-unavailable', 'realtime-shared']);
