/**
 * The domains of a libvirt host as kvm-tui needs them: state, where each vCPU, the emulator and
 * each iothread may run (live pins for running domains), the plan kvm-tui recorded for domains it
 * defined (a metadata element, so drift can be told), and `virsh domstats` figures. Parsers are
 * pure over virsh's text; `readDomains` does the calls.
 *
 * Held CPUs: a running or paused domain holds the CPUs its threads are pinned to. A thread whose
 * affinity spans every online host CPU is unpinned ("floating"): it holds nothing in particular
 * but runs anywhere, which the planner is told as a note, not as a taken CPU.
 */
import { formatCpuList, parseCpuList } from '../host/cpulist.js';
import type { Virsh } from '../run/virsh.js';
import { parseEmulatorpin, parseIothreadinfo, parseVcpupinTable } from '../run/virsh.js';
import { parseLibvirtXml } from './libvirt-host.js';

/** Namespace of the metadata element kvm-tui writes into the domains it defines. */
export const KVM_TUI_METADATA_URI = 'https://kvm-tui.dev/xmlns/plan/1';
export const KVM_TUI_METADATA_KEY = 'kvmtui';

export interface DomainPlan {
  vcpus: number[][];
  emulator: number[];
  iothreads: number[][];
}

export interface DomainInfo {
  name: string;
  /** "running", "paused", "shut off", ... as virsh says it. */
  state: string;
  vcpuPins: Map<number, number[]>;
  emulatorPins: number[];
  iothreadPins: Map<number, number[]>;
  /** The plan kvm-tui recorded when it defined the domain; null for domains it did not define. */
  plan: DomainPlan | null;
}

/** The metadata element: per-vCPU cpulists joined by "|" (cpulists never contain it). */
export function formatPlanMetadata(plan: DomainPlan): string {
  const lists = (sets: number[][]) => sets.map((cpus) => formatCpuList(cpus)).join('|');
  return `<plan vcpus='${lists(plan.vcpus)}' emulator='${formatCpuList(plan.emulator)}' iothreads='${lists(plan.iothreads)}'/>`;
}

export function parsePlanMetadata(text: string): DomainPlan | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith('<plan')) return null;
  try {
    const el = parseLibvirtXml(trimmed, 'kvm-tui metadata');
    const lists = (value: string | null) => (value ? value.split('|').map((part) => parseCpuList(part)) : []);
    return { vcpus: lists(el.getAttribute('vcpus')), emulator: parseCpuList(el.getAttribute('emulator') ?? ''), iothreads: lists(el.getAttribute('iothreads')) };
  } catch {
    return null;
  }
}

export function isRunningState(state: string): boolean {
  return state === 'running' || state === 'paused' || state === 'in shutdown' || state === 'pmsuspended' || state === 'idle';
}

/** Reads every domain with its pins (live for running ones, the configuration for others). */
export async function readDomains(virsh: Virsh): Promise<DomainInfo[]> {
  const names = await virsh.listAllNames();
  const out: DomainInfo[] = [];
  for (const name of names) {
    const info = await readDomain(virsh, name);
    if (info) out.push(info);
  }
  return out;
}

/**
 * One domain, or null when it vanished between the listing and the reads. A busy host's
 * domains come and go while they are read (another tool undefines one, a guest powers off): a
 * read that fails is retried once against the domain's new state, and a domain gone is skipped.
 */
export async function readDomain(virsh: Virsh, name: string): Promise<DomainInfo | null> {
  for (let attempt = 0; ; attempt += 1) {
    const state = await virsh.domainState(name);
    if (state === null) return null;
    try {
      return await readDomainIn(virsh, name, state);
    } catch (error) {
      const now = await virsh.domainState(name);
      if (now === null) return null;
      if (attempt > 0 || now === state) throw error;
    }
  }
}

async function readDomainIn(virsh: Virsh, name: string, state: string): Promise<DomainInfo> {
  const mode = isRunningState(state) ? '--live' : '--config';
  const ref = `--domain=${name}`;
  const vcpuPins = parseVcpupinTable(await virsh.run(['vcpupin', ref, mode]));
  const emulatorText = await virsh.run(['emulatorpin', ref, mode]);
  const iothreadText = await virsh.tryRun(['iothreadinfo', ref, mode]);
  const metadata = await virsh.tryRun(['metadata', ref, '--uri', KVM_TUI_METADATA_URI, '--config']);
  return {
    name,
    state,
    vcpuPins,
    emulatorPins: parseEmulatorpin(emulatorText),
    iothreadPins: iothreadText.ok ? parseIothreadinfo(iothreadText.stdout) : new Map(),
    plan: metadata.ok ? parsePlanMetadata(metadata.stdout) : null,
  };
}

export interface HeldByDomains {
  /** CPU -> the domain pinned to it. */
  held: Map<number, string>;
  /** Running domains with a thread free to run on every host CPU. */
  floating: string[];
}

/**
 * CPUs held by running domains (other than `except`); `online` is the host's online CPU list, to
 * tell a pin from "anywhere".
 */
export function heldByDomains(domains: DomainInfo[], online: number[], except?: string): HeldByDomains {
  const held = new Map<number, string>();
  const floating = new Set<string>();
  const all = online.length;
  for (const domain of domains) {
    if (domain.name === except || !isRunningState(domain.state)) continue;
    const everywhere = (cpus: number[]) => cpus.length >= all && online.every((cpu) => cpus.includes(cpu));
    // A floating vCPU is what the note is about (it may land on the plan's CPUs); an emulator
    // or iothread allowed everywhere holds nothing and is not worth a warning.
    if ([...domain.vcpuPins.values()].some(everywhere)) floating.add(domain.name);
    for (const cpus of [...domain.vcpuPins.values(), domain.emulatorPins, ...domain.iothreadPins.values()]) {
      if (everywhere(cpus)) continue;
      for (const cpu of cpus) if (!held.has(cpu)) held.set(cpu, domain.name);
    }
  }
  return { held, floating: [...floating] };
}

export interface DomainStats {
  name: string;
  /** state.state: 1 running, 3 paused, 5 shut off, ... */
  stateCode: number | null;
  /** cpu.time, ns (all threads). */
  cpuTimeNs: number | null;
  vcpus: Array<{ index: number; state: number | null; timeNs: number | null; waitNs: number | null; delayNs: number | null }>;
  balloonCurrentKiB: number | null;
  balloonRssKiB: number | null;
  block: Array<{ name: string; rdBytes: number | null; wrBytes: number | null }>;
  net: Array<{ name: string; rxBytes: number | null; txBytes: number | null }>;
}

/**
 * `virsh domstats` output: "Domain: 'NAME'" then "  key=value" lines. The name is what lies
 * between the first and the last quote (a name may hold quotes; libvirt refuses newlines).
 */
export function parseDomstats(text: string): DomainStats[] {
  const out: DomainStats[] = [];
  let current: Map<string, string> | null = null;
  let name = '';
  const flush = () => {
    if (current) out.push(statsFrom(name, current));
  };
  for (const line of text.split('\n')) {
    const head = /^Domain: '(.*)'\s*$/.exec(line);
    if (head) {
      flush();
      name = head[1]!;
      current = new Map();
      continue;
    }
    const pair = /^\s+([\w.\-]+)=(.*)$/.exec(line);
    if (pair && current) current.set(pair[1]!, pair[2]!);
  }
  flush();
  return out;
}

function statsFrom(name: string, values: Map<string, string>): DomainStats {
  const num = (key: string): number | null => {
    const value = values.get(key);
    if (value === undefined || !/^-?\d+(\.\d+)?$/.test(value)) return null;
    return Number(value);
  };
  const vcpuCount = num('vcpu.current') ?? 0;
  const vcpus = [];
  for (let index = 0; index < Math.min(vcpuCount, 4096); index++) {
    vcpus.push({ index, state: num(`vcpu.${index}.state`), timeNs: num(`vcpu.${index}.time`), waitNs: num(`vcpu.${index}.wait`), delayNs: num(`vcpu.${index}.delay`) });
  }
  const block = [];
  for (let index = 0; index < Math.min(num('block.count') ?? 0, 1024); index++) {
    block.push({ name: values.get(`block.${index}.name`) ?? String(index), rdBytes: num(`block.${index}.rd.bytes`), wrBytes: num(`block.${index}.wr.bytes`) });
  }
  const net = [];
  for (let index = 0; index < Math.min(num('net.count') ?? 0, 1024); index++) {
    net.push({ name: values.get(`net.${index}.name`) ?? String(index), rxBytes: num(`net.${index}.rx.bytes`), txBytes: num(`net.${index}.tx.bytes`) });
  }
  return { name, stateCode: num('state.state'), cpuTimeNs: num('cpu.time'), vcpus, balloonCurrentKiB: num('balloon.current'), balloonRssKiB: num('balloon.rss'), block, net };
}

/** libvirt's virDomainState numbers as virsh words. */
export function stateName(code: number | null): string {
  return ['no state', 'running', 'blocked', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended'][code ?? -1] ?? 'unknown';
}

export interface DomainRates {
  name: string;
  state: string;
  /** All of the domain's CPU time over the interval, % of one host CPU. */
  cpuPercent: number | null;
  vcpus: Array<{ index: number; cpuPercent: number | null; stealMsPerSec: number | null; waitMsPerSec: number | null }>;
  rssKiB: number | null;
  memoryKiB: number | null;
  blockReadBytesPerSec: number | null;
  blockWriteBytesPerSec: number | null;
  netRxBytesPerSec: number | null;
  netTxBytesPerSec: number | null;
}

/** Rates between two domstats readings `ms` apart (null where there is no earlier reading). */
export function domainRates(previous: DomainStats | undefined, current: DomainStats, ms: number): DomainRates {
  const rate = (a: number | null | undefined, b: number | null) => (a === null || a === undefined || b === null || ms <= 0 || b < a ? null : ((b - a) * 1000) / ms);
  const pct = (a: number | null | undefined, b: number | null) => {
    const perSec = rate(a, b);
    return perSec === null ? null : Math.round(perSec / 1e7 * 10) / 10; // ns/s -> % of a CPU
  };
  const msPerSec = (a: number | null | undefined, b: number | null) => {
    const perSec = rate(a, b);
    return perSec === null ? null : Math.round(perSec / 1e5) / 10; // ns/s -> ms/s
  };
  const sum = (items: Array<number | null>) => (items.length === 0 || items.some((v) => v === null) ? null : items.reduce<number>((s, v) => s + (v ?? 0), 0));
  const before = previous ?? null;
  return {
    name: current.name,
    state: stateName(current.stateCode),
    cpuPercent: pct(before?.cpuTimeNs, current.cpuTimeNs),
    vcpus: current.vcpus.map((vcpu) => {
      const old = before?.vcpus[vcpu.index];
      return { index: vcpu.index, cpuPercent: pct(old?.timeNs, vcpu.timeNs), stealMsPerSec: msPerSec(old?.delayNs, vcpu.delayNs), waitMsPerSec: msPerSec(old?.waitNs, vcpu.waitNs) };
    }),
    rssKiB: current.balloonRssKiB,
    memoryKiB: current.balloonCurrentKiB,
    blockReadBytesPerSec: rate(before ? sum(before.block.map((b) => b.rdBytes)) : null, sum(current.block.map((b) => b.rdBytes))),
    blockWriteBytesPerSec: rate(before ? sum(before.block.map((b) => b.wrBytes)) : null, sum(current.block.map((b) => b.wrBytes))),
    netRxBytesPerSec: rate(before ? sum(before.net.map((n) => n.rxBytes)) : null, sum(current.net.map((n) => n.rxBytes))),
    netTxBytesPerSec: rate(before ? sum(before.net.map((n) => n.txBytes)) : null, sum(current.net.map((n) => n.txBytes))),
  };
}
