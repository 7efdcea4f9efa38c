/**
 * Services for running the CLI in-process (src/cli.tsx main(argv, services)): output captured
 * as strings, no terminal, a fixed identity, and a process runner / detached spawner / clock
 * that a test may replace. The default runner, /proc, home and working directory are the real
 * ones (the live host) unless a test passes its own.
 */
import { main } from '../../src/cli.js';
import type { Services } from '../../src/context.js';
import { HostFs } from '../../src/host/host-fs.js';
import { realClock, realHome, signalReal, spawnDetachedReal } from '../../src/run/real-services.js';
import { runCommand } from '../../src/run/run-command.js';

export interface CapturedServices extends Services {
  output: { stdout: string; stderr: string };
}

export function makeTestServices(overrides: Partial<Services> = {}): CapturedServices {
  const output = { stdout: '', stderr: '' };
  return {
    env: { NO_COLOR: '1' },
    cwd: process.cwd(),
    home: realHome(),
    procFs: new HostFs('/', { record: false }),
    stdout: (text) => void (output.stdout += text),
    stderr: (text) => void (output.stderr += text),
    terminal: { stdinIsTty: false, stdoutIsTty: false, columns: null, streams: null },
    run: runCommand,
    spawnDetached: spawnDetachedReal,
    signal: signalReal,
    // In-process tests must not install handlers that end the test runner.
    trapSignals: () => () => undefined,
    clock: realClock,
    identity: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, groups: process.getgroups?.() ?? [], pid: process.pid },
    ...overrides,
    output,
  };
}

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kvm-tui ARGS` in this process: exit code and captured output. */
export async function runMain(args: string[], overrides: Partial<Services> = {}): Promise<InProcessResult> {
  const services = makeTestServices(overrides);
  const code = await main(args, services);
  return { code, stdout: services.output.stdout, stderr: services.output.stderr };
}
