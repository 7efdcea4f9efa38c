import { allowOnly, maxPositionals, SPEC_OPTIONS, specRequestFromArgs } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { openHostBackend } from '../backend/host-backend.js';
import { formatPlan } from '../plan/format-plan.js';
import { formatHeldCpus } from '../host/topology-text.js';
import { planVm } from '../plan/plan-vm.js';
import { resolveSpecWithSource } from '../spec/resolve.js';

/**
 * `kvm-tui plan (--preset NAME | --spec FILE) [overrides] [--json]`: exit 0 with a plan, 1 when
 * the plan has errors (nothing else printed but the errors), 2 for bad input.
 */
export async function runPlan(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, [...SPEC_OPTIONS, 'json']);
  maxPositionals(ctx.args, 0, 'no arguments');
  const request = specRequestFromArgs(ctx.args);
  const host = await openHostBackend(ctx, 'plan');
  const devices = host.devices();
  const { spec, label, notes } = resolveSpecWithSource(request, { env: ctx.env, home: ctx.home, kvmUsable: devices.kvm !== 'missing', vhostUsable: devices.vhostNet !== 'missing' });
  for (const note of notes) ctx.stderr(`kvm-tui: ${note}\n`);
  const topology = host.topology();
  // CPUs that other VMs hold are taken: kvm-tui's own on this host (none on a captured host), or
  // the running domains of the libvirt host.
  const taken = await host.taken(spec.name);
  const cpuModels = await host.cpuModels(spec);
  for (const note of host.notes()) ctx.stderr(`kvm-tui: note: ${note}\n`);
  const plan = planVm({ topology, cpuInfo: host.cpuInfo(), spec, taken, devices, cpuModels });
  if (ctx.args.values.json) {
    ctx.stdout(JSON.stringify(plan, null, 2) + '\n');
  } else {
    // Why CPUs were passed over: what other VMs hold (kvm-tui's own here, or libvirt's domains).
    const held = formatHeldCpus(taken);
    const heldText = held.length > 0 ? `held by running VMs (left alone):\n${held.join('\n')}\n` : '';
    if (plan.errors.length > 0) ctx.stderr(plan.errors.map((error) => `kvm-tui: plan: ${error.message} [${error.code}]\n`).join('') + heldText);
    else ctx.stdout(formatPlan(plan, topology, label) + (heldText ? `\n${heldText}` : ''));
  }
  return plan.errors.length > 0 ? 1 : 0;
}
