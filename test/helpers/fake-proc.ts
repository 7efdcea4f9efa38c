/**
 * A fake /proc under a temp root, for the registry, sampler and status readers: a QEMU-like
 * process with named threads whose counters the test sets (stat, schedstat, status, sched) and a
 * /proc/stat with per-CPU counters. Read through HostFs(root), as the real /proc is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FakeThread {
  tid: number;
  comm: string;
  state?: string;
  utime?: number;
  stime?: number;
  lastCpu?: number;
  runNs?: number;
  waitNs?: number;
  nvcsw?: number;
  migrations?: number;
  cpus?: string;
}

/** A /proc/PID/stat line with the fields kvm-tui reads (proc(5) numbering). */
export function statLine(pid: number, comm: string, values: { state?: string; utime?: number; stime?: number; threads?: number; start?: number; cpu?: number }): string {
  const fields: Array<string | number> = Array.from({ length: 50 }, () => 0);
  // fields[i] is proc(5) field i + 3
  fields[0] = values.state ?? 'R';
  fields[14 - 3] = values.utime ?? 0;
  fields[15 - 3] = values.stime ?? 0;
  fields[20 - 3] = values.threads ?? 1;
  fields[22 - 3] = values.start ?? 1000;
  fields[39 - 3] = values.cpu ?? 0;
  return `${pid} (${comm}) ${fields.join(' ')}\n`;
}

export function writeFakeProcess(root: string, pid: number, startTicks: number, threads: FakeThread[], rssKiB = 51200, uid = 1000): void {
  const dir = path.join(root, 'proc', String(pid));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'task'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'stat'), statLine(pid, 'qemu-system-x86', { start: startTicks, threads: threads.length, state: 'S' }));
  fs.writeFileSync(path.join(dir, 'status'), `Name:\tqemu-system-x86\nTgid:\t${pid}\nPid:\t${pid}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nVmRSS:\t${rssKiB} kB\nCpus_allowed_list:\t0-3\nMems_allowed_list:\t0\n`);
  for (const thread of threads) writeFakeThread(root, pid, startTicks, thread);
}

export function writeFakeThread(root: string, pid: number, startTicks: number, thread: FakeThread): void {
  const dir = path.join(root, 'proc', String(pid), 'task', String(thread.tid));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'stat'), statLine(thread.tid, thread.comm, { state: thread.state ?? 'R', utime: thread.utime, stime: thread.stime, start: startTicks, cpu: thread.lastCpu }));
  fs.writeFileSync(path.join(dir, 'comm'), `${thread.comm}\n`);
  fs.writeFileSync(path.join(dir, 'schedstat'), `${thread.runNs ?? 0} ${thread.waitNs ?? 0} 10\n`);
  fs.writeFileSync(
    path.join(dir, 'status'),
    `Name:\t${thread.comm}\nTgid:\t${pid}\nPid:\t${thread.tid}\nCpus_allowed_list:\t${thread.cpus ?? '0-3'}\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t1\nnonvoluntary_ctxt_switches:\t${thread.nvcsw ?? 0}\n`,
  );
  fs.writeFileSync(path.join(dir, 'sched'), `${thread.comm} (${thread.tid}, #threads: 1)\n---\nse.nr_migrations : ${thread.migrations ?? 0}\nnr_switches : 5\n`);
}

/**
 * A kernel thread (a child of kthreadd, PPid 2, as vhost-net's workers were before Linux 6.4):
 * its own process with one task. `ppid` other than 2 makes a user process of the same name.
 */
export function writeFakeKernelThread(root: string, pid: number, comm: string, opts: { ppid?: number; cpus?: string; utime?: number } = {}): void {
  const dir = path.join(root, 'proc', String(pid));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'comm'), `${comm}\n`);
  fs.writeFileSync(path.join(dir, 'stat'), statLine(pid, comm, { state: 'S', utime: opts.utime }));
  fs.writeFileSync(path.join(dir, 'status'), `Name:\t${comm}\nTgid:\t${pid}\nPid:\t${pid}\nPPid:\t${opts.ppid ?? 2}\nCpus_allowed_list:\t${opts.cpus ?? '0-3'}\nMems_allowed_list:\t0\n`);
  writeFakeThread(root, pid, 1000, { tid: pid, comm, cpus: opts.cpus, utime: opts.utime });
  // writeFakeThread wrote Tgid = pid: the kernel thread is its own thread group.
}

/** /proc/stat with per-CPU busy/idle jiffies. */
export function writeFakeProcStat(root: string, cpus: Array<{ busy: number; idle: number }>): void {
  fs.mkdirSync(path.join(root, 'proc'), { recursive: true });
  const lines = ['cpu  0 0 0 0 0 0 0 0 0 0', ...cpus.map((cpu, index) => `cpu${index} ${cpu.busy} 0 0 ${cpu.idle} 0 0 0 0 0 0`), 'intr 0'];
  fs.writeFileSync(path.join(root, 'proc', 'stat'), lines.join('\n') + '\n');
}
