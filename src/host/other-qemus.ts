/**
 * QEMU processes on this host that kvm-tui did not start: libvirt's domains, a hand-run QEMU,
 * another tool's VMs. A plan must not put a vCPU where one of their pinned threads runs, even
 * though kvm-tui's registry does not know them. From /proc only (a non-recording HostFs): a
 * process whose comm is `qemu-system-*` or `qemu-kvm`, each thread's Cpus_allowed_list; a
 * thread allowed on fewer than all online CPUs (and not just on the default set every process
 * gets, which leaves out isolcpus) holds them; a process whose threads may all run anywhere is
 * named as floating (it may run on the plan's CPUs, and nothing can be held for it).
 * A process or thread that ends while it is read is skipped, and so is a zombie.
 */
import { sameCpus } from './cpulist.js';
import type { HostFs } from './host-fs.js';
import { parseTaskStatus } from './proc-task.js';
import { printable } from '../shared/text.js';

export interface OtherQemus {
  /** CPU -> who holds it: `web (QEMU pid 4242)`. */
  held: Map<number, string>;
  /** Processes with no pinned thread, as `web (QEMU pid 4242)`. */
  floating: string[];
}

const QEMU_COMM_RE = /^(qemu-system-|qemu-kvm$)/;
/** More QEMU threads than any VM has: a bound on what one hostile process costs to read. */
const MAX_THREADS = 4096;

/** The guest's name from a QEMU command line (`-name guest=web,debug-threads=on` or `-name web`). */
export function qemuGuestName(cmdline: string): string | null {
  const args = cmdline.split('\0');
  const at = args.findIndex((arg) => arg === '-name' || arg === '--name');
  const value = at >= 0 ? args[at + 1] : undefined;
  if (!value) return null;
  // QEMU's option syntax: ",," is a literal comma; the first part is the name unless keyed.
  const parts = value.replace(/,,/g, '\u0000').split(',').map((part) => part.replace(/\u0000/g, ','));
  const guest = parts.find((part) => part.startsWith('guest='));
  const name = guest ? guest.slice('guest='.length) : parts[0]!.includes('=') ? null : parts[0]!;
  return name ? printable(name).slice(0, 64) : null;
}

export function readOtherQemus(procFs: HostFs, online: readonly number[], ownPids: ReadonlySet<number>): OtherQemus {
  const held = new Map<number, string>();
  const floating: string[] = [];
  // What a process gets when nobody pins it: init's affinity (all online CPUs, or without the
  // isolcpus ones, which the kernel leaves out of every default affinity). That is not a pin.
  const initAllowed = parseTaskStatus(procFs.read('/proc/1/status') ?? '')?.cpusAllowed ?? null;
  const unpinned = (allowed: readonly number[]) => online.every((cpu) => allowed.includes(cpu)) || (initAllowed !== null && sameCpus(allowed, initAllowed));
  for (const entry of procFs.list('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (ownPids.has(pid)) continue;
    const comm = procFs.readLine(`/proc/${pid}/comm`);
    if (comm === null || !QEMU_COMM_RE.test(comm)) continue;
    // A zombie (killed, not yet reaped by its parent) keeps its status file but runs nothing.
    const state = /^State:\s+(\S)/m.exec(procFs.read(`/proc/${pid}/status`) ?? '')?.[1];
    if (state === undefined || state === 'Z' || state === 'X') continue;
    const name = qemuGuestName(procFs.read(`/proc/${pid}/cmdline`) ?? '');
    const who = `${name ?? comm} (QEMU pid ${pid})`;
    let pinned = false;
    for (const tid of procFs.list(`/proc/${pid}/task`).slice(0, MAX_THREADS)) {
      const status = parseTaskStatus(procFs.read(`/proc/${pid}/task/${tid}/status`) ?? '');
      if (!status) continue;
      if (unpinned(status.cpusAllowed)) continue;
      pinned = true;
      for (const cpu of status.cpusAllowed) if (!held.has(cpu) && online.includes(cpu)) held.set(cpu, who);
    }
    if (!pinned) floating.push(who);
  }
  return { held, floating };
}
