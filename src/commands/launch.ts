/**
 * `kvm-tui launch (--preset NAME | --spec FILE) [overrides] [--paused] [--detach] [--json]`:
 * plan the VM on this host (avoiding CPUs that running VMs hold), start it paused and detached,
 * pin every thread, verify, resume. Exit 1 naming the step (and QEMU's words) when any step
 * fails, with nothing left running; 2 for bad input. On a terminal without --detach the live
 * monitor opens on the new VM; the VM outlives it either way.
 */
import { allowOnly, maxPositionals, SPEC_OPTIONS, specRequestFromArgs } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { generateAll } from '../generate/index.js';
import { UNKNOWN_TARGET, type OutputTarget } from '../generate/vm-facts.js';
import { qemuTarget } from './qemu-target.js';
import { cpuModelFacts } from './cpu-models.js';
import type { CpuModelFacts } from '../host/cpu-models.js';
import { DomainXmlError } from '../generate/libvirt-xml.js';
import { QemuArgsError } from '../generate/qemu-argv.js';
import { readCpuInfo } from '../host/cpuinfo.js';
import { readHostDevices } from '../host/devices.js';
import { LAUNCH_BLOCKING_CODES } from '../plan/codes.js';
import { planVm } from '../plan/plan-vm.js';
import { describeThread, launchVm } from '../run/launch.js';
import { formatCpuList } from '../host/cpulist.js';
import { vmRunDir, vmStateDir } from '../shared/vm-paths.js';
import { resolveSpecWithSource } from '../spec/resolve.js';
import type { Plan, VmSpec } from '../spec/types.js';
import { readCommandTopology } from './host-topology.js';
import { floatingNote, heldOnThisHost, launchServices, refuseCapturedRoot } from './live.js';
import { statusEntry } from './status.js';


/** Opens the live monitor on a VM (the TUI's; given by the caller so this module loads no Ink). */
export type OpenMonitor = (ctx: CommandContext, name: string) => Promise<number>;

export type PreparedLaunch = { plan: Plan; argv: string[]; runDir: string; stateDir: string; notes: string[] } | { problems: string[] };

/**
 * The plan launch runs, made against this host as it is now: CPUs that running VMs hold are
 * taken, /dev/kvm and /dev/vhost-net as they open, and the warnings that would make the start
 * fail are problems. Then the QEMU argv for the VM's runtime directory.
 */
export function prepareLaunch(
  ctx: CommandContext,
  spec: VmSpec,
  devices = readHostDevices(ctx.hostFs, ctx.capturedRoot),
  target: OutputTarget = UNKNOWN_TARGET,
  cpuModels?: CpuModelFacts,
): PreparedLaunch {
  const topology = readCommandTopology(ctx.hostFs);
  const { held, floating } = heldOnThisHost(ctx, topology.online, spec.name);
  const plan = planVm({ topology, cpuInfo: readCpuInfo(ctx.hostFs), spec, taken: held, devices, cpuModels });
  const blocking = [...plan.errors, ...plan.warnings.filter((warning) => LAUNCH_BLOCKING_CODES.has(warning.code))];
  if (blocking.length > 0) return { problems: blocking.map((problem) => `plan: ${problem.message} [${problem.code}]`) };
  const runDir = vmRunDir(plan.spec.name, { env: ctx.env, uid: ctx.identity.uid });
  const stateDir = vmStateDir(plan.spec.name, { env: ctx.env, uid: ctx.identity.uid });
  try {
    return { plan, argv: generateAll(plan, { runDir, stateDir, target }).argv, runDir, stateDir, notes: floatingNote(floating) };
  } catch (error) {
    if (error instanceof QemuArgsError) return { problems: error.problems.map((problem) => `generate: ${problem.message} [${problem.code}]`) };
    if (error instanceof DomainXmlError) return { problems: error.problems.map((problem) => `generate: ${problem}`) };
    throw error;
  }
}

export async function runLaunch(ctx: CommandContext, openMonitor?: OpenMonitor): Promise<number> {
  // --connect: the same command through libvirt (loaded only then).
  if (ctx.connectUri !== null) {
    if (ctx.capturedRoot) throw new UsageError('launch: --root and --connect name two different hosts; give one');
    return (await import('./libvirt-commands.js')).runLibvirtLaunch(ctx);
  }
  allowOnly(ctx.args, [...SPEC_OPTIONS, 'detach', 'json', 'paused']);
  maxPositionals(ctx.args, 0, 'no arguments');
  refuseCapturedRoot(ctx, 'launch');
  const json = ctx.args.values.json === true;
  const devices = readHostDevices(ctx.hostFs, ctx.capturedRoot);
  const { spec, notes } = resolveSpecWithSource(specRequestFromArgs(ctx.args), { env: ctx.env, home: ctx.home, kvmUsable: devices.kvm !== 'missing', vhostUsable: devices.vhostNet !== 'missing' });
  for (const note of notes) ctx.stderr(`kvm-tui: ${note}\n`);
  const prepared = prepareLaunch(ctx, spec, devices, await qemuTarget(ctx, 'launch'), await cpuModelFacts(ctx, spec));
  if ('problems' in prepared) {
    ctx.stderr(prepared.problems.map((problem) => `kvm-tui: launch: ${problem}\n`).join(''));
    return 1;
  }
  const { plan, argv, runDir, stateDir } = prepared;
  for (const warning of plan.warnings) ctx.stderr(`kvm-tui: warning: ${warning.message} [${warning.code}]\n`);
  for (const note of prepared.notes) ctx.stderr(`kvm-tui: note: ${note}\n`);

  const services = launchServices(ctx);
  const result = await launchVm(
    {
      plan,
      argv,
      runDir,
      stateDir,
      paused: ctx.args.values.paused === true,
      onStep: json ? undefined : (step, text) => ctx.stderr(`launch: ${step.padEnd(7)} ${text}\n`),
    },
    services,
  );

  if (json) {
    const entry = await statusEntry(ctx, result.record, { sampleMs: 0 });
    ctx.stdout(JSON.stringify({ vms: [entry] }, null, 2) + '\n');
    return 0;
  }
  const name = JSON.stringify(result.record.name);
  const pins = result.record.threads
    .filter((thread) => thread.role !== 'emulator')
    .map((thread) => `${describeThread(thread)} -> ${formatCpuList(thread.plannedAffinity)}`)
    .join(', ');
  ctx.stdout(
    `VM ${name} ${result.state} (pid ${result.record.pid}); ${pins}${plan.emulator.length ? `; emulator -> ${formatCpuList(plan.emulator)}` : ''}\n` +
      `runtime dir ${runDir}\n` +
      `watch it: kvm-tui monitor ${name}   stop it: kvm-tui stop ${name}\n`,
  );
  if (openMonitor && !ctx.args.values.detach && ctx.terminal.stdinIsTty && ctx.terminal.stdoutIsTty && ctx.terminal.streams) {
    return openMonitor(ctx, result.record.name);
  }
  return 0;
}
