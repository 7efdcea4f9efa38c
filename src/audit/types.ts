/**
 * The audit's data: a check is a small declarative record (what it looks at, why that matters,
 * how to probe), a result is what one run of it found. Everything here is plain data so the
 * CLI, the checklist screen and the fix script share one model.
 */
import type { Clock } from '../context.js';
import type { CpuInfo } from '../host/cpuinfo.js';
import type { HostFs } from '../host/host-fs.js';
import type { Distro } from '../host/os-release.js';
import type { Topology } from '../host/topology.js';
import type { RunCommand } from '../run/run-command.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'info' | 'skip';

export const CATEGORIES = ['virtualization', 'devices', 'memory', 'cpu', 'numa', 'storage', 'cgroups'] as const;
export type Category = (typeof CATEGORIES)[number];

/** One command of a fix that kvm-tui itself may run: an argv, optionally fed stdin. */
export interface FixStep {
  argv: string[];
  /** Written to the command's stdin (used to write a sysfs file through `tee`). */
  input?: string;
  /**
   * A command that succeeds when the step's effect is already in place (`mountpoint -q DIR`
   * before a mount): the step is then skipped, by the fix script (`GUARD || STEP`) and by
   * apply alike, so running a fix twice changes nothing the second time.
   */
  unless?: string[];
}

/**
 * How to fix a finding. `runtime` and `persistent` are shell lines for the user (and the fix
 * script; lines starting with "#" are instructions, not commands). `apply` is the exact argv
 * form of `runtime`, present only when `applicable`: a reversible runtime change the checklist
 * may run after the user confirms. Persistent changes are never applied by kvm-tui.
 */
export interface Fix {
  runtime: string[];
  persistent: string[];
  needsRoot: boolean;
  reboot: boolean;
  applicable: boolean;
  apply: FixStep[];
  /** A sentence of context for the fix (what size was chosen, what to adjust). */
  note?: string;
}

export interface CheckOutcome {
  status: CheckStatus;
  /** What was looked at and what it said: "file: value" or "command: output". */
  evidence: string;
  fix: Fix | null;
}

/** Who runs the audit; null fields are unknown (e.g. a capture without /proc/self/status). */
export interface AuditUser {
  uid: number | null;
  gid: number | null;
  groups: number[];
}

export interface ProbeContext {
  hostFs: HostFs;
  cpuInfo: CpuInfo;
  /** null when the root has no readable CPU topology (`topologyError` says why). */
  topology: Topology | null;
  topologyError: string | null;
  /** The distribution (os-release): package fixes name only its package manager. */
  distro: Distro;
  /** The root is a capture (--root): live-only facts (who may open /dev/kvm) are unknowable. */
  capturedRoot: boolean;
  /** null when commands must not run: a captured host, or dump-host recording file reads. */
  run: RunCommand | null;
  /** Why `run` is null ("captured host: command not run"). */
  runDisabledReason: string;
  /** PATH lookup on the live host; returns null when `run` is null. */
  which: (name: string) => string | null;
  user: AuditUser;
  env: NodeJS.ProcessEnv;
  /** Timers for the deadline of checks that run commands (the composition root's clock). */
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Cache of `binary --version` outputs keyed by the binary's identity (see version-cache.ts). */
  versionOf: (binaryPath: string, argv: string[]) => Promise<{ text: string | null; error: string | null; cached: boolean }>;
}

export interface Check {
  id: string;
  title: string;
  category: Category;
  /** Whether changing what this check looks at needs root (its fix, when there is one). */
  needsRoot: boolean;
  /** Why it matters for VM performance, in one or two sentences. */
  why: string;
  /** Runs host commands (so it is skipped on a captured host and has a timeout). */
  runsCommands?: boolean;
  run: (ctx: ProbeContext) => CheckOutcome | Promise<CheckOutcome>;
}

export interface CheckResult {
  id: string;
  title: string;
  category: Category;
  needsRoot: boolean;
  why: string;
  status: CheckStatus;
  evidence: string;
  fix: Fix | null;
  durationMs: number;
}

export type StatusCounts = Record<CheckStatus, number>;
