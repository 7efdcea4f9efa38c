/** The audit as the CLI prints it: JSON per the command contract, or text grouped by category. */
import { fixText } from './fix.js';
import { countStatuses, formatSummary, isProblem } from './run-checks.js';
import { CATEGORIES, type CheckResult, type CheckStatus } from './types.js';
import { STATUS_BADGE } from './status-badge.js';

/** `audit --json`: the contract's fields, plus `fixDetail` (the structured fix) and `durationMs`. */
export function auditToJson(results: readonly CheckResult[], onlyProblems = false): object {
  const shown = onlyProblems ? results.filter((result) => isProblem(result.status)) : results;
  return {
    checks: shown.map((result) => ({
      id: result.id,
      title: result.title,
      category: result.category,
      status: result.status,
      evidence: result.evidence,
      why: result.why,
      fix: fixText(result.fix),
      needsRoot: result.needsRoot,
      fixDetail: result.fix,
      durationMs: Math.round(result.durationMs * 10) / 10,
    })),
    summary: countStatuses(results),
  };
}


export function formatAuditText(results: readonly CheckResult[], options: { onlyProblems?: boolean; color?: boolean } = {}): string {
  const paint = (status: CheckStatus, text: string) => (options.color ? `\x1b[${STATUS_BADGE[status].sgr}m${text}\x1b[0m` : text);
  const lines: string[] = [];
  for (const category of CATEGORIES) {
    const rows = results.filter((result) => result.category === category && (!options.onlyProblems || isProblem(result.status)));
    if (rows.length === 0) continue;
    lines.push(category);
    for (const result of rows) {
      lines.push(`  ${paint(result.status, STATUS_BADGE[result.status].label)}  ${result.title} [${result.id}]`);
      lines.push(`        ${result.evidence}`);
      if (isProblem(result.status) && result.fix) {
        for (const line of fixText(result.fix)!.split('\n')) lines.push(`        fix: ${line}`);
      }
    }
    lines.push('');
  }
  if (options.onlyProblems && lines.length === 0) lines.push('no problems found', '');
  lines.push(formatSummary(countStatuses(results)));
  return lines.join('\n') + '\n';
}
