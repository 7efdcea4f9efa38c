/**
 * What the commands that touch running VMs (launch, status, stop, monitor) share: the live
 * /proc (never a captured root), the registry for this user, and the services launch needs.
 */
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { HostFs } from '../host/host-fs.js';
import { findVm, listVms, takenCpus, type RegisteredVm, type RegistryOptions } from '../registry/registry.js';
import type { LaunchServices } from '../run/launch.js';

/** VMs run on this machine: a captured host (--root) has none to start, show or stop. */
export function refuseCapturedRoot(ctx: CommandContext, command: string): void {
  if (ctx.capturedRoot) throw new UsageError(`${command}: --root shows a captured host; ${command} works on this machine's VMs only`);
}

export function registryOptions(ctx: CommandContext): RegistryOptions {
  return { env: ctx.env, uid: ctx.identity.uid, procFs: new HostFs('/', { record: false }) };
}

export function launchServices(ctx: CommandContext): LaunchServices {
  return {
    run: ctx.run,
    spawnDetached: ctx.spawnDetached,
    signal: ctx.signal,
    clock: ctx.clock,
    procFs: new HostFs('/', { record: false }),
    uid: ctx.identity.uid ?? 0,
    env: ctx.env,
    launcherPid: ctx.identity.pid,
    trapInterrupts: ctx.trapSignals,
  };
}

/**
 * CPUs that running VMs (other than `name`) hold, for the planner; none on a captured host.
 * Reading the registry here never cleans it: plan and generate change nothing.
 */
export function heldByRunningVms(ctx: CommandContext, name?: string): Map<number, string> {
  if (ctx.capturedRoot) return new Map();
  return takenCpus(listVms({ ...registryOptions(ctx), clean: false }), name);
}

/** The running VM named NAME, or exit 2 naming what runs. */
export function requireVm(ctx: CommandContext, command: string, name: string): RegisteredVm {
  const options = registryOptions(ctx);
  const vm = findVm(name, options);
  if (vm) return vm;
  const names = listVms(options).map((entry) => entry.record.name);
  throw new UsageError(`${command}: no running VM named ${JSON.stringify(name)}${names.length ? ` (running: ${names.map((n) => JSON.stringify(n)).join(', ')})` : ' (none running)'}`);
}
