/**
 * kvm-tui audit [--json] [--only-problems]: every check once, concurrently; exit 1 when one
 * fails. Plain text or JSON only: this module must not pull Ink or React into its import graph.
 */
import { allowOnly, maxPositionals } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { ALL_CHECKS } from '../audit/checks/index.js';
import { buildProbeContext } from '../audit/probe-context.js';
import { auditToJson, formatAuditText } from '../audit/report.js';
import { runChecks } from '../audit/run-checks.js';

export async function runAudit(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, ['json', 'only-problems']);
  maxPositionals(ctx.args, 0, 'no arguments');
  const probeCtx = buildProbeContext({ hostFs: ctx.hostFs, capturedRoot: ctx.capturedRoot, env: ctx.env, home: ctx.home, clock: ctx.clock, run: ctx.run, user: ctx.identity });
  const results = await runChecks(ALL_CHECKS, probeCtx);
  const onlyProblems = Boolean(ctx.args.values['only-problems']);
  if (ctx.args.values.json) {
    ctx.stdout(JSON.stringify(auditToJson(results, onlyProblems), null, 2) + '\n');
  } else {
    ctx.stdout(formatAuditText(results, { onlyProblems, color: ctx.color }));
  }
  return results.some((result) => result.status === 'fail') ? 1 : 0;
}
