/**
 * launch, status and stop through libvirt (`--connect URI`): the same commands, the same exit
 * codes, the VMs being libvirt domains on the host behind the URI.
 * - launch: plan against that host (its running domains' CPUs held), define + start the XML,
 *   read every pin back and compare with the plan; a taken name or any failure: exit 1 with
 *   libvirt's words, nothing left defined.
 * - status [NAME] [--json]: every domain with its state, pins (and kvm-tui's plan, drift), and
 *   figures over one second from `virsh domstats` (vcpu.N.delay = the guest's steal time).
 * - stop NAME [--force] [--timeout S]: ACPI shutdown (or destroy); a domain kvm-tui defined is
 *   undefined afterwards, one it did not define stays defined.
 */
import { allowOnly, maxPositionals, SPEC_OPTIONS, specRequestFromArgs } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { formatCpuList } from '../host/cpulist.js';
import { generateAll } from '../generate/index.js';
import { DomainXmlError } from '../generate/libvirt-xml.js';
import { QemuArgsError } from '../generate/qemu-argv.js';
import { LAUNCH_BLOCKING_CODES } from '../plan/codes.js';
import { planVm } from '../plan/plan-vm.js';
import { vmRunDir, vmStateDir } from '../shared/vm-paths.js';
import { resolveSpecWithSource } from '../spec/resolve.js';
import { quoteShellWord } from '../shared/shell-quote.js';
import { CONNECT_TIMEOUT_MS, openHostBackend } from '../backend/host-backend.js';
import { LibvirtBackend, pinDrift } from '../backend/libvirt-backend.js';
import { domainRates, type DomainInfo, type DomainRates, type DomainStats } from '../backend/libvirt-domains.js';

export async function runLibvirtLaunch(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, [...SPEC_OPTIONS, 'detach', 'json', 'paused']);
  maxPositionals(ctx.args, 0, 'no arguments');
  const json = ctx.args.values.json === true;
  const request = specRequestFromArgs(ctx.args);
  const host = await openHostBackend(ctx, 'launch');
  const backend = host.libvirt!;
  const devices = host.devices();
  const { spec, notes } = resolveSpecWithSource(request, { env: ctx.env, home: ctx.home, kvmUsable: devices.kvm !== 'missing', vhostUsable: devices.vhostNet !== 'missing' });
  for (const note of notes) ctx.stderr(`kvm-tui: ${note}\n`);
  const taken = await host.taken(spec.name);
  const cpuModels = await host.cpuModels(spec);
  for (const note of host.notes()) ctx.stderr(`kvm-tui: note: ${note}\n`);
  const plan = planVm({ topology: host.topology(), cpuInfo: host.cpuInfo(), spec, taken, devices, cpuModels });
  const blocking = [...plan.errors, ...plan.warnings.filter((warning) => LAUNCH_BLOCKING_CODES.has(warning.code))];
  if (blocking.length > 0) {
    ctx.stderr(blocking.map((problem) => `kvm-tui: launch: plan: ${problem.message} [${problem.code}]\n`).join(''));
    return 1;
  }
  for (const warning of plan.warnings) ctx.stderr(`kvm-tui: warning: ${warning.message} [${warning.code}]\n`);
  let xml: string;
  try {
    // The run and state dirs only name files in the QEMU argv; libvirt keeps its own.
    xml = generateAll(plan, {
      runDir: vmRunDir(plan.spec.name, { env: ctx.env, uid: ctx.identity.uid }),
      stateDir: vmStateDir(plan.spec.name, { env: ctx.env, uid: ctx.identity.uid }),
      target: await host.target('launch'),
      ...(host.emulator ? { emulatorBinary: host.emulator } : {}),
      serialLog: !isSessionUri(backend.uri),
    }).xml;
  } catch (error) {
    if (error instanceof QemuArgsError) {
      ctx.stderr(error.problems.map((problem) => `kvm-tui: launch: generate: ${problem.message} [${problem.code}]\n`).join(''));
      return 1;
    }
    if (error instanceof DomainXmlError) {
      ctx.stderr(error.problems.map((problem) => `kvm-tui: launch: generate: ${problem}\n`).join(''));
      return 1;
    }
    throw error;
  }
  const info = await backend.launch(plan, xml, {
    paused: ctx.args.values.paused === true,
    onStep: json ? undefined : (step, text) => ctx.stderr(`launch: ${step.padEnd(7)} ${text}\n`),
  });
  if (json) {
    ctx.stdout(JSON.stringify({ uri: backend.uri, vms: [domainEntry(backend.uri, info, undefined)] }, null, 2) + '\n');
    return 0;
  }
  const name = JSON.stringify(info.name);
  const pins = [...info.vcpuPins].map(([vcpu, cpus]) => `vCPU ${vcpu} -> ${formatCpuList(cpus)}`).join(', ');
  const connect = `--connect ${quoteShellWord(backend.uri)}`;
  ctx.stdout(
    `VM ${name} ${info.state} on ${backend.uri}; ${pins}${info.emulatorPins.length ? `; emulator -> ${formatCpuList(info.emulatorPins)}` : ''}\n` +
      `watch it: kvm-tui monitor ${connect}   stop it: kvm-tui stop ${connect} ${quoteShellWord(info.name)}\n`,
  );
  return 0;
}

/** qemu:///session, qemu+ssh://host/session, ...: a per-user daemon. */
export function isSessionUri(uri: string): boolean {
  return /^[\w+.-]+:\/\/[^/]*\/session(?:[?#]|$)/.test(uri);
}

export interface LibvirtStatusEntry {
  uri: string;
  name: string;
  state: string;
  /** kvm-tui defined it (it carries kvm-tui's plan). */
  kvmTui: boolean;
  cpuPercent: number | null;
  memoryKiB: number | null;
  rssKiB: number | null;
  blockReadBytesPerSec: number | null;
  blockWriteBytesPerSec: number | null;
  netRxBytesPerSec: number | null;
  netTxBytesPerSec: number | null;
  vcpus: Array<{ vcpu: number; affinity: number[]; plannedAffinity: number[] | null; cpuPercent: number | null; stealMsPerSec: number | null; waitMsPerSec: number | null }>;
  emulator: { affinity: number[]; plannedAffinity: number[] | null };
  iothreads: Array<{ id: number; affinity: number[]; plannedAffinity: number[] | null }>;
  /** Pins that differ from kvm-tui's plan, as sentences (empty = as planned, or no plan). */
  drift: string[];
}

export async function runLibvirtStatus(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, ['json']);
  maxPositionals(ctx.args, 1, 'at most a VM name');
  const name = ctx.args.positionals[0];
  const backend = libvirtBackend(ctx);
  const entries = await libvirtStatusEntries(backend, { sampleMs: 1000, name, clock: ctx.clock });
  if (ctx.args.values.json) {
    ctx.stdout(JSON.stringify({ uri: backend.uri, vms: entries }, null, 2) + '\n');
    return 0;
  }
  ctx.stdout(entries.length === 0 ? `no domains on ${backend.uri}\n` : entries.map(formatLibvirtEntry).join('\n'));
  return 0;
}

export function libvirtBackend(ctx: CommandContext): LibvirtBackend {
  return new LibvirtBackend({ uri: ctx.connectUri!, run: ctx.run, env: ctx.env, clock: ctx.clock, timeoutMs: CONNECT_TIMEOUT_MS });
}

/** Domains (or the one named; exit 2 when it does not exist) with their figures over `sampleMs`. */
export async function libvirtStatusEntries(backend: LibvirtBackend, options: { sampleMs: number; name?: string; clock: CommandContext['clock'] }): Promise<LibvirtStatusEntry[]> {
  const domains = await backend.domains();
  const wanted = options.name === undefined ? domains : domains.filter((domain) => domain.name === options.name);
  if (options.name !== undefined && wanted.length === 0) {
    throw new UsageError(`status: no domain named ${JSON.stringify(options.name)} on ${backend.uri}${domains.length ? ` (there: ${domains.map((d) => JSON.stringify(d.name)).join(', ')})` : ' (none defined)'}`);
  }
  const first = await backend.stats();
  const firstAt = options.clock.now();
  let second: DomainStats[] = first;
  if (options.sampleMs > 0 && wanted.some((domain) => domain.state === 'running')) {
    await options.clock.sleep(options.sampleMs);
    second = await backend.stats();
  }
  const ms = options.clock.now() - firstAt;
  return wanted.map((domain) => {
    const now = second.find((stats) => stats.name === domain.name);
    const before = first.find((stats) => stats.name === domain.name);
    return domainEntry(backend.uri, domain, now ? domainRates(second === first ? undefined : before, now, ms) : undefined);
  });
}

export function domainEntry(uri: string, domain: DomainInfo, rates: DomainRates | undefined): LibvirtStatusEntry {
  const plan = domain.plan;
  return {
    uri,
    name: domain.name,
    state: domain.state,
    kvmTui: plan !== null,
    cpuPercent: rates?.cpuPercent ?? null,
    memoryKiB: rates?.memoryKiB ?? null,
    rssKiB: rates?.rssKiB ?? null,
    blockReadBytesPerSec: rates?.blockReadBytesPerSec ?? null,
    blockWriteBytesPerSec: rates?.blockWriteBytesPerSec ?? null,
    netRxBytesPerSec: rates?.netRxBytesPerSec ?? null,
    netTxBytesPerSec: rates?.netTxBytesPerSec ?? null,
    vcpus: [...domain.vcpuPins].map(([vcpu, affinity]) => {
      const rate = rates?.vcpus.find((entry) => entry.index === vcpu);
      const planned = plan?.vcpus[vcpu];
      return { vcpu, affinity, plannedAffinity: planned && planned.length > 0 ? planned : null, cpuPercent: rate?.cpuPercent ?? null, stealMsPerSec: rate?.stealMsPerSec ?? null, waitMsPerSec: rate?.waitMsPerSec ?? null };
    }),
    emulator: { affinity: domain.emulatorPins, plannedAffinity: plan && plan.emulator.length > 0 ? plan.emulator : null },
    iothreads: [...domain.iothreadPins].map(([id, affinity]) => {
      const planned = plan?.iothreads[id - 1];
      return { id, affinity, plannedAffinity: planned && planned.length > 0 ? planned : null };
    }),
    drift: plan && domain.state !== 'shut off' ? pinDrift(plan, domain) : [],
  };
}

const fig = (value: number | null, unit = '') => (value === null ? '-' : `${value}${unit}`);

export function formatLibvirtEntry(entry: LibvirtStatusEntry): string {
  // A name (or state) from a remote daemon never reaches the terminal with control characters.
  const safe = (text: string) => (/[\u0000-\u001f\u007f-\u009f]/.test(text) ? JSON.stringify(text) : text);
  const lines = [`${safe(entry.name)}  ${safe(entry.state)}  ${entry.uri}  cpu ${fig(entry.cpuPercent, '%')}  mem ${entry.memoryKiB === null ? '-' : `${Math.round(entry.memoryKiB / 1024)} MiB`}${entry.kvmTui ? '  (kvm-tui)' : ''}`];
  lines.push(`  ${'thread'.padEnd(10)} ${'cpu%'.padStart(6)}  ${'steal ms/s'.padStart(10)}  pinned (plan)`);
  for (const vcpu of entry.vcpus) {
    const pinned = formatCpuList(vcpu.affinity);
    const planned = vcpu.plannedAffinity ? formatCpuList(vcpu.plannedAffinity) : null;
    lines.push(`  ${`vCPU ${vcpu.vcpu}`.padEnd(10)} ${fig(vcpu.cpuPercent).padStart(6)}  ${fig(vcpu.stealMsPerSec).padStart(10)}  ${pinned}${planned === null || planned === pinned ? '' : `  DRIFT (plan ${planned})`}`);
  }
  lines.push(`  ${'emulator'.padEnd(10)} ${''.padStart(6)}  ${''.padStart(10)}  ${formatCpuList(entry.emulator.affinity)}`);
  for (const io of entry.iothreads) lines.push(`  ${`iothread ${io.id}`.padEnd(10)} ${''.padStart(6)}  ${''.padStart(10)}  ${formatCpuList(io.affinity)}`);
  return lines.join('\n') + '\n';
}

export async function runLibvirtStop(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, ['force', 'timeout']);
  maxPositionals(ctx.args, 1, 'one VM name');
  const name = ctx.args.positionals[0];
  if (name === undefined) throw new UsageError('stop: which domain? kvm-tui stop --connect URI NAME (kvm-tui status --connect URI lists them)');
  const timeoutText = ctx.args.values.timeout;
  if (timeoutText !== undefined && (typeof timeoutText !== 'string' || !/^\d+(\.\d+)?$/.test(timeoutText) || Number(timeoutText) > 3600)) {
    throw new UsageError(`stop: --timeout must be a number of seconds from 0 to 3600, got ${JSON.stringify(timeoutText)}`);
  }
  const timeoutMs = (timeoutText === undefined ? 30 : Number(timeoutText)) * 1000;
  const backend = libvirtBackend(ctx);
  if ((await backend.virsh.domainState(name)) === null) {
    const names = await backend.virsh.listAllNames();
    throw new UsageError(`stop: no domain named ${JSON.stringify(name)} on ${backend.uri}${names.length ? ` (there: ${names.map((n) => JSON.stringify(n)).join(', ')})` : ' (none defined)'}`);
  }
  const { outcome, undefined: removed } = await backend.stop(name, { force: ctx.args.values.force === true, timeoutMs });
  const quoted = JSON.stringify(name);
  if (outcome === 'timeout') {
    ctx.stderr(`kvm-tui: stop: domain ${quoted} did not shut down within ${timeoutMs / 1000} s (the guest may ignore the ACPI power button)\nhint: kvm-tui stop --connect ${quoteShellWord(backend.uri)} ${quoteShellWord(name)} --force ends it at once\n`);
    return 1;
  }
  ctx.stdout(`domain ${quoted} ${outcome === 'stopped' ? 'stopped' : 'was not running'}${removed ? ' and undefined (kvm-tui defined it)' : ''}\n`);
  return 0;
}
