/**
 * The VMs kvm-tui started on this host, found from their runtime directories
 * (runtimeBase/<slug>/vm.json). A record counts only while its process is the one launch
 * started: /proc/PID exists, is not a zombie, has the start time the record saved (a pid reused
 * by another program is not our VM) and belongs to this user. Records are trusted only from
 * directories this user (or root) owns, none of them a symlink: in the /tmp fallback another
 * user could otherwise plant a record that points `stop --force` at any process.
 *
 * A directory whose VM is gone is stale and removed, file by file, only when it holds nothing
 * but kvm-tui's own files and no launch of it is in progress.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostFs } from '../host/host-fs.js';
import { parseTaskStat, type TaskStat } from '../host/proc-task.js';
import { runDirPaths, runtimeBase, vmRunDir, type RunDirOptions } from '../shared/vm-paths.js';
import { heldCpus, parseVmRecord, type VmRecord } from './vm-record.js';

/** Files a run dir may hold; a directory with anything else is left alone. */
const RUN_DIR_FILES = new Set(Object.values(runDirPaths('')).map((file) => path.basename(file)).filter(Boolean));

export interface RegistryOptions extends RunDirOptions {
  /** The live /proc (never a captured root: the registry is about this machine's processes). */
  procFs: HostFs;
}

export interface RegisteredVm {
  record: VmRecord;
  /** The QEMU process is the one launch started and has not exited. */
  alive: boolean;
}

/** /proc/PID/stat parsed, or null when the process is gone. */
function processStat(pid: number, procFs: HostFs): TaskStat | null {
  return parseTaskStat(procFs.read(`/proc/${pid}/stat`) ?? '');
}

/** /proc/PID/stat field 22 (start time in clock ticks after boot), or null. */
export function processStartTicks(pid: number, procFs: HostFs): number | null {
  return processStat(pid, procFs)?.startTicks ?? null;
}

/** The process exists and has not exited (a zombie waits only to be reaped). */
export function processRuns(pid: number, procFs: HostFs): boolean {
  const stat = processStat(pid, procFs);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}

/** The real uid of a process (/proc/PID/status "Uid:"), or null. */
function processUid(pid: number, procFs: HostFs): number | null {
  const match = /^Uid:\s+(\d+)/m.exec(procFs.read(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) : null;
}

/**
 * Whether the record's process is still the QEMU launch started: alive (not a zombie), the same
 * start time (pid not reused), and, for a non-root user, their own process.
 */
export function isRecordAlive(record: VmRecord, procFs: HostFs, uid: number | null = null): boolean {
  // One read of the stat file: alive, and the same start time (the pid not reused).
  const stat = processStat(record.pid, procFs);
  if (stat === null || stat.state === 'Z' || stat.state === 'X' || stat.startTicks !== record.startTicks) return false;
  if (uid !== null && uid !== 0 && processUid(record.pid, procFs) !== uid) return false;
  return true;
}

/**
 * Every VM with a record under this user's runtime base, by name. Stale directories (their VM
 * gone) are removed on the way when `clean` is set (the default).
 */
export function listVms(options: RegistryOptions & { clean?: boolean }): RegisteredVm[] {
  const base = runtimeBase(options);
  const uid = options.uid ?? 0;
  if (!trustedDir(base, uid) || !trustedDir(path.dirname(base), uid)) return [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(base, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: RegisteredVm[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(base, entry.name);
    const record = readRecord(dir, uid);
    const alive = record !== null && isRecordAlive(record, options.procFs, uid);
    if (record && alive) out.push({ record, alive });
    else if (options.clean !== false) removeStaleRunDir(dir, uid, options.procFs);
  }
  return out.sort((a, b) => a.record.name.localeCompare(b.record.name));
}

/** The running VM of that exact name, or null. */
export function findVm(name: string, options: RegistryOptions): RegisteredVm | null {
  const uid = options.uid ?? 0;
  const dir = vmRunDir(name, options);
  if (!trustedDir(path.dirname(dir), uid)) return null;
  const record = readRecord(dir, uid);
  if (record === null || record.name !== name || !isRecordAlive(record, options.procFs, uid)) return null;
  return { record, alive: true };
}

/** CPUs held by running VMs (starting ones included), for planVm({ taken }): cpu -> VM name. */
export function takenCpus(vms: readonly RegisteredVm[], exceptName?: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const vm of vms) {
    if (!vm.alive || vm.record.name === exceptName) continue;
    for (const [cpu, name] of heldCpus(vm.record)) if (!out.has(cpu)) out.set(cpu, name);
  }
  return out;
}

/** A real directory (not a symlink) owned by this user or root. */
export function trustedDir(dir: string, uid: number): boolean {
  try {
    const stat = fs.lstatSync(dir);
    return stat.isDirectory() && (stat.uid === uid || stat.uid === 0);
  } catch {
    return false;
  }
}

/** The record in a run dir, when the dir and the file are this user's and the record names that dir. */
export function readRecord(dir: string, uid: number): VmRecord | null {
  if (!trustedDir(dir, uid)) return null;
  try {
    const file = runDirPaths(dir).vmRecord;
    const stat = fs.lstatSync(file);
    if (!stat.isFile() || (stat.uid !== uid && stat.uid !== 0) || stat.size > 16 * 1024 * 1024) return null;
    const record = parseVmRecord(fs.readFileSync(file, 'utf8'));
    return record && record.runDir === dir ? record : null;
  } catch {
    return null;
  }
}

/** The pid in a launch lock, when that process still runs. */
export function liveLockHolder(dir: string, signalZero: (pid: number) => boolean): number | null {
  try {
    const pid = Number(fs.readFileSync(runDirPaths(dir).launchLock, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 && signalZero(pid) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Removes a run dir whose VM is gone: only a real directory owned by us or root, holding only
 * kvm-tui's own files (regular files and sockets, each unlinked by name, then rmdir, which fails
 * if anything appeared meanwhile), and not while a launch holds it or its record's process lives.
 */
export function removeStaleRunDir(dir: string, uid: number, procFs: HostFs | null = null): boolean {
  try {
    if (!trustedDir(dir, uid)) return false;
    if (liveLockHolder(dir, (pid) => fs.existsSync(`/proc/${pid}`)) !== null) return false;
    if (procFs) {
      const record = readRecord(dir, uid);
      if (record && isRecordAlive(record, procFs, uid)) return false;
    }
    const names = fs.readdirSync(dir);
    const ours = (name: string) => RUN_DIR_FILES.has(name) || /^\.[^/]+\.tmp$/.test(name);
    if (names.some((name) => !ours(name))) return false;
    for (const name of names) {
      const file = path.join(dir, name);
      const stat = fs.lstatSync(file);
      if (!stat.isFile() && !stat.isSocket() && !stat.isSymbolicLink()) return false;
      fs.unlinkSync(file);
    }
    fs.rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}
