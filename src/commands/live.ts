/**
 * What the commands that touch running VMs (launch, status, stop, monitor) share: the live
 * /proc (never a captured root), the registry for this user, and the services launch needs.
 */
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { readOtherQemus } from '../host/other-qemus.js';
import { findVm, listVms, takenCpus, type RegisteredVm, type RegistryOptions } from '../registry/registry.js';
import type { LaunchServices } from '../run/launch.js';

/** VMs run on this machine: a captured host (--root) has none to start, show or stop. */
export function refuseCapturedRoot(ctx: CommandContext, command: string): void {
  if (ctx.capturedRoot) throw new UsageError(`${command}: --root shows a captured host; ${command} works on this machine's VMs only`);
}

export function registryOptions(ctx: CommandContext): RegistryOptions {
  return { env: ctx.env, uid: ctx.identity.uid, procFs: ctx.procFs };
}

export function launchServices(ctx: CommandContext): LaunchServices {
  return {
    run: ctx.run,
    spawnDetached: ctx.spawnDetached,
    signal: ctx.signal,
    clock: ctx.clock,
    procFs: ctx.procFs,
    uid: ctx.identity.uid ?? 0,
    env: ctx.env,
    launcherPid: ctx.identity.pid,
    trapInterrupts: ctx.trapSignals,
  };
}

/**
 * Everything on this host that holds CPUs against a new plan: kvm-tui's own VMs (by name, from
 * the registry) and any other QEMU process with pinned threads (libvirt's domains, a hand-run
 * QEMU: `web (QEMU pid 4242)`), plus the QEMUs that float (nothing to hold, but they may run on
 * the plan's CPUs). None on a captured host.
 */
export function heldOnThisHost(ctx: CommandContext, online: readonly number[], name?: string): { held: Map<number, string>; floating: string[] } {
  if (ctx.capturedRoot) return { held: new Map(), floating: [] };
  const options = { ...registryOptions(ctx), clean: false };
  const vms = listVms(options);
  const held = takenCpus(vms, name);
  const others = readOtherQemus(options.procFs, online, new Set(vms.map((vm) => vm.record.pid)));
  for (const [cpu, who] of others.held) if (!held.has(cpu)) held.set(cpu, who);
  return { held, floating: others.floating };
}

/** The note plan, generate and launch print for QEMUs that float (empty: none). */
export function floatingNote(floating: readonly string[]): string[] {
  return floating.length === 0 ? [] : [`other QEMU processes run unpinned (they may share this plan's CPUs): ${floating.join(', ')}`];
}

/** The running VM named NAME, or exit 2 naming what runs. */
export function requireVm(ctx: CommandContext, command: string, name: string): RegisteredVm {
  const options = registryOptions(ctx);
  const vm = findVm(name, options);
  if (vm) return vm;
  const names = listVms(options).map((entry) => entry.record.name);
  throw new UsageError(`${command}: no running VM named ${JSON.stringify(name)}${names.length ? ` (running: ${names.map((n) => JSON.stringify(n)).join(', ')})` : ' (none running)'}`);
}
