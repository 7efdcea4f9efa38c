/** The audit's fixture hosts (test/fixtures/hosts, built by make-fixtures.mjs) and a helper to audit one. */
import { realClock } from '../../src/run/real-services.js';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_CHECKS } from '../../src/audit/checks/index.js';
import { buildProbeContext } from '../../src/audit/probe-context.js';
import { runChecks } from '../../src/audit/run-checks.js';
import type { CheckResult } from '../../src/audit/types.js';
import { HostFs } from '../../src/host/host-fs.js';
import type { RunCommand } from '../../src/run/run-command.js';

export const HOSTS_DIR = fileURLToPath(new URL('../fixtures/hosts/', import.meta.url));

/** Every check on a fixture host, read as a capture (no commands, unless `run` is tried and refused). */
export async function auditFixture(name: string, run?: RunCommand): Promise<Map<string, CheckResult>> {
  const hostFs = new HostFs(path.join(HOSTS_DIR, name));
  const ctx = buildProbeContext({ clock: realClock, hostFs, capturedRoot: true, env: {}, run, versionCacheFile: null });
  const results = await runChecks(ALL_CHECKS, ctx);
  return new Map(results.map((result) => [result.id, result]));
}
