/**
 * The live pane as plain lines (pure: tested as data from recorded snapshots). Top-style: a
 * header, a row per vCPU and iothread, one row for the emulator's threads together, a strip of
 * every host CPU with this VM's CPUs marked (where the pane is too short for all of them: this
 * VM's and the busiest, the rest counted), the event log, and the keys. Every state and mark
 * is a word or a character, never colour alone (--no-color, TERM=dumb).
 */
import { formatCpuList } from '../../src/host/cpulist.js';
import type { DiskRates, ThreadFigures } from '../../src/monitor/rates.js';
import type { MonitorSnapshot } from '../../src/monitor/sampler.js';
import type { VmRecord } from '../../src/registry/vm-record.js';
import type { VmEventLine } from '../../src/run/vm-control.js';
import { fit, widestThatFits, wrapText } from '../../src/shared/text.js';

export interface MonitorLine {
  text: string;
  color?: 'green' | 'yellow' | 'red' | 'cyan' | 'gray';
  bold?: boolean;
  inverse?: boolean;
}

export interface MonitorView {
  record: VmRecord;
  snapshot: MonitorSnapshot | null;
  /** QEMU's run state from QMP; null while unknown. */
  state: string | null;
  events: readonly VmEventLine[];
  /** Per disk I/O rates (empty: no disks, or no reading yet). */
  disks?: readonly DiskRates[];
  /** Once exited: QEMU's last words (or why there are none). */
  exitNote?: string | null;
  /** A one-line answer to the last key (e.g. the re-pin result); null for none. */
  message: string | null;
  /** Waiting for y/n on a force quit. */
  confirmForce: boolean;
  help: boolean;
  /** The help's page shown (when it needs more than one at this size). */
  helpPage?: number;
  width: number;
  height: number;
  nowMs: number;
  /** Plain ASCII sparklines (TERM=dumb). */
  ascii: boolean;
}

const BLOCKS = '▁▂▃▄▅▆▇█';
const ASCII_BLOCKS = '_.-=+*#@';

/** A sparkline of CPU% values (0-100), one character per point, "·"/" " for unknown. */
export function sparkline(values: ReadonlyArray<number | null>, width: number, ascii = false): string {
  const chars = ascii ? ASCII_BLOCKS : BLOCKS;
  const points = values.slice(-width);
  const text = points.map((value) => (value === null ? ' ' : chars[Math.min(chars.length - 1, Math.max(0, Math.round((value / 100) * (chars.length - 1))))]!)).join('');
  return text.padStart(width);
}

function uptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const num = (value: number | null, width: number, digits = 1): string => (value === null ? '-' : value.toFixed(digits)).padStart(width);

export const MONITOR_KEYS = 'p pause/resume  s shutdown  F force quit  r re-pin  q detach  ? help';
/** The keys line once the VM has exited: its controls are gone with it. */
const MONITOR_KEYS_EXITED = 'q leave  ? help';
/** The keys line for narrow terminals (the long one is 67 columns). */
const MONITOR_KEYS_SHORT = 'p pause  s shutdown  F force  r re-pin  q detach  ? help';
const MONITOR_KEYS_SHORTEST = 'p s F r: pause shutdown force re-pin  q ?';

export const MONITOR_HELP = [
  'Keys',
  '  p      pause the guest (QMP stop) / resume it (cont)',
  '  s      ACPI power button: the guest shuts itself down',
  '  F      force quit: QEMU ends at once (asks y/n first)',
  '  r      re-pin: put every thread back on its planned CPUs, checked in /proc',
  '  q d    detach: leave the monitor, the VM keeps running (kvm-tui monitor NAME re-attaches)',
  '  Ctrl-C detach (exit status 130)',
  '  Ctrl-L redraw the screen',
  '  ?      this help (any key closes it; on a small terminal space turns its pages)',
  '',
  'Columns',
  '  cpu%       time on a host CPU per second (100 = one host CPU)',
  '  on         the host CPU the thread last ran on',
  '  wait ms/s  time runnable but waiting for a host CPU: the guest sees it as steal time',
  '  migr/s     moves between host CPUs per second (0 when pinned to one CPU)',
  '  pinned     the CPUs it may run on now; DRIFT when that differs from the plan',
];

/**
 * The help wrapped at `width` (each entry's continuation under its description) in pages of
 * `rows` lines: one page when it all fits, else pages of `rows - 1` under a page line.
 */
export function monitorHelpPages(width: number, rows: number): string[][] {
  const wrapped: string[] = [];
  let indent = '';
  for (const text of MONITOR_HELP) {
    const lead = /^(\s+\S+(?: \S+)*?\s{2,})/.exec(text)?.[1];
    if (lead) indent = ' '.repeat(lead.length);
    else if (!text.startsWith(' ')) indent = '';
    wrapped.push(...(text === '' ? [''] : wrapText(text, Math.max(1, width), indent.length < width - 8 ? indent : '', 'cut', { keepSpacing: true })));
  }
  if (wrapped.length <= rows) return [wrapped];
  const per = Math.max(1, rows - 1);
  const pages: string[][] = [];
  for (let i = 0; i < wrapped.length; i += per) pages.push(wrapped.slice(i, i + per));
  return pages;
}

export function buildMonitorLines(view: MonitorView): MonitorLine[] {
  const { record, snapshot, width } = view;
  const figures = snapshot?.figures ?? null;
  const alive = figures ? figures.alive : true;
  const state = !alive ? 'EXITED' : (view.state ?? 'unknown').toUpperCase();
  const lines: MonitorLine[] = [];
  const spec = record.plan.spec;
  const headline = `${record.name}  [${state}]  ${record.accel}  up ${uptime(view.nowMs - record.startedAtMs)}  pid ${record.pid}  ${spec.vcpus.count} vCPU  ${spec.memory.sizeMiB} MiB${figures?.rssKiB ? `  rss ${Math.round(figures.rssKiB / 1024)} MiB` : ''}${figures?.hugetlbKiB ? `  hugepages ${Math.round(figures.hugetlbKiB / 1024)} MiB` : ''}`;
  lines.push({
    text: fit(headline.length + 17 <= width ? `kvm-tui monitor  ${headline}` : headline, width),
    bold: true,
    color: !alive ? 'red' : state === 'RUNNING' ? 'green' : 'yellow',
  });
  if (view.help) {
    const pages = monitorHelpPages(width, view.height - lines.length);
    const page = Math.min(view.helpPage ?? 0, pages.length - 1);
    for (const text of pages[page]!) lines.push({ text: fit(text, width) });
    if (pages.length > 1) lines.push({ text: fit(`help ${page + 1}/${pages.length}: space for the ${page + 1 < pages.length ? 'next page' : 'first page'}, any other key closes`, width), inverse: true });
    return lines;
  }
  if (!alive) {
    lines.push({ text: fit('The VM has exited: its process is gone. q leaves.', width), color: 'red' });
    for (const said of (view.exitNote ?? '').split('\n').filter(Boolean)) lines.push({ text: fit(said, width), color: 'red' });
  }

  const sparkWidth = Math.max(0, Math.min(30, width - 62));
  const header = `${'thread'.padEnd(14)}${'tid'.padStart(8)}${'cpu%'.padStart(7)}  ${sparkWidth > 0 ? 'history'.padEnd(sparkWidth) + ' ' : ''}${'on'.padStart(3)}${'wait ms/s'.padStart(11)}${'migr/s'.padStart(8)}  pinned`;
  lines.push({ text: fit(header, width), inverse: true });
  const threads = figures?.threads ?? [];
  const rows = [...threads.filter((thread) => thread.role !== 'emulator').map((thread) => ({ label: label(thread), threads: [thread] }))];
  const emulator = threads.filter((thread) => thread.role === 'emulator');
  if (emulator.length > 0) rows.push({ label: 'emulator', threads: emulator });
  for (const row of rows) {
    const first = row.threads[0]!;
    const cpu = row.threads.some((thread) => thread.cpuPercent !== null) ? row.threads.reduce((sum, thread) => sum + (thread.cpuPercent ?? 0), 0) : null;
    const wait = row.threads.some((thread) => thread.waitMsPerSec !== null) ? row.threads.reduce((sum, thread) => sum + (thread.waitMsPerSec ?? 0), 0) : null;
    const migr = row.threads.some((thread) => thread.migrationsPerSec !== null) ? row.threads.reduce((sum, thread) => sum + (thread.migrationsPerSec ?? 0), 0) : null;
    const drift = row.threads.some((thread) => thread.drift);
    const history = sparkWidth > 0 && row.threads.length === 1 ? sparkline(snapshot?.cpuHistory.get(first.tid) ?? [], sparkWidth, view.ascii) + ' ' : sparkWidth > 0 ? ' '.repeat(sparkWidth + 1) : '';
    const pinned = formatCpuList(unique(row.threads.flatMap((thread) => thread.affinity)));
    const planned = formatCpuList(unique(row.threads.flatMap((thread) => thread.plannedAffinity)));
    // DRIFT goes in the label column, where no width cuts it off; the plan follows the pins.
    const text = `${(drift ? `${row.label} DRIFT` : row.label).padEnd(14)}${(row.threads.length === 1 ? String(first.tid) : `${row.threads.length} thr`).padStart(8)}${num(cpu, 7)}  ${history}${(row.threads.length === 1 ? String(first.lastHostCpu) : '').padStart(3)}${num(wait, 11)}${num(migr, 8)}  ${pinned}${drift ? ` (plan ${planned})` : ''}`;
    lines.push({ text: fit(text, width), color: drift ? 'red' : undefined });
  }
  if (!figures) lines.push({ text: fit('reading /proc...', width), color: 'gray' });

  // The answer line and the keys, counted before the strip: they are never pushed off.
  const footer: MonitorLine[] = [];
  if (view.confirmForce) footer.push({ text: fit('Force quit: QEMU ends at once, the guest is not shut down. y to confirm, any other key cancels.', width), color: 'yellow', bold: true });
  else if (view.message) footer.push({ text: fit(view.message, width), color: 'cyan' });
  footer.push({ text: fit(alive ? widestThatFits([MONITOR_KEYS, MONITOR_KEYS_SHORT, MONITOR_KEYS_SHORTEST], width) : MONITOR_KEYS_EXITED, width), inverse: true });

  // Host CPU strip: every host CPU's load; "*" marks CPUs this VM's vCPUs and iothreads are planned on.
  if (figures && figures.hostCpus.length > 0) {
    const mine = new Set(record.threads.filter((thread) => thread.role === 'vcpu' || thread.role === 'iothread').flatMap((thread) => thread.plannedAffinity));
    const cell = (cpu: { cpu: number; busyPercent: number | null }) => `${cpu.cpu}${mine.has(cpu.cpu) ? '*' : ' '}${num(cpu.busyPercent, 4, 0)}%`;
    const cellWidth = Math.max(...figures.hostCpus.map((cpu) => cell(cpu).length)) + 1;
    const perLine = Math.max(1, Math.floor((width - 10) / cellWidth));
    // What is left under the rows, the legend and the disks; a big host's strip (512 CPUs are
    // 74 lines at 80 columns) shows this VM's CPUs and the busiest others, and counts the rest.
    const stripRoom = Math.max(1, view.height - lines.length - 1 - (view.disks ?? []).length - footer.length);
    let shown = figures.hostCpus;
    if (Math.ceil(shown.length / perLine) > stripRoom) {
      const busy = (cpu: { busyPercent: number | null }) => cpu.busyPercent ?? -1;
      const ranked = [...figures.hostCpus].sort((a, b) => Number(mine.has(b.cpu)) - Number(mine.has(a.cpu)) || busy(b) - busy(a) || a.cpu - b.cpu);
      const kept = new Set(ranked.slice(0, stripRoom * perLine).map((cpu) => cpu.cpu));
      shown = figures.hostCpus.filter((cpu) => kept.has(cpu.cpu));
    }
    const cells = shown.map(cell);
    for (let i = 0; i < cells.length; i += perLine) {
      lines.push({ text: fit(`${i === 0 ? 'host CPUs ' : '          '}${cells.slice(i, i + perLine).map((text) => text.padEnd(cellWidth)).join('')}`, width) });
    }
    const hidden = figures.hostCpus.length - shown.length;
    lines.push({ text: fit(`          * = this VM's vCPU/iothread CPUs${hidden > 0 ? `; ${hidden} idler CPUs not shown` : ''}`, width), color: 'gray' });
  }
  for (const [index, disk] of (view.disks ?? []).entries()) {
    lines.push({ text: fit(`${index === 0 ? 'disk I/O  ' : '          '}${disk.device}  read ${bytes(disk.rdBytesPerSec)}/s (${num(disk.rdOpsPerSec, 0, 0).trim()} op/s)  write ${bytes(disk.wrBytesPerSec)}/s (${num(disk.wrOpsPerSec, 0, 0).trim()} op/s)`, width) });
  }

  // Event log: as many of the newest as fit above the footer.
  const room = Math.max(0, view.height - lines.length - footer.length - 1);
  if (room > 0) {
    lines.push({ text: fit('events', width), bold: true });
    const events = view.events.slice(-(room - 1 > 0 ? room - 1 : 0));
    if (events.length === 0 && room > 1) lines.push({ text: fit('  (none yet)', width), color: 'gray' });
    for (const event of events) lines.push({ text: fit(`  ${clockTime(event.atMs)}  ${event.text}`, width) });
  }
  return [...lines, ...footer];
}

function bytes(value: number | null): string {
  if (value === null) return '-';
  if (value >= 1024 * 1024) return `${(value / (1024 * 1024)).toFixed(1)} MiB`;
  if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${Math.round(value)} B`;
}

function label(thread: ThreadFigures): string {
  if (thread.role === 'vhost') return `vhost ${thread.index}`;
  return thread.role === 'vcpu' ? `vCPU ${thread.index}` : `io ${thread.id ?? thread.index}`;
}

function unique(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function clockTime(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}:${String(date.getSeconds()).padStart(2, '0')}`;
}
