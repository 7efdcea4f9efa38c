/**
 * The libvirt backend: a host (local or `qemu+ssh://`) driven through `virsh -c URI` with
 * argument arrays and a timeout on every call. Host facts come from libvirt (capabilities,
 * freecell, freepages, version); domains already there are held CPUs; kvm-tui defines and starts
 * the generated XML, reads every pin back from libvirt and compares it with the plan, and
 * undefines what it defined when any of that fails. Domains kvm-tui defined carry its plan as a
 * metadata element, which is how stop knows to undefine them and the monitor tells drift.
 */
import type { Clock } from '../context.js';
import { ActionError } from '../errors.js';
import { formatCpuList, sameCpus } from '../host/cpulist.js';
import { quoteShellWord } from '../shared/shell-quote.js';
import type { CpuInfo } from '../host/cpuinfo.js';
import type { HostDevices } from '../host/devices.js';
import type { Topology } from '../host/topology.js';
import type { RunCommand } from '../run/run-command.js';
import { Virsh, VirshError } from '../run/virsh.js';
import type { Accel, Plan } from '../spec/types.js';
import type { CpuModelFacts } from '../host/cpu-models.js';
import {
  formatPlanMetadata,
  heldByDomains,
  isRunningState,
  KVM_TUI_METADATA_KEY,
  KVM_TUI_METADATA_URI,
  parseDomstats,
  readDomain,
  readDomains,
  type DomainInfo,
  type DomainPlan,
  type DomainStats,
  type HeldByDomains,
} from './libvirt-domains.js';
import {
  cpuInfoFromCapabilities,
  cpuModelsFromDomcapabilities,
  parseFreecell,
  parseFreepages,
  parseLibvirtXml,
  parseVersion,
  topologyFromCapabilities,
  withFreeMemory,
  type LibvirtVersions,
} from './libvirt-host.js';

export interface LibvirtHostFacts {
  uri: string;
  topology: Topology;
  cpuInfo: CpuInfo;
  versions: LibvirtVersions;
  devices: HostDevices;
  /** The x86_64 QEMU binary the host's libvirt runs (capabilities' <emulator>), for the XML. */
  emulator: string | null;
}

export interface LibvirtBackendOptions {
  uri: string;
  run: RunCommand;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** Per virsh call; a hung connection is cut after it (default 30 s). */
  timeoutMs?: number;
}

export type LibvirtStopOutcome = 'stopped' | 'timeout' | 'not-running';

export class LibvirtBackend {
  readonly virsh: Virsh;
  readonly uri: string;
  private readonly clock: Clock;

  constructor(options: LibvirtBackendOptions) {
    this.uri = options.uri;
    this.clock = options.clock;
    this.virsh = new Virsh({ uri: options.uri, run: options.run, env: options.env, clock: options.clock, timeoutMs: options.timeoutMs });
  }

  /** Topology, CPU, free memory and pages, versions and accelerators of the libvirt host. */
  async hostFacts(): Promise<LibvirtHostFacts> {
    const capabilities = await this.virsh.run(['capabilities']);
    const topology = withFreeMemory(
      topologyFromCapabilities(capabilities),
      parseFreecell(await this.virsh.run(['freecell', '--all'])),
      parseFreepages((await this.virsh.tryRun(['freepages', '--all'])).stdout),
    );
    const versions = parseVersion(await this.virsh.run(['version', '--daemon']));
    const kvm = guestDomainTypes(capabilities).has('kvm');
    const emulator = guestEmulator(capabilities);
    // vhost-net cannot be seen through libvirt; libvirt itself refuses a vhost interface without it.
    return { uri: this.uri, topology, cpuInfo: cpuInfoFromCapabilities(capabilities), versions, devices: { kvm: kvm ? 'usable' : 'missing', vhostNet: 'usable' }, emulator };
  }

  /**
   * Which named CPU models the host's QEMU can give under `accel`, as libvirt asks QEMU
   * (`virsh domcapabilities`); null (with the words) when libvirt cannot say.
   */
  async cpuModels(accel: Accel): Promise<{ facts: CpuModelFacts } | { error: string }> {
    const result = await this.virsh.tryRun(['domcapabilities', '--virttype', accel === 'kvm' ? 'kvm' : 'qemu', '--arch', 'x86_64']);
    if (!result.ok) return { error: oneLine(result.stderr || result.error || 'no answer') };
    try {
      return { facts: cpuModelsFromDomcapabilities(result.stdout, accel) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  async domains(): Promise<DomainInfo[]> {
    return readDomains(this.virsh);
  }

  /** CPUs that the host's running domains are pinned to, for the planner. */
  async held(online: number[], except?: string): Promise<HeldByDomains> {
    return heldByDomains(await this.domains(), online, except);
  }

  /**
   * Defines and starts the domain, reads its pins back and compares them with the plan. A name
   * that exists already is refused before anything is defined; on any later failure the domain
   * is destroyed and undefined, so nothing half-defined stays.
   */
  async launch(plan: Plan, xml: string, options: { paused?: boolean; onStep?: (step: string, text: string) => void } = {}): Promise<DomainInfo> {
    const name = plan.spec.name;
    const step = options.onStep ?? (() => undefined);
    if ((await this.virsh.domainState(name)) !== null) {
      throw new ActionError(`a domain named ${JSON.stringify(name)} exists already on ${this.uri}`, `choose another --name, or remove it: virsh -c ${quoteShellWord(this.uri)} undefine --nvram ${quoteShellWord(name)}`);
    }
    step('define', `domain ${JSON.stringify(name)} on ${this.uri}`);
    const uuid = await this.virsh.define(xml, name);
    const ref = `--domain=${uuid}`;
    try {
      await this.virsh.run(['metadata', ref, '--uri', KVM_TUI_METADATA_URI, '--key', KVM_TUI_METADATA_KEY, '--set', formatPlanMetadata(planPins(plan)), '--config']);
      step('start', options.paused ? 'paused' : 'libvirt starts QEMU paused, pins every thread, then resumes');
      await this.virsh.run(['start', ref, ...(options.paused ? ['--paused'] : [])], { timeoutMs: 120_000 });
      const info = await readDomain(this.virsh, uuid);
      if (!info) throw new ActionError(`domain ${JSON.stringify(name)} vanished right after it started (see libvirt's log: /var/log/libvirt/qemu/${name}.log)`);
      const drift = pinDrift(planPins(plan), info);
      if (drift.length > 0) throw new ActionError(`libvirt did not pin ${JSON.stringify(name)} as planned: ${drift.join('; ')}`);
      step('verify', `pins read back from libvirt equal the plan`);
      return { ...info, name };
    } catch (error) {
      await this.virsh.tryRun(['destroy', ref]);
      await this.virsh.tryRun(['undefine', '--nvram', ref]);
      if (error instanceof VirshError) throw new ActionError(`launch through ${this.uri}: ${error.message}; the domain was undefined again`, error.hint);
      throw error;
    }
  }

  /**
   * ACPI shutdown (or destroy with force) and wait until it is off; then a domain kvm-tui
   * defined is undefined, one it did not define is left defined.
   */
  async stop(name: string, options: { force: boolean; timeoutMs: number }): Promise<{ outcome: LibvirtStopOutcome; undefined: boolean }> {
    const info = await readDomain(this.virsh, name);
    if (!info) throw new ActionError(`no domain named ${JSON.stringify(name)} on ${this.uri}`);
    const ref = `--domain=${name}`;
    if (isRunningState(info.state)) {
      if (options.force) await this.virsh.run(['destroy', ref]);
      else {
        await this.virsh.run(['shutdown', ref, '--mode', 'acpi']);
        const deadline = this.clock.now() + options.timeoutMs;
        while (isRunningState((await this.virsh.domainState(name)) ?? 'shut off')) {
          if (this.clock.now() >= deadline) return { outcome: 'timeout', undefined: false };
          await this.clock.sleep(200);
        }
      }
    }
    const ours = info.plan !== null;
    if (ours) await this.virsh.run(['undefine', '--nvram', ref]);
    return { outcome: isRunningState(info.state) ? 'stopped' : 'not-running', undefined: ours };
  }

  async stats(): Promise<DomainStats[]> {
    return parseDomstats(await this.virsh.run(['domstats', '--state', '--vcpu', '--cpu-total', '--balloon', '--block', '--interface']));
  }

  /** Live re-pin of one vCPU. */
  async repinVcpu(name: string, vcpu: number, cpus: number[]): Promise<void> {
    await this.virsh.run(['vcpupin', `--domain=${name}`, '--vcpu', String(vcpu), '--cpulist', formatCpuList(cpus), '--live']);
  }

  /**
   * Puts every thread of a running domain kvm-tui defined back where its recorded plan says
   * (`vcpupin`/`emulatorpin`/`iothreadpin --live`), then reads the pins back: what it returns is
   * what libvirt reports, not what was asked. A domain without kvm-tui's plan is refused.
   */
  async repinToPlan(name: string): Promise<string> {
    const info = await readDomain(this.virsh, name);
    if (!info) throw new ActionError(`no domain named ${JSON.stringify(name)} on ${this.uri}`);
    if (info.plan === null) throw new ActionError(`${JSON.stringify(name)} was not defined by kvm-tui: it has no recorded plan to re-pin to`, `pin it yourself: virsh -c ${quoteShellWord(this.uri)} vcpupin ${quoteShellWord(name)} VCPU CPULIST --live`);
    if (!isRunningState(info.state)) throw new ActionError(`${JSON.stringify(name)} is ${info.state}: only a running or paused domain is re-pinned`);
    const plan = info.plan;
    const before = pinDrift(plan, info);
    if (before.length === 0) return `${name}: every thread is already where the plan puts it`;
    const ref = `--domain=${name}`;
    for (const [vcpu, cpus] of plan.vcpus.entries()) {
      if (cpus.length > 0) await this.virsh.run(['vcpupin', ref, '--vcpu', String(vcpu), '--cpulist', formatCpuList(cpus), '--live']);
    }
    if (plan.emulator.length > 0) await this.virsh.run(['emulatorpin', ref, '--cpulist', formatCpuList(plan.emulator), '--live']);
    for (const [index, cpus] of plan.iothreads.entries()) {
      if (cpus.length > 0) await this.virsh.run(['iothreadpin', ref, '--iothread', String(index + 1), '--cpulist', formatCpuList(cpus), '--live']);
    }
    const after = await readDomain(this.virsh, name);
    const still = after ? pinDrift(plan, after) : ['the domain vanished'];
    if (still.length > 0) throw new ActionError(`libvirt did not re-pin ${JSON.stringify(name)}: ${still.join('; ')}`);
    return `${name}: re-pinned ${before.length} thread${before.length === 1 ? '' : 's'} to the plan (read back from libvirt)`;
  }

  /** The ACPI power button; the guest decides (see stop for waiting and undefining). */
  async shutdown(name: string): Promise<void> {
    await this.virsh.run(['shutdown', `--domain=${name}`, '--mode', 'acpi']);
  }

  /** Pulls the plug at once (virsh destroy); the definition stays. */
  async destroy(name: string): Promise<void> {
    await this.virsh.run(['destroy', `--domain=${name}`]);
  }

  async suspend(name: string): Promise<void> {
    await this.virsh.run(['suspend', `--domain=${name}`]);
  }

  async resume(name: string): Promise<void> {
    await this.virsh.run(['resume', `--domain=${name}`]);
  }
}

/** The domain types (qemu, kvm) the host's x86_64 guests can use, from the capabilities. */
export function guestDomainTypes(capabilities: string): Set<string> {
  const root = parseLibvirtXml(capabilities, 'virsh capabilities');
  const types = new Set<string>();
  for (const guest of Array.from(root.getElementsByTagName('guest'))) {
    const arch = Array.from(guest.getElementsByTagName('arch'))[0];
    if (arch?.getAttribute('name') !== 'x86_64') continue;
    for (const domain of Array.from(guest.getElementsByTagName('domain'))) {
      const type = domain.getAttribute('type');
      if (type) types.add(type);
    }
  }
  return types;
}

/** The x86_64 guest's <emulator> path from the capabilities (absolute), or null. */
export function guestEmulator(capabilities: string): string | null {
  const root = parseLibvirtXml(capabilities, 'virsh capabilities');
  for (const guest of Array.from(root.getElementsByTagName('guest'))) {
    const arch = Array.from(guest.getElementsByTagName('arch'))[0];
    if (arch?.getAttribute('name') !== 'x86_64') continue;
    const text = (Array.from(arch.getElementsByTagName('emulator'))[0]?.textContent ?? '').trim();
    if (text.startsWith('/') && !/[\0-\x1f]/.test(text)) return text;
  }
  return null;
}

/** The plan's pins as the XML gives them to libvirt ([] = not pinned: nothing to compare). */
export function planPins(plan: Plan): DomainPlan {
  return {
    vcpus: [...plan.vcpus].sort((a, b) => a.vcpu - b.vcpu).map((vcpu) => (vcpu.hostCpu === null ? [] : [vcpu.hostCpu])),
    emulator: [...plan.emulator],
    iothreads: plan.iothreads.map((io) => [...io.hostCpus]),
  };
}

/** Differences between planned pins and what libvirt reports (empty = as planned). */
export function pinDrift(plan: DomainPlan, info: Pick<DomainInfo, 'vcpuPins' | 'emulatorPins' | 'iothreadPins'>): string[] {
  const out: string[] = [];
  plan.vcpus.forEach((cpus, vcpu) => {
    const live = info.vcpuPins.get(vcpu);
    if (cpus.length > 0 && (!live || !sameCpus(live, cpus))) out.push(`vCPU ${vcpu} on ${live ? formatCpuList(live) : 'nothing'}, planned ${formatCpuList(cpus)}`);
  });
  if (plan.emulator.length > 0 && !sameCpus(info.emulatorPins, plan.emulator)) out.push(`emulator on ${formatCpuList(info.emulatorPins)}, planned ${formatCpuList(plan.emulator)}`);
  plan.iothreads.forEach((cpus, index) => {
    const live = info.iothreadPins.get(index + 1);
    if (cpus.length > 0 && (!live || !sameCpus(live, cpus))) out.push(`iothread ${index + 1} on ${live ? formatCpuList(live) : 'nothing'}, planned ${formatCpuList(cpus)}`);
  });
  return out;
}

function oneLine(text: string): string {
  return text.replace(/^error:\s*/gm, '').replace(/\s+/g, ' ').trim().slice(0, 300);
}
