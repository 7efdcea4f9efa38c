/**
 * Runs the side effect the audit's last key asked for (state.request): write the fix script,
 * apply a fix and re-check its row, or leave the screen. The services come in as arguments, so
 * a test runs this with fakes; the outcome goes back into the state as an action.
 */
import { useEffect, useRef, type Dispatch } from 'react';
import type { ApplyFix } from '../../src/audit/apply-fix.js';
import { buildFixScript } from '../../src/audit/fix-script.js';
import type { CheckResult } from '../../src/audit/types.js';
import type { AuditRequest, AuditRow, AuditViewAction } from '../../src/state/audit-view.js';

/** Writes a fix script; throws FixScriptExists when the file is there and overwrite is false. */
export type WriteScript = (file: string, content: string, options: { overwrite: boolean }) => string;

export interface AuditEffectServices {
  applyFix: ApplyFix | null;
  writeScript: WriteScript;
  /** kvm-tui-fixes.sh -> kvm-tui-fixes-2.sh: the first name not taken. */
  nextFreeName: (file: string) => string;
  /** For the script header. */
  now: () => Date;
  rerun: (id: string) => Promise<CheckResult | null>;
  onContinue?: () => void;
  onExit?: () => void;
  /** A fix changed the host: facts others show (huge pages on the core map and plan) are stale. */
  onHostChanged?: () => void;
}

export function useAuditEffects(request: AuditRequest | null, rows: readonly AuditRow[], dispatch: Dispatch<AuditViewAction>, services: AuditEffectServices): void {
  // The seq of the last request started: rows and services are new objects on every render, so
  // the effect runs again on renders that still hold the request until `audit/request-taken`
  // lands; this runs each request once (a guard, not a copy of state).
  const started = useRef(0);
  useEffect(() => {
    if (!request || request.seq <= started.current) return;
    started.current = request.seq;
    dispatch({ type: 'audit/request-taken', seq: request.seq });
    void runRequest(request, rows, services, dispatch);
  }, [request, rows, services, dispatch]);
}

async function runRequest(request: AuditRequest, rows: readonly AuditRow[], services: AuditEffectServices, dispatch: Dispatch<AuditViewAction>): Promise<void> {
  switch (request.kind) {
    case 'continue':
      services.onContinue?.();
      return;
    case 'exit':
      services.onExit?.();
      return;
    case 'write-script': {
      const finished = rows.filter((row) => row.result !== null).map((row) => row.result!);
      const fixes = finished.filter((result) => result.fix !== null && result.status !== 'pass').length;
      try {
        const written = services.writeScript(request.file, buildFixScript(finished, services.now()), { overwrite: request.overwrite });
        dispatch({ type: 'audit/script-written', file: written, fixes });
      } catch (error) {
        // FixScriptExists, told by its field rather than instanceof (errors cross bundles).
        if ((error as { target?: string }).target !== undefined || /already exists/.test((error as Error).message)) {
          dispatch({ type: 'audit/script-exists', file: request.file, alternative: services.nextFreeName(request.file) });
        } else {
          dispatch({ type: 'audit/script-failed', file: request.file, error: (error as Error).message });
        }
      }
      return;
    }
    case 'apply': {
      const row = rows.find((entry) => entry.id === request.id);
      const fix = row?.result?.fix;
      if (!row || !fix || !services.applyFix) {
        dispatch({ type: 'audit/apply-failed', id: request.id, error: 'nothing to apply' });
        return;
      }
      const before = row.result!.status;
      let outcome;
      try {
        outcome = await services.applyFix(fix);
      } catch (error) {
        outcome = { ok: false, log: [], error: (error as Error).message };
      }
      if (!outcome.ok) {
        dispatch({ type: 'audit/apply-failed', id: request.id, error: outcome.error ?? 'failed' });
        return;
      }
      dispatch({ type: 'audit/applied', id: request.id });
      services.onHostChanged?.();
      const after = await services.rerun(request.id);
      dispatch({ type: 'audit/rechecked', id: request.id, before, after: after?.status ?? null });
      return;
    }
  }
}
