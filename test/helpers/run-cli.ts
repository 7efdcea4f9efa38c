/**
 * `kvm-tui ARGS` as a user or a script runs it: argument array, exit code, stdout and stderr
 * apart. NO_COLOR keeps output plain.
 *
 * - runCli: in this process, through the composition root (src/cli.tsx main) with the test
 *   services (output captured, no terminal, the real process runner and clock). The environment
 *   is this process's plus NO_COLOR and the test's additions, as a child would see it (commands
 *   such as `audit` look binaries up on PATH). Starting tsx costs about a second per call on a
 *   small machine; this costs milliseconds.
 * - runCliProcess: the real executable, the bundle users run (dist/kvm-tui.js, built from
 *   src/bin.ts; test/helpers/bundle.ts), in a child process from the repository. Only for what
 *   needs a process of its own: the exit code as bin.ts sets it, a command that could block the
 *   event loop, stdout being a pipe.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.js';
import { makeTestServices } from './test-services.js';
import { ensureBundle } from './bundle.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The command in this process; the same result shape as runCliProcess. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const services = makeTestServices({ env: { ...process.env, NO_COLOR: '1', ...env } });
  const code = await main(args, services);
  return { code, stdout: services.output.stdout, stderr: services.output.stderr };
}

/** The real executable (the built bundle, src/bin.ts as shipped) in a child process, run from the repository. */
export function runCliProcess(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): CliResult {
  const result = spawnSync(process.execPath, [ensureBundle(), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: timeoutMs,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
