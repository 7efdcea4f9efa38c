/**
 * The composition root: parses arguments, builds the one CommandContext (host root, process
 * runner, detached spawner, clock, identity, environment, output streams) from the services it
 * is given, then runs the command the table names. Non-interactive commands never load Ink or
 * React: every command module is imported on first use (src/commands/table.ts).
 */
import { LIBVIRT_URI_RE, parseCliArgs, type ParsedArgs } from './cli-args.js';
import { isActionError, isUsageError, UsageError } from './errors.js';
import { checkHostRoot, HostFs } from './host/host-fs.js';
import { HELP } from './help.js';
import type { CommandContext, Services } from './context.js';
import { findCommand } from './commands/table.js';

declare const KVM_TUI_VERSION: string | undefined;

/** Runs one command line; returns the exit code. Tests call it with fake services. */
export async function main(argv: string[], services: Services): Promise<number> {
  const { env, stdout, stderr } = services;
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
  const connectArg = args.values.connect;
  if (Array.isArray(connectArg) && connectArg.length > 1 && args.command !== 'monitor') {
    stderr(`kvm-tui: --connect given more than once (only monitor watches several hosts)\n`);
    return 2;
  }
  const givenUris = typeof connectArg === 'string' ? [connectArg] : Array.isArray(connectArg) ? connectArg : [];
  for (const uri of givenUris) {
    // Passed to virsh as one argument (never a shell); still, a URI has no white space or controls.
    if (!LIBVIRT_URI_RE.test(uri)) {
      stderr(`kvm-tui: --connect ${JSON.stringify(uri.slice(0, 80))}: not a libvirt URI (as virsh -c takes it: qemu:///system, qemu+ssh://root@host/system)\n`);
      return 2;
    }
  }
  // The host audit, dump-host and the wizard read this host: an explicit --connect would be ignored.
  if (givenUris.length > 0 && ['audit', 'dump-host', ''].includes(args.command ?? '')) {
    stderr(`kvm-tui: ${args.command ? `${args.command} reads` : 'the wizard works on'} this host only; --connect is for topology, plan, generate, launch, status, stop and monitor (or run kvm-tui on that host)\n`);
    return 2;
  }
  const fromEnv = env.LIBVIRT_DEFAULT_URI && LIBVIRT_URI_RE.test(env.LIBVIRT_DEFAULT_URI) ? env.LIBVIRT_DEFAULT_URI : null;
  // LIBVIRT_DEFAULT_URI chooses libvirt only where nothing else names the host: --root does.
  const connectUri = givenUris[0] ?? (rootArg !== null || ['audit', 'dump-host', '', 'presets'].includes(args.command ?? '') ? null : fromEnv);
  const ctx: CommandContext = {
    ...services,
    args,
    hostFs: new HostFs(rootArg ?? '/'),
    capturedRoot: rootArg !== null,
    color: !args.values['no-color'] && !env.NO_COLOR && env.TERM !== 'dumb' && services.terminal.stdoutIsTty,
    connectUri,
    debug: Boolean(args.values.debug),
  };
  try {
    const entry = findCommand(args.command ?? '');
    if (!entry) {
      stderr(`kvm-tui: unknown command "${args.command}" (try kvm-tui --help)\n`);
      return 2;
    }
    return await (await entry.load())(ctx);
  } catch (error) {
    return reportError(error, ctx);
  }
}

/** Usage errors exit 2, failed actions 1 with their hint; anything else is a bug: one line and where to report it. */
export function reportError(error: unknown, ctx: Pick<CommandContext, 'stderr' | 'debug'>): number {
  if (isUsageError(error)) {
    ctx.stderr(`kvm-tui: ${error.message}\n`);
    return 2;
  }
  if (isActionError(error)) {
    ctx.stderr(`kvm-tui: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
    return 1;
  }
  const message = ((error as Error)?.message ?? String(error)).split('\n')[0]!.slice(0, 300);
  if (ctx.debug) {
    ctx.stderr(`kvm-tui: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
  } else {
    ctx.stderr(`kvm-tui: internal error: ${message}\nhint: this is a bug in kvm-tui; run again with --debug for the full trace and report it with the output of kvm-tui dump-host\n`);
  }
  return 70;
}

async function sourceVersion(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const url = new URL('../package.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).version;
}
