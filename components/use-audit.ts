/**
 * Runs the audit's checks for a screen and streams results as they finish: `rows` starts with
 * every check pending (result null) and fills in; `rerun` runs one check again against fresh
 * host facts (after a fix was applied) and resolves with its new result.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { runCheck, runChecks } from '../src/audit/run-checks.js';
import type { Check, CheckResult, ProbeContext } from '../src/audit/types.js';

export interface AuditRow {
  id: string;
  title: string;
  category: Check['category'];
  why: string;
  /** null while the check runs. */
  result: CheckResult | null;
}

export interface UseAuditOptions {
  checks: readonly Check[];
  /** Called once per run: host facts (topology, hugepage pools) must be read afresh after a fix. */
  makeContext: () => ProbeContext;
}

export interface UseAudit {
  rows: AuditRow[];
  done: boolean;
  rerun: (id: string) => Promise<CheckResult | null>;
}

export function useAudit({ checks, makeContext }: UseAuditOptions): UseAudit {
  const [results, setResults] = useState<ReadonlyMap<string, CheckResult>>(new Map());
  const mounted = useRef(true);
  const makeContextRef = useRef(makeContext);
  makeContextRef.current = makeContext;

  useEffect(() => {
    mounted.current = true;
    let ctx: ProbeContext;
    try {
      ctx = makeContextRef.current();
    } catch (error) {
      // Building the context reads host facts; if even that fails, every row says why.
      const reason = `unknown: ${(error as Error).message}`;
      setResults(new Map(checks.map((check) => [check.id, failedResult(check, reason)])));
      return;
    }
    void runChecks(checks, ctx, (result) => {
      if (mounted.current) setResults((previous) => new Map(previous).set(result.id, result));
    });
    return () => {
      mounted.current = false;
    };
  }, [checks]);

  const rerun = useCallback(
    async (id: string) => {
      const check = checks.find((entry) => entry.id === id);
      if (!check) return null;
      setResults((previous) => {
        const next = new Map(previous);
        next.delete(id);
        return next;
      });
      let result: CheckResult;
      try {
        result = await runCheck(check, makeContextRef.current());
      } catch (error) {
        result = failedResult(check, `unknown: ${(error as Error).message}`);
      }
      if (mounted.current) setResults((previous) => new Map(previous).set(id, result));
      return result;
    },
    [checks],
  );

  const rows = checks.map((check) => ({
    id: check.id,
    title: check.title,
    category: check.category,
    why: check.why,
    result: results.get(check.id) ?? null,
  }));
  return { rows, done: rows.every((row) => row.result !== null), rerun };
}

function failedResult(check: Check, evidence: string): CheckResult {
  return {
    id: check.id, title: check.title, category: check.category, needsRoot: check.needsRoot, why: check.why,
    status: 'skip', evidence, fix: null, durationMs: 0,
  };
}
