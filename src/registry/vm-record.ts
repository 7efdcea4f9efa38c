/**
 * The registry record of a VM kvm-tui launched (RUNDIR/vm.json): enough to find its process
 * again (pid plus the kernel's start time, so a recycled pid is never taken for our QEMU), to
 * know what each thread is and where the plan put it, and to say what it is to the user.
 */
import type { Plan } from '../spec/types.js';

export type ThreadRole = 'vcpu' | 'iothread' | 'emulator' | 'vhost';

export interface RecordThread {
  role: ThreadRole;
  /** vCPU index, or the iothread's position in the plan; 0 for the emulator's main thread. */
  index: number;
  /** The iothread id ("io0"); absent for other roles. */
  id?: string;
  tid: number;
  /**
   * The process the thread belongs to when it is not QEMU: a vhost-net kernel thread (Linux < 6.4,
   * src/run/affinity.ts vhostWorkers) is its own process. Absent: QEMU's pid.
   */
  tgid?: number;
  plannedAffinity: number[];
}

export interface VmRecord {
  format: 1;
  /**
   * `starting`: written right after QEMU was spawned, so a launch in progress (or one whose
   * launcher died) is found, held and stoppable; `ready`: pinned, verified, threads recorded.
   */
  phase: 'starting' | 'ready';
  name: string;
  pid: number;
  /** /proc/PID/stat field 22 (clock ticks after boot) of the QEMU process. */
  startTicks: number;
  startedAtMs: number;
  runDir: string;
  accel: string;
  argv: string[];
  plan: Plan;
  /** The threads QMP named at launch, with the affinity each was given. */
  threads: RecordThread[];
}

/** Parses vm.json; null when it is not a record this version wrote (a stale or foreign file). */
export function parseVmRecord(text: string): VmRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const record = value as Partial<VmRecord> | null;
  if (!record || typeof record !== 'object' || record.format !== 1) return null;
  if (typeof record.name !== 'string' || !Number.isInteger(record.pid) || !Number.isInteger(record.startTicks)) return null;
  if (typeof record.runDir !== 'string' || !Array.isArray(record.threads) || !record.plan || !Array.isArray(record.argv)) return null;
  if (record.phase !== 'starting' && record.phase !== 'ready') return null;
  return record as VmRecord;
}

/**
 * The host CPUs a VM holds, each with the VM's name: its pinned vCPUs' CPUs, and its helper
 * threads' CPUs where the plan dedicated them. Housekeeping CPUs that helpers share are not held.
 */
export function heldCpus(record: VmRecord): Map<number, string> {
  const out = new Map<number, string>();
  const plan = record.plan;
  for (const vcpu of plan.vcpus) if (vcpu.hostCpu !== null && vcpu.hostCpu !== undefined) out.set(vcpu.hostCpu, record.name);
  if (plan.spec.iothreads.placement === 'dedicated') for (const iothread of plan.iothreads) for (const cpu of iothread.hostCpus) out.set(cpu, record.name);
  if (plan.spec.emulator.placement === 'dedicated') for (const cpu of plan.emulator) out.set(cpu, record.name);
  // Siblings held idle (pinning.siblings "idle") are this VM's too: nothing else may run there.
  for (const cpu of Array.isArray(plan.idleSiblings) ? plan.idleSiblings : []) if (Number.isInteger(cpu) && cpu >= 0) out.set(cpu, record.name);
  return out;
}
