/**
 * `kvm-tui generate (--preset NAME | --spec FILE) [overrides] --format qemu|xml|script|json
 * [--out FILE [--force]]`: plan the VM on this host (or the --root capture) and print, or
 * atomically write, one artefact (never replacing an existing file without --force, nor anything
 * that is not a regular file). Exit 1 with the reasons when the plan (or a generator) refuses; nothing
 * is written then. Exit 2 for bad usage.
 */
import { allowOnly, maxPositionals, SPEC_OPTIONS, specRequestFromArgs } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { generateChecked } from '../generate/checked-outputs.js';
import type { GeneratedVm } from '../generate/index.js';
import { DomainXmlError } from '../generate/domain-xml-checks.js';
import { QemuArgsError } from '../generate/qemu-argv.js';
import { commentText, formatShellPreview, quoteShellWord } from '../shared/shell-quote.js';
import { openHostBackend } from '../backend/host-backend.js';
import { planVm } from '../plan/plan-vm.js';
import { writeFileAtomic, WriteTargetError } from '../run/atomic-write.js';
import { stateDirPaths, vmRunDir, vmStateDir } from '../shared/vm-paths.js';
import { buildSwtpmArgs } from '../generate/swtpm.js';
import { firmwareFacts, idleIothreads, IOTHREAD_VQ_MAPPING, libvirtAtLeast, qemuAtLeast, xmlSpreadsIothreads, type OutputTarget } from '../generate/vm-facts.js';
import type { Plan } from '../spec/types.js';
import { resolveSpecWithSource } from '../spec/resolve.js';

export const GENERATE_FORMATS = ['qemu', 'xml', 'script', 'json'] as const;
type Format = (typeof GENERATE_FORMATS)[number];

export async function runGenerate(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, [...SPEC_OPTIONS, 'format', 'out', 'force', 'qemu-version', 'libvirt-version']);
  maxPositionals(ctx.args, 0, 'no arguments');
  // Usage is checked before any planning: a bad flag is exit 2 whatever the host looks like.
  const format = parseFormat(ctx.args.values.format);
  const out = ctx.args.values.out;
  if (out !== undefined && (typeof out !== 'string' || out === '')) throw new UsageError('generate: --out needs a file path (given once)');
  const force = ctx.args.values.force === true;
  if (force && out === undefined) throw new UsageError('generate: --force only applies with --out FILE');
  const request = specRequestFromArgs(ctx.args);
  const host = await openHostBackend(ctx, 'generate');
  const target = await host.target('generate');

  const devices = host.devices();
  const { spec, source, notes } = resolveSpecWithSource(request, { env: ctx.env, home: ctx.home, kvmUsable: devices.kvm !== 'missing', vhostUsable: devices.vhostNet !== 'missing' });
  for (const note of notes) ctx.stderr(`kvm-tui: ${note}\n`);
  const topology = host.topology();
  const taken = await host.taken(spec.name);
  const cpuModels = await host.cpuModels(spec);
  for (const note of host.notes()) ctx.stderr(`kvm-tui: note: ${note}\n`);
  const plan = planVm({ topology, cpuInfo: host.cpuInfo(), spec, taken, devices, cpuModels });
  if (plan.errors.length > 0) {
    ctx.stderr(plan.errors.map((error) => `kvm-tui: plan: ${error.message} [${error.code}]\n`).join(''));
    return 1;
  }

  const runDir = vmRunDir(plan.spec.name, { env: ctx.env, uid: ctx.identity.uid });
  const stateDir = vmStateDir(plan.spec.name, { env: ctx.env, uid: ctx.identity.uid });
  let generated: GeneratedVm;
  try {
    // Every format is refused where any output would be (generateAll's checks); the XML itself,
    // and the builder with xmlbuilder2, only for the formats that print it.
    const { argv, script } = generateChecked(plan, { runDir, stateDir, target });
    const xml = format === 'xml' || format === 'json' ? (await import('../generate/libvirt-xml.js')).buildDomainXml(plan, { target }) : '';
    generated = { argv, xml, script, plan };
  } catch (error) {
    if (error instanceof QemuArgsError) {
      ctx.stderr(error.problems.map((problem) => `kvm-tui: generate: ${problem.message} [${problem.code}]\n`).join(''));
      return 1;
    }
    if (error instanceof DomainXmlError) {
      ctx.stderr(error.problems.map((problem) => `kvm-tui: generate: ${problem}\n`).join('') + `hint: ${error.hint}\n`);
      return 1;
    }
    throw error;
  }
  for (const warning of plan.warnings) ctx.stderr(`kvm-tui: warning: ${warning.message} [${warning.code}]\n`);
  const idle = idleIothreadNote(plan, format, target);
  if (idle) ctx.stderr(`kvm-tui: note: ${idle}\n`);

  const text = render(format, generated, runDir, stateDir, source);
  if (typeof out === 'string') {
    try {
      // The pin script is meant to be run: make it executable.
      writeFileAtomic(out, text, { mode: format === 'script' ? 0o755 : 0o644, overwrite: force, uid: ctx.identity.uid });
    } catch (error) {
      if (error instanceof WriteTargetError) throw new UsageError(`generate: --out ${error.message}${error.refusal === 'exists' ? ' (add --force to replace it)' : ''}`);
      throw error;
    }
    ctx.stderr(`kvm-tui: wrote ${out}\n`);
  } else {
    ctx.stdout(text);
  }
  return 0;
}

/** What `kvm-tui launch` prepares for UEFI and a TPM (src/run/guest-state.ts), as shell lines for the preview. */
function platformSetup(generated: GeneratedVm, runDir: string, stateDir: string): string[] {
  const { spec } = generated.plan;
  const firmware = firmwareFacts(spec);
  if (!firmware && !spec.guest.tpm) return [];
  const state = stateDirPaths(stateDir);
  const lines = ['# The VM\'s persistent state: its UEFI variable store (copied once) and TPM state.', `mkdir -p -m 0700 -- ${quoteShellWord(stateDir)}`];
  if (firmware) lines.push(`[ -e ${quoteShellWord(state.uefiVars)} ] || install -m 0600 -- ${quoteShellWord(firmware.varsTemplate)} ${quoteShellWord(state.uefiVars)}`);
  if (spec.guest.tpm) {
    lines.push(
      '# swtpm serves the TPM (it ends when QEMU does); it gets names relative to the run dir.',
      `mkdir -p -m 0700 -- ${quoteShellWord(state.tpmState)}`,
      `ln -sfn -- ${quoteShellWord(state.tpmState)} ${quoteShellWord(`${runDir}/tpm-state`)}`,
      `(cd -- ${quoteShellWord(runDir)} && setsid ${buildSwtpmArgs().map(quoteShellWord).join(' ')} </dev/null >>swtpm.log 2>&1 &)`,
      `until [ -S ${quoteShellWord(`${runDir}/swtpm.sock`)} ]; do sleep 0.1; done`,
    );
  }
  return lines;
}

function parseFormat(value: unknown): Format {
  if (value === undefined) throw new UsageError(`generate: --format is required (${GENERATE_FORMATS.join(', ')})`);
  if (typeof value !== 'string') throw new UsageError('generate: --format given more than once');
  if (!(GENERATE_FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`generate: --format must be one of ${GENERATE_FORMATS.join(', ')}, got "${value}"`);
  }
  return value as Format;
}

function render(format: Format, generated: GeneratedVm, runDir: string, stateDir: string, source: string): string {
  switch (format) {
    case 'qemu':
      return [
        `# kvm-tui: QEMU command for VM ${JSON.stringify(generated.plan.spec.name)} (${commentText(source)}). It starts paused (-S):`,
        '# pin it (kvm-tui generate ... --format script), then resume it with the QMP command "cont".',
        // QEMU creates the QMP socket but not the directory holding it.
        `mkdir -p -m 0700 -- ${quoteShellWord(runDir)}`,
        ...platformSetup(generated, runDir, stateDir),
        formatShellPreview(generated.argv),
      ].join('\n');
    case 'xml':
      return generated.xml;
    case 'script':
      return generated.script;
    case 'json':
      return JSON.stringify({ argv: generated.argv, xml: generated.xml, script: generated.script, plan: generated.plan }, null, 2) + '\n';
  }
}

/**
 * More iothreads than disks asking for one: the spare ones serve a disk only where its queues can
 * be spread over several (vm-facts.ts IOTHREAD_VQ_MAPPING); elsewhere they would idle, said here.
 */
export function idleIothreadNote(plan: Plan, format: Format, target: OutputTarget): string | null {
  const [program, version, needed] =
    format === 'xml'
      ? (['libvirt', target.libvirt ?? null, IOTHREAD_VQ_MAPPING.libvirt] as const)
      : (['QEMU', target.qemu, IOTHREAD_VQ_MAPPING.qemu] as const);
  const spread = format === 'xml' ? xmlSpreadsIothreads(target) : qemuAtLeast(target, needed[0], needed[1]);
  const idle = idleIothreads(plan, spread);
  if (idle.length === 0) return null;
  const which = version ? `${program} ${version.major}.${version.minor}` : `an unknown ${program} (--${program === 'QEMU' ? 'qemu' : 'libvirt'}-version X.Y)`;
  const qemuToo = format === 'xml' && libvirtAtLeast(target, needed[0], needed[1]) ? `, with QEMU >= ${IOTHREAD_VQ_MAPPING.qemu[0]}.${IOTHREAD_VQ_MAPPING.qemu[1]} under it` : '';
  const why = spread
    ? 'more iothreads than the disks have queues (one per vCPU)'
    : qemuToo
      ? `spreading a disk over several iothreads needs libvirt's QEMU >= ${IOTHREAD_VQ_MAPPING.qemu[0]}.${IOTHREAD_VQ_MAPPING.qemu[1]} too (<driver><iothreads>), the output is for ${target.qemu ? `QEMU ${target.qemu.major}.${target.qemu.minor}` : 'an unknown QEMU (--qemu-version X.Y)'}`
      : `spreading a disk over several iothreads needs ${program} >= ${needed[0]}.${needed[1]} (${format === 'xml' ? '<driver><iothreads>, with QEMU >= 9.0' : 'virtio-blk iothread-vq-mapping'}), the output is for ${which}`;
  return `iothread${idle.length === 1 ? '' : 's'} ${idle.join(', ')} serve${idle.length === 1 ? 's' : ''} no disk: ${why}`;
}
