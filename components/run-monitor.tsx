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
import { ActionError, UsageError } from '../src/errors.js';
import { buildMonitorServices } from '../src/app/monitor-services.js';
import { listVms } from '../src/registry/registry.js';
import { MonitorScreen } from './screens/MonitorScreen.js';
import { VmPicker } from './screens/VmPicker.js';
import type { VmRecord } from '../src/registry/vm-record.js';

import { runFullScreen } from './terminal/full-screen.js';
import { inkSink, PaneWriter } from './terminal/pane-writer.js';
import { Fleet } from '../src/monitor/fleet.js';
import { FleetScreen } from './screens/FleetScreen.js';
import { fleetHostsFile, readFleetHosts } from '../src/monitor/fleet-hosts.js';
import { LibvirtBackend } from '../src/backend/libvirt-backend.js';
import { CONNECT_TIMEOUT_MS } from '../src/backend/host-backend.js';
import { quoteShellWord } from '../src/shared/shell-quote.js';

/** Ctrl-C in the picker: exit status 130, as for any interrupted program. */
class InterruptedError extends Error {}

export async function runLaunchCommand(ctx: CommandContext): Promise<number> {
  return runLaunch(ctx, runMonitor);
}

export async function runMonitorCommand(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, ['fleet']);
  maxPositionals(ctx.args, 1, 'at most a VM name');
  refuseCapturedRoot(ctx, 'monitor');
  if (ctx.connectUri !== null || ctx.args.values.fleet === true) return runFleet(ctx);
  const name = ctx.args.positionals[0];
  if (name !== undefined) return runMonitor(ctx, name);
  const records = listVms(registryOptions(ctx)).map((vm) => vm.record);
  if (records.length === 0) throw new UsageError('monitor: no VMs started by kvm-tui are running on this host (kvm-tui launch starts one)');
  if (records.length === 1) return runMonitor(ctx, records[0]!.name);
  try {
    const picked = await pickVm(ctx, records);
    return picked === null ? 0 : runMonitor(ctx, picked);
  } catch (error) {
    if (error instanceof InterruptedError) return 130;
    throw error;
  }
}

/**
 * `kvm-tui monitor --connect URI [--connect URI ...]`: the fleet pane, every host a section on
 * its own refresh; a host that does not answer is an error row, retried with backoff.
 */
async function runFleet(ctx: CommandContext): Promise<number> {
  const name = ctx.args.positionals[0];
  const given = ctx.args.values.connect;
  const named = Array.isArray(given) ? given : typeof given === 'string' ? [given] : [];
  // --fleet: the hosts file's URIs (and any --connect besides); else --connect, or LIBVIRT_DEFAULT_URI.
  const listed = ctx.args.values.fleet === true ? readFleetHosts(fleetHostsFile(ctx.env, ctx.home)) : [];
  const uris = [...new Set([...named, ...listed, ...(named.length === 0 && listed.length === 0 ? [ctx.connectUri!] : [])])];
  const ui = ctx.terminal.streams;
  if (!ui || !ctx.terminal.stdinIsTty || !ctx.terminal.stdoutIsTty) {
    throw new UsageError('monitor: the fleet pane needs an interactive terminal; for scripts use kvm-tui status --connect URI --json');
  }
  if (name !== undefined) {
    // Open on a domain that is there, or say so (exit 1) rather than show a pane without it.
    const backend = new LibvirtBackend({ uri: uris[0]!, run: ctx.run, env: ctx.env, clock: ctx.clock, timeoutMs: CONNECT_TIMEOUT_MS });
    if ((await backend.virsh.domainState(name)) === null) throw new ActionError(`monitor: no domain named ${JSON.stringify(name)} on ${uris[0]}`, `kvm-tui status --connect ${quoteShellWord(uris[0]!)} lists them`);
  }
  const fleet = new Fleet({ uris, run: ctx.run, env: ctx.env, clock: ctx.clock });
  let code = 0;
  await runFullScreen(ctx, ui, <FleetScreen fleet={fleet} color={ctx.color} onExit={(status) => (code = status)} {...(name !== undefined ? { focus: { uri: uris[0]!, name } } : {})} />);
  fleet.stop();
  return code;
}

/** The picker on the terminal; resolves with the chosen VM's name, or null when the user left. */
async function pickVm(ctx: CommandContext, records: VmRecord[]): Promise<string | null> {
  const ui = ctx.terminal.streams;
  if (!ui || !ctx.terminal.stdinIsTty || !ctx.terminal.stdoutIsTty) {
    throw new UsageError(`monitor: ${records.length} VMs run (${records.map((record) => JSON.stringify(record.name)).join(', ')}): kvm-tui monitor NAME`);
  }
  let picked: string | null = null;
  let interrupted = false;
  const instance = render(
    <VmPicker
      records={records}
      onPick={(record) => {
        picked = record.name;
        instance.unmount();
      }}
      onLeave={() => undefined}
      onInterrupt={() => {
        interrupted = true;
      }}
    />,
    { stdin: ui.stdin, stdout: ui.stdout, stderr: ui.stderr, exitOnCtrlC: false },
  );
  await instance.waitUntilExit();
  if (interrupted) throw new InterruptedError();
  return picked;
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
  // The pane draws its rows itself (only those that changed each second); Ink, which runs the
  // keys and the effects, draws into a sink that only reports the terminal's size.
  const writer = new PaneWriter((text) => void ui.stdout.write(text));
  const sink = inkSink(ui.stdout, () => writer.invalidate());
  // The VM is in its own session: whatever ends the pane, it keeps running.
  try {
    await runFullScreen(ctx, ui, <MonitorScreen record={record} services={services} ascii={ascii} color={ctx.color} writer={writer} onExit={(status) => (code = status)} />, { inkStdout: sink.stream });
  } finally {
    sink.dispose();
  }
  if (code === 0) ctx.stdout(`detached from ${JSON.stringify(name)}; it keeps running (kvm-tui monitor ${JSON.stringify(name)} re-attaches, kvm-tui stop ${JSON.stringify(name)} stops it)\n`);
  return code;
}
