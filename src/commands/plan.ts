import { allowOnly, maxPositionals, SPEC_OPTIONS, specRequestFromArgs } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { readCpuInfo } from '../host/cpuinfo.js';
import { readHostDevices } from '../host/devices.js';
import { readCommandTopology } from './host-topology.js';
import { heldByRunningVms } from './live.js';
import { cpuModelFacts } from './cpu-models.js';
import { formatPlan } from '../plan/format-plan.js';
import { planVm } from '../plan/plan-vm.js';
import { resolveSpecWithSource } from '../spec/resolve.js';

/**
 * `kvm-tui plan (--preset NAME | --spec FILE) [overrides] [--json]`: exit 0 with a plan, 1 when
 * the plan has errors (nothing else printed but the errors), 2 for bad input.
 */
export async function runPlan(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, [...SPEC_OPTIONS, 'json']);
  maxPositionals(ctx.args, 0, 'no arguments');
  const devices = readHostDevices(ctx.hostFs, ctx.capturedRoot);
  const { spec, label, notes } = resolveSpecWithSource(specRequestFromArgs(ctx.args), { env: ctx.env, kvmUsable: devices.kvm === 'usable' });
  for (const note of notes) ctx.stderr(`kvm-tui: ${note}\n`);
  const topology = readCommandTopology(ctx.hostFs);
  const cpuInfo = readCpuInfo(ctx.hostFs);
  // CPUs that VMs kvm-tui launched on this host hold are taken (none on a captured host).
  const plan = planVm({ topology, cpuInfo, spec, taken: heldByRunningVms(ctx, spec.name), devices, cpuModels: await cpuModelFacts(ctx, spec) });
  if (ctx.args.values.json) {
    ctx.stdout(JSON.stringify(plan, null, 2) + '\n');
  } else if (plan.errors.length > 0) {
    ctx.stderr(plan.errors.map((error) => `kvm-tui: plan: ${error.message} [${error.code}]\n`).join(''));
  } else {
    ctx.stdout(formatPlan(plan, topology, label));
  }
  return plan.errors.length > 0 ? 1 : 0;
}
