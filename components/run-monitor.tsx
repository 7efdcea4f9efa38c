/**
 * Interactive entries of the live half: `kvm-tui monitor [NAME]` attaches the live pane to a
 * running VM (the one running, or NAME), and `kvm-tui launch` opens it on the VM it started.
 * The pane draws on the alternate screen, so leaving it gives the terminal back as it was; the
 * VM keeps running whatever happens to the pane (it runs in its own session).
 */
import React from 'react';
import { render } from 'ink';
import { allowOnly, maxPositionals } from '../src/cli-args.js';
import { runLaunch } from '../src/commands/launch.js';
import { refuseCapturedRoot, registryOptions, requireVm } from '../src/commands/live.js';
import type { CommandContext } from '../src/context.js';
import { UsageError } from '../src/errors.js';
import { buildMonitorServices } from '../src/app/monitor-services.js';
import { listVms } from '../src/registry/registry.js';
import { ErrorBoundary } from './ErrorBoundary.js';
import { MonitorScreen } from './screens/MonitorScreen.js';

// Switch, then clear and home: the alternate screen keeps the cursor where the shell left it.
const ALT_SCREEN_ON = '\u001B[?1049h\u001B[2J\u001B[H';
const ALT_SCREEN_OFF = '\u001B[?1049l';

export async function runLaunchCommand(ctx: CommandContext): Promise<number> {
  return runLaunch(ctx, runMonitor);
}

export async function runMonitorCommand(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, []);
  maxPositionals(ctx.args, 1, 'at most a VM name');
  refuseCapturedRoot(ctx, 'monitor');
  if (ctx.connectUri !== null) throw new UsageError('monitor: --connect (libvirt) is not supported yet; kvm-tui monitor watches the VMs kvm-tui launched on this host');
  let name = ctx.args.positionals[0];
  if (name === undefined) {
    const names = listVms(registryOptions(ctx)).map((vm) => vm.record.name);
    if (names.length === 0) throw new UsageError('monitor: no VMs started by kvm-tui are running on this host (kvm-tui launch starts one)');
    if (names.length > 1) throw new UsageError(`monitor: ${names.length} VMs run (${names.map((n) => JSON.stringify(n)).join(', ')}): kvm-tui monitor NAME`);
    name = names[0]!;
  }
  return runMonitor(ctx, name);
}

/** The live pane on VM `name` until the user leaves; resolves with the exit status. */
export async function runMonitor(ctx: CommandContext, name: string): Promise<number> {
  const ui = ctx.terminal.streams;
  if (!ui || !ctx.terminal.stdinIsTty || !ctx.terminal.stdoutIsTty) {
    throw new UsageError('monitor: the live pane needs an interactive terminal; for scripts use kvm-tui status NAME --json');
  }
  const { record } = requireVm(ctx, 'monitor', name);
  const services = buildMonitorServices(ctx, record);
  let code = 0;
  const ascii = ctx.env.TERM === 'dumb';
  ui.stdout.write(ALT_SCREEN_ON);
  try {
    const instance = render(
      <ErrorBoundary>
        <MonitorScreen record={record} services={services} ascii={ascii} color={ctx.color} onExit={(status) => (code = status)} />
      </ErrorBoundary>,
      { stdin: ui.stdin, stdout: ui.stdout, stderr: ui.stderr, exitOnCtrlC: false },
    );
    await instance.waitUntilExit();
  } finally {
    ui.stdout.write(ALT_SCREEN_OFF);
  }
  if (code === 0) ctx.stdout(`detached from ${JSON.stringify(name)}; it keeps running (kvm-tui monitor ${JSON.stringify(name)} re-attaches, kvm-tui stop ${JSON.stringify(name)} stops it)\n`);
  return code;
}
