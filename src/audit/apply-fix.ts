/**
 * Applies the runtime part of an applicable fix: its argv steps, in order, through the command
 * runner, stopping at the first failure; a step whose guard (`unless`) succeeds is skipped.
 * Only `fix.apply` runs: persistent changes never do.
 */
import type { RunCommand } from '../run/run-command.js';
import { stepToShell } from './fix.js';
import type { Fix } from './types.js';

export interface ApplyOutcome {
  ok: boolean;
  /** One line per step run: the shell form and how it ended. */
  log: string[];
  error: string | null;
}

export type ApplyFix = (fix: Fix) => Promise<ApplyOutcome>;

export function makeApplyFix(run: RunCommand, timeoutMs = 10_000): ApplyFix {
  return async (fix) => {
    if (!fix.applicable || fix.apply.length === 0) return { ok: false, log: [], error: 'this fix is not applicable at run time' };
    const log: string[] = [];
    for (const step of fix.apply) {
      const shell = stepToShell(step);
      // The same guard the script uses: a step already in effect is not run again.
      if (step.unless && (await run(step.unless, { timeoutMs })).ok) {
        log.push(`already done: ${shell}`);
        continue;
      }
      const result = await run(step.argv, { timeoutMs, input: step.input });
      if (!result.ok) {
        const error = `${shell}: ${result.error ?? 'failed'}`;
        log.push(`failed: ${error}`);
        return { ok: false, log, error };
      }
      log.push(`ok: ${shell}`);
    }
    return { ok: true, log, error: null };
  };
}
