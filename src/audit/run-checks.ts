/**
 * Runs checks concurrently, each isolated: a check that throws becomes a skip carrying the
 * error, a check that runs commands is cut by a deadline. Results stream through `onResult` as
 * they finish (the checklist shows rows appearing) and come back in the checks' order.
 *
 * Checks that only read files have no deadline, on purpose: their reads are synchronous (a timer
 * could not interrupt one anyway), and every read is non-blocking, regular files only and bounded
 * (HostFs), so a FIFO, a device or /dev/zero costs nothing. What is left is a filesystem that
 * blocks in the kernel (a hung NFS or FUSE mount under --root), which no user-space deadline
 * can cut short; kvm-tui reads sysfs, procfs and /etc, never a network mount, on the live host.
 */
import type { Check, CheckResult, CheckStatus, ProbeContext, StatusCounts } from './types.js';

/** Commands inside checks have their own 2 s timeouts; this deadline only catches a check that hangs anyway. */
export const COMMAND_CHECK_DEADLINE_MS = 3000;

export async function runCheck(check: Check, ctx: ProbeContext, deadlineMs = COMMAND_CHECK_DEADLINE_MS): Promise<CheckResult> {
  let startMs = performance.now();
  const base = { id: check.id, title: check.title, category: check.category, needsRoot: check.needsRoot, why: check.why };
  let timer: unknown;
  try {
    let endMs: number | null = null;
    const work = Promise.resolve().then(async () => {
      // Time the check itself, not its wait behind the checks started before it: a synchronous
      // check ends when run() returns, before the await lets the other checks' turns in.
      startMs = performance.now();
      const pending = check.run(ctx);
      if (!(pending instanceof Promise)) {
        endMs = performance.now();
        return pending;
      }
      const outcome = await pending;
      endMs = performance.now();
      return outcome;
    });
    const outcome = check.runsCommands
      ? await Promise.race([
          work,
          new Promise<never>((_, reject) => {
            timer = ctx.clock.setTimeout(() => reject(new CheckTimeout(deadlineMs)), deadlineMs);
          }),
        ])
      : await work;
    return { ...base, status: outcome.status, evidence: outcome.evidence, fix: outcome.fix, durationMs: (endMs ?? performance.now()) - startMs };
  } catch (error) {
    const message = error instanceof CheckTimeout ? error.message : `check failed: ${(error as Error)?.message ?? String(error)}`;
    return { ...base, status: 'skip', evidence: `unknown: ${message}`, fix: null, durationMs: performance.now() - startMs };
  } finally {
    if (timer !== undefined) ctx.clock.clearTimeout(timer);
  }
}

class CheckTimeout extends Error {
  constructor(deadlineMs: number) {
    super(`timed out after ${deadlineMs} ms`);
  }
}

export async function runChecks(
  checks: readonly Check[],
  ctx: ProbeContext,
  onResult?: (result: CheckResult) => void,
): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async (check) => {
      const result = await runCheck(check, ctx);
      onResult?.(result);
      return result;
    }),
  );
}

export function countStatuses(results: readonly { status: CheckStatus }[]): StatusCounts {
  const counts: StatusCounts = { pass: 0, warn: 0, fail: 0, info: 0, skip: 0 };
  for (const result of results) counts[result.status]++;
  return counts;
}

export function isProblem(status: CheckStatus): boolean {
  return status === 'warn' || status === 'fail';
}

/** "31 checks: 12 pass, 4 warn, 2 fail, 9 info, 4 skip" */
export function formatSummary(counts: StatusCounts, pending = 0): string {
  const total = Object.values(counts).reduce((sum, value) => sum + value, 0) + pending;
  const parts = (['pass', 'warn', 'fail', 'info', 'skip'] as const).map((status) => `${counts[status]} ${status}`);
  return `${total} checks: ${parts.join(', ')}${pending > 0 ? `, ${pending} running` : ''}`;
}
