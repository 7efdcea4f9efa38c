/**
 * Parsers of a task's /proc files (/proc/PID/task/TID/{stat,schedstat,status,sched}): pure
 * functions over the file's text, so the monitor's maths is tested on captured text. Each returns
 * null for text it cannot read (a task that exited mid-read leaves an empty file), never throws.
 *
 * Field meanings: proc(5) and Documentation/scheduler/sched-stats.rst.
 */
import { parseCpuList } from './cpulist.js';

export interface TaskStat {
  tid: number;
  /** The thread's name (comm), which may hold spaces and parentheses ("CPU 0/KVM"). */
  comm: string;
  /** R running, S sleeping, D disk sleep, T stopped, t traced, Z zombie, X dead, I idle. */
  state: string;
  /** CPU time in user and kernel mode, in clock ticks (USER_HZ, 100 on Linux). */
  utimeTicks: number;
  stimeTicks: number;
  /** Guest time (time running a vCPU in guest mode), in clock ticks; included in utime. */
  guestTimeTicks: number;
  /** The host CPU the task last ran on. */
  lastHostCpu: number;
  /** Scheduling policy: 0 OTHER, 1 FIFO, 2 RR, 3 BATCH, 5 IDLE, 6 DEADLINE. */
  policy: number;
  rtPriority: number;
  numThreads: number;
  /** When the task started, in clock ticks after boot (with the pid, it names one process for good). */
  startTicks: number;
}

/**
 * /proc/.../stat. The comm is everything between the first "(" and the last ")": a name can hold
 * ")" itself, so splitting on spaces would shift every field after it.
 * @example parseTaskStat("1240 (CPU 0/KVM) R 1234 ...").comm // "CPU 0/KVM"
 */
export function parseTaskStat(text: string): TaskStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const tid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state) of proc(5); field N is rest[N - 3].
  const field = (n: number): number => Number(rest[n - 3]);
  if (!Number.isInteger(tid) || rest.length < 41 - 2) return null;
  const out: TaskStat = {
    tid,
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    utimeTicks: field(14),
    stimeTicks: field(15),
    numThreads: field(20),
    startTicks: field(22),
    lastHostCpu: field(39),
    rtPriority: field(40),
    policy: field(41),
    guestTimeTicks: rest.length >= 43 - 2 ? field(43) : 0,
  };
  for (const value of [out.utimeTicks, out.stimeTicks, out.numThreads, out.startTicks, out.lastHostCpu, out.rtPriority, out.policy, out.guestTimeTicks]) {
    if (!Number.isFinite(value)) return null;
  }
  return out;
}

export interface TaskSchedstat {
  /** Time spent on a CPU, ns. */
  runNs: number;
  /** Time spent runnable but waiting for a CPU, ns: for a vCPU thread, the guest's steal time. */
  waitNs: number;
  /** Number of times it ran (timeslices). */
  timeslices: number;
}

/** /proc/.../schedstat: "run_ns wait_ns timeslices". Empty when the kernel has no schedstats. */
export function parseTaskSchedstat(text: string): TaskSchedstat | null {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 3) return null;
  const [runNs, waitNs, timeslices] = parts.slice(0, 3).map(Number) as [number, number, number];
  if (![runNs, waitNs, timeslices].every((value) => Number.isFinite(value) && value >= 0)) return null;
  return { runNs, waitNs, timeslices };
}

export interface TaskStatus {
  name: string;
  tgid: number;
  pid: number;
  /** The parent's pid (2 = kthreadd: a kernel thread); null when the line is missing. */
  ppid: number | null;
  /** The CPUs the scheduler may run it on (what sched_setaffinity set). */
  cpusAllowed: number[];
  /** The memory nodes it may allocate from (cpuset / set_mempolicy limits). */
  memsAllowed: number[];
  voluntaryCtxtSwitches: number;
  nonvoluntaryCtxtSwitches: number;
}

/**
 * A "Key:" line's value in /proc/.../status, trimmed (the first such line); undefined when there
 * is none. The sampler parses one of these files (about 55 lines) per thread per second: a search
 * for each wanted key costs far less than splitting every line.
 */
function statusValue(text: string, key: string): string | undefined {
  const needle = `${key}:`;
  let at: number;
  if (text.startsWith(needle)) at = 0;
  else {
    const found = text.indexOf(`\n${needle}`);
    if (found === -1) return undefined;
    at = found + 1;
  }
  const start = at + needle.length;
  const end = text.indexOf('\n', start);
  return text.slice(start, end === -1 ? text.length : end).trim();
}

/** /proc/.../status, the fields the monitor and the pin verification use. */
export function parseTaskStatus(text: string): TaskStatus | null {
  const cpus = statusValue(text, 'Cpus_allowed_list');
  const tgid = Number(statusValue(text, 'Tgid'));
  const pid = Number(statusValue(text, 'Pid'));
  if (cpus === undefined || !Number.isInteger(tgid) || !Number.isInteger(pid)) return null;
  let cpusAllowed: number[];
  let memsAllowed: number[];
  try {
    cpusAllowed = parseCpuList(cpus);
    memsAllowed = parseCpuList(statusValue(text, 'Mems_allowed_list') ?? '');
  } catch {
    return null;
  }
  const ppid = statusValue(text, 'PPid');
  return {
    name: statusValue(text, 'Name') ?? '',
    tgid,
    pid,
    ppid: ppid !== undefined && Number.isInteger(Number(ppid)) ? Number(ppid) : null,
    cpusAllowed,
    memsAllowed,
    voluntaryCtxtSwitches: Number(statusValue(text, 'voluntary_ctxt_switches') ?? 0),
    nonvoluntaryCtxtSwitches: Number(statusValue(text, 'nonvoluntary_ctxt_switches') ?? 0),
  };
}

export interface TaskSched {
  /** Times the task moved to another CPU (se.nr_migrations). */
  migrations: number;
  nrSwitches: number;
}

const MIGRATIONS_RE = /^se\.nr_migrations\s*:\s*(\d+)/m;
const SWITCHES_RE = /^nr_switches\s*:\s*(\d+)/m;

/** /proc/.../sched (CONFIG_SCHED_DEBUG): "key : value" lines; null when the migration count is missing. */
export function parseTaskSched(text: string): TaskSched | null {
  const migrations = MIGRATIONS_RE.exec(text);
  if (migrations === null) return null;
  const switches = SWITCHES_RE.exec(text);
  return { migrations: Number(migrations[1]), nrSwitches: switches ? Number(switches[1]) : 0 };
}
