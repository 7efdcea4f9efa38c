/**
 * Runs the audit's checks once and streams each result into the app state as it finishes
 * (`audit/result`); `rerun` runs one check again against fresh host facts (after a fix) and
 * resolves with its new result. The probe context comes from the services, never built here.
 */
import { useCallback, useEffect, useRef, type Dispatch } from 'react';
import { runCheck, runChecks } from '../../src/audit/run-checks.js';
import type { Check, CheckResult, ProbeContext } from '../../src/audit/types.js';
import type { AppAction } from '../../src/state/app-state.js';
import type { AuditRow } from '../../src/state/audit-view.js';

export interface UseAuditOptions {
  checks: readonly Check[];
  /** Called once per run: host facts (topology, hugepage pools) must be read afresh after a fix. */
  makeContext: () => ProbeContext;
  dispatch: Dispatch<AppAction>;
}

/** The rows of `checks` with their results so far (null = still running). */
export function auditRows(checks: readonly Check[], results: ReadonlyMap<string, CheckResult>): AuditRow[] {
  return checks.map((check) => ({ id: check.id, title: check.title, category: check.category, why: check.why, result: results.get(check.id) ?? null }));
}

export function useAudit({ checks, makeContext, dispatch }: UseAuditOptions): { rerun: (id: string) => Promise<CheckResult | null> } {
  const mounted = useRef(true);
  // The latest context factory, for reruns started by an effect long after the first render.
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
      for (const check of checks) dispatch({ type: 'audit/result', result: failedResult(check, reason) });
      return;
    }
    void runChecks(checks, ctx, (result) => {
      if (mounted.current) dispatch({ type: 'audit/result', result });
    });
    return () => {
      mounted.current = false;
    };
  }, [checks, dispatch]);

  const rerun = useCallback(
    async (id: string) => {
      const check = checks.find((entry) => entry.id === id);
      if (!check) return null;
      dispatch({ type: 'audit/rerun-started', id });
      let result: CheckResult;
      try {
        result = await runCheck(check, makeContextRef.current());
      } catch (error) {
        result = failedResult(check, `unknown: ${(error as Error).message}`);
      }
      if (mounted.current) dispatch({ type: 'audit/result', result });
      return result;
    },
    [checks, dispatch],
  );
  return { rerun };
}

function failedResult(check: Check, evidence: string): CheckResult {
  return {
    id: check.id, title: check.title, category: check.category, needsRoot: check.needsRoot, why: check.why,
    status: 'skip', evidence, fix: null, durationMs: 0,
  };
}
