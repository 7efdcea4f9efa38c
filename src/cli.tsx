/**
 * The entry: parses arguments, builds the real host root, then either renders the interactive
 * app or runs a non-interactive command. Non-interactive commands never load Ink or React: the
 * screens are imported lazily.
 */
import { parseCliArgs, type ParsedArgs } from './cli-args.js';
import { isActionError, isUsageError, UsageError } from './errors.js';
import { checkHostRoot, HostFs } from './host/host-fs.js';
import { HELP } from './help.js';
import type { CommandContext, CommandRunner } from './context.js';

declare const KVM_TUI_VERSION: string | undefined;

const COMMANDS: Record<string, () => Promise<CommandRunner>> = {
  topology: async () => (await import('./commands/topology.js')).runTopology,
  'dump-host': async () => (await import('./commands/dump-host.js')).runDumpHost,
  audit: async () => (await import('./commands/audit.js')).runAudit,
  presets: async () => (await import('./commands/presets.js')).runPresets,
  plan: async () => (await import('./commands/plan.js')).runPlan,
  generate: async () => (await import('./commands/generate.js')).runGenerate,
};

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const stdout = (text: string) => void process.stdout.write(text);
  const stderr = (text: string) => void process.stderr.write(text);
  let args: ParsedArgs;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      stderr(`kvm-tui: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (args.values.version) {
    stdout(`${typeof KVM_TUI_VERSION === 'string' ? KVM_TUI_VERSION : await sourceVersion()}\n`);
    return 0;
  }
  if (args.values.help) {
    stdout(HELP);
    return 0;
  }
  const rootArg = typeof args.values.root === 'string' ? args.values.root : null;
  if (rootArg !== null) {
    const problem = checkHostRoot(rootArg);
    if (problem) {
      stderr(`kvm-tui: ${problem}\n`);
      return 2;
    }
  }
  const color = !args.values['no-color'] && !env.NO_COLOR && Boolean(process.stdout.isTTY);
  const ctx: CommandContext = {
    args,
    hostFs: new HostFs(rootArg ?? '/'),
    capturedRoot: rootArg !== null,
    env,
    stdout,
    stderr,
    color,
  };
  try {
    if (args.command === null) {
      const { runWizard } = await import('../components/run-wizard.js');
      return await runWizard(ctx);
    }
    const load = COMMANDS[args.command];
    if (!load) {
      stderr(`kvm-tui: unknown command "${args.command}" (try kvm-tui --help)\n`);
      return 2;
    }
    return await (await load())(ctx);
  } catch (error) {
    if (isUsageError(error)) {
      stderr(`kvm-tui: ${error.message}\n`);
      return 2;
    }
    if (isActionError(error)) {
      stderr(`kvm-tui: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      return 1;
    }
    stderr(`kvm-tui: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    return 70;
  }
}

async function sourceVersion(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const url = new URL('../package.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).version;
}
