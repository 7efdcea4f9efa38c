/**
 * The fleet pane as plain lines (pure; tested as data): a section per libvirt host with its
 * state in words (ok, connecting, DOWN) and when it last answered, a row per domain (state,
 * vCPUs, CPU%, the worst vCPU's steal in ms/s, memory, where its vCPUs are pinned, DRIFT from
 * kvm-tui's plan), an error row for a host that does not answer with libvirt's words and when it
 * is retried, and the keys. Colour only repeats what the words say; names and libvirt's words
 * come from remote daemons and go through printable() (no control character reaches the terminal).
 */
import { formatCpuList } from '../../src/host/cpulist.js';
import type { FleetHostState } from '../../src/monitor/fleet.js';
import { fit, printable } from '../../src/shared/text.js';
import type { MonitorLine } from './monitor-lines.js';

export interface FleetView {
  hosts: readonly FleetHostState[];
  width: number;
  height: number;
  nowMs: number;
  help: boolean;
  message: string | null;
  /** The domain the keys act on (marked `>` in the text, not by colour alone). */
  selected?: { uri: string; name: string } | null;
  /** The force-off question for the selected domain is open. */
  confirmForce?: boolean;
  /** Domains opened with Enter (keys from fleetKey): a row per vCPU, then the helper threads. */
  expanded?: ReadonlySet<string>;
}

/** A domain's identity in the pane (host and name; names never hold NUL). */
export const fleetKey = (uri: string, name: string) => `${uri}\0${name}`;

const rate = (value: number | null | undefined) => (value === null || value === undefined ? '-' : value >= 1024 * 1024 ? `${(value / (1024 * 1024)).toFixed(1)}M` : value >= 1024 ? `${(value / 1024).toFixed(0)}K` : value.toFixed(0));

/** The opened domain: per vCPU where it runs, where the plan puts it, CPU%, steal and wait; then emulator, iothreads and I/O. */
function detailLines(domain: FleetHostState['domains'][number]): MonitorLine[] {
  const { info, rates } = domain;
  const out: MonitorLine[] = [];
  const planned = (cpus: number[] | undefined) => (cpus && cpus.length > 0 ? formatCpuList(cpus) : '-');
  out.push({ text: `      ${'vCPU'.padStart(4)}  ${'on'.padEnd(10)} ${'planned'.padEnd(10)} ${'cpu%'.padStart(6)} ${'steal'.padStart(6)} ${'wait'.padStart(6)}`, color: 'gray' });
  for (const [vcpu, cpus] of [...info.vcpuPins].sort((a, b) => a[0] - b[0])) {
    const figures = rates?.vcpus.find((entry) => entry.index === vcpu);
    const plan = info.plan?.vcpus[vcpu];
    const off = plan !== undefined && plan.length > 0 && formatCpuList(plan) !== formatCpuList(cpus);
    out.push({
      text: `      ${String(vcpu).padStart(4)}  ${fit(formatCpuList(cpus), 10).padEnd(10)} ${fit(planned(plan), 10).padEnd(10)} ${fig(figures?.cpuPercent, 1).padStart(6)} ${fig(figures?.stealMsPerSec, 1).padStart(6)} ${fig(figures?.waitMsPerSec, 1).padStart(6)}${off ? '  DRIFT' : ''}`,
      ...(off ? { color: 'yellow' as const } : {}),
    });
  }
  const helpers = [`emulator on ${info.emulatorPins.length > 0 ? formatCpuList(info.emulatorPins) : '-'} (planned ${planned(info.plan?.emulator)})`];
  for (const [id, cpus] of [...info.iothreadPins].sort((a, b) => a[0] - b[0])) helpers.push(`iothread ${id} on ${formatCpuList(cpus)} (planned ${planned(info.plan?.iothreads[id - 1])})`);
  out.push({ text: `      ${helpers.join('  ')}` });
  out.push({ text: `      disk read/write ${rate(rates?.blockReadBytesPerSec)}/${rate(rates?.blockWriteBytesPerSec)} B/s  net rx/tx ${rate(rates?.netRxBytesPerSec)}/${rate(rates?.netTxBytesPerSec)} B/s${info.plan === null ? '  (not defined by kvm-tui: no plan)' : ''}`, color: 'gray' });
  return out;
}

export const FLEET_KEYS = [
  '  up/down j/k  choose a domain',
  '  Enter  open / close it: per vCPU its CPUs, plan, cpu%, steal, wait; I/O',
  '  p  pause / resume it',
  '  s  ACPI shutdown (the guest decides; F forces)',
  '  F  force it off (virsh destroy; asks y first; it stays defined)',
  '  r  re-pin it to the plan kvm-tui recorded (live; read back from libvirt)',
  '  c  reconnect hosts that are down now',
  '  q  leave (the domains keep running)',
  '  ?  this help (any key closes it)',
  '',
  'columns: cpu% of one host CPU; steal = ms per second the worst vCPU waited for a',
  'host CPU (what the guest sees as steal time); pins = each vCPU\'s host CPUs;',
  'DRIFT = a thread is not where the plan kvm-tui recorded puts it (r puts it back)',
];

/** Every domain of every answering host, in the order the pane shows them: what the cursor walks. */
export function fleetRows(hosts: readonly FleetHostState[]): Array<{ uri: string; name: string; state: string; ours: boolean }> {
  return hosts.flatMap((host) => (host.status === 'ok' ? host.domains.map((domain) => ({ uri: host.uri, name: domain.info.name, state: domain.info.state, ours: domain.info.plan !== null })) : []));
}


const fig = (value: number | null | undefined, digits = 0) => (value === null || value === undefined ? '-' : value.toFixed(digits));

export function buildFleetLines(view: FleetView): MonitorLine[] {
  const width = Math.max(20, view.width);
  const out: MonitorLine[] = [];
  const line = (text: string, style: Omit<MonitorLine, 'text'> = {}) => out.push({ text: fit(text, width), ...style });
  const ok = view.hosts.filter((host) => host.status === 'ok').length;
  const domains = view.hosts.reduce((sum, host) => sum + (host.status === 'ok' ? host.domains.length : 0), 0);
  line(`kvm-tui fleet  ${view.hosts.length} host${view.hosts.length === 1 ? '' : 's'} (${ok} answering)  ${domains} domain${domains === 1 ? '' : 's'}`, { bold: true });
  if (view.help) {
    for (const text of ['keys:', ...FLEET_KEYS]) line(text);
    return out;
  }
  // The name column grows with the terminal up to the longest name (20 at 80 columns).
  const longest = Math.max(6, ...view.hosts.flatMap((host) => host.domains.map((domain) => domain.info.name.length)));
  const nameWidth = Math.max(20, Math.min(longest, width - 60));
  let selectedLine = -1;
  const header = `  ${'domain'.padEnd(nameWidth)} ${'state'.padEnd(9)} ${'vcpu'.padStart(4)} ${'cpu%'.padStart(6)} ${'steal'.padStart(6)} ${'mem MiB'.padStart(8)}  pins`;
  for (const host of view.hosts) {
    const age = host.updatedAtMs === null ? '' : `  updated ${Math.max(0, Math.round((view.nowMs - host.updatedAtMs) / 1000))} s ago`;
    const status = host.status === 'ok' ? 'ok' : host.status === 'connecting' ? 'connecting...' : 'DOWN';
    line(`${printable(host.uri)}  ${status}${host.status === 'ok' ? `  ${host.domains.length} domain${host.domains.length === 1 ? '' : 's'}` : ''}${age}`, { bold: true, color: host.status === 'down' ? 'red' : host.status === 'ok' ? 'green' : 'yellow' });
    if (host.status === 'down') {
      // The retry first: a long libvirt message is what gets cut at the edge.
      const retry = host.retryAtMs === null ? '' : `retry in ${Math.max(0, Math.ceil((host.retryAtMs - view.nowMs) / 1000))} s: `;
      line(`  ! ${retry}${printable(host.error ?? 'no answer')}`, { color: 'red' });
      continue;
    }
    if (host.status === 'connecting') continue;
    if (host.domains.length === 0) {
      line('  no domains', { color: 'gray' });
      continue;
    }
    line(header, { color: 'gray' });
    for (const domain of host.domains) {
      const rates = domain.rates;
      const steal = rates && rates.vcpus.length > 0 && rates.vcpus.every((vcpu) => vcpu.stealMsPerSec !== null) ? Math.max(...rates.vcpus.map((vcpu) => vcpu.stealMsPerSec ?? 0)) : null;
      const pins = [...domain.info.vcpuPins.values()].map((cpus) => formatCpuList(cpus)).join(' ');
      const drift = domain.drift.length > 0 ? `  DRIFT: ${printable(domain.drift[0]!)}` : '';
      const state = domain.info.state === 'running' ? 'running' : domain.info.state === 'shut off' ? 'off' : domain.info.state;
      const chosen = view.selected?.uri === host.uri && view.selected.name === domain.info.name;
      if (chosen) selectedLine = out.length;
      line(
        `${chosen ? '> ' : '  '}${fit(printable(domain.info.name), nameWidth)} ${fit(printable(state), 9).padEnd(9)} ${String(domain.info.vcpuPins.size).padStart(4)} ${fig(rates?.cpuPercent, 1).padStart(6)} ${fig(steal, 1).padStart(6)} ${(rates?.memoryKiB ? String(Math.round(rates.memoryKiB / 1024)) : '-').padStart(8)}  ${pins}${drift}`,
        { ...(domain.drift.length > 0 ? { color: 'yellow' as const } : {}), ...(chosen ? { inverse: true } : {}) },
      );
      if (view.expanded?.has(fleetKey(host.uri, domain.info.name))) for (const detail of detailLines(domain)) line(detail.text, detail.color ? { color: detail.color } : {});
    }
  }
  // Keys at the bottom, the message above them; never taller than the terminal.
  const footer: MonitorLine[] = [];
  if (view.confirmForce && view.selected) {
    footer.push({ text: fit(`force ${printable(view.selected.name)} off now (virsh destroy, like pulling the plug)? y / any other key: no`, width), color: 'red', bold: true });
  } else if (view.message) footer.push({ text: fit(printable(view.message), width), color: 'cyan' });
  footer.push({ text: fit('q quit  j/k  Enter open  p pause  s stop  F force  r re-pin  c reconnect  ? help', width), color: 'gray' });
  return [...window(out, selectedLine, Math.max(2, view.height - footer.length), width), ...footer];
}

/**
 * The body cut to `room` lines, the title kept, scrolled so the chosen domain stays in view; a
 * line says how many more there are and where.
 */
function window(out: MonitorLine[], selected: number, room: number, width: number): MonitorLine[] {
  if (out.length <= room) return out;
  const [title, ...rest] = out;
  const space = room - 2; // the title and one line saying what is cut
  const target = selected < 1 ? 0 : selected - 1;
  const start = Math.max(0, Math.min(rest.length - space, target - Math.floor(space / 2)));
  const shown = rest.slice(start, start + space);
  const above = start;
  const below = rest.length - start - shown.length;
  const note = `... ${[above > 0 ? `${above} above` : '', below > 0 ? `${below} below` : ''].filter(Boolean).join(', ')} (j/k scrolls; a taller terminal shows more)`;
  return [title!, ...shown, { text: fit(note, width), color: 'gray' }];
}
