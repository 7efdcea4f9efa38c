/**
 * The VMs kvm-tui started on this host, found from their runtime directories
 * (runtimeBase/<slug>/vm.json). A record counts only while its process is the one launch
 * started: /proc/PID exists, is not a zombie, and has the start time the record saved (a pid
 * reused by another program is not our VM). A directory whose VM is gone is stale and removed
 * (only directories that look like ours: a vm.json or nothing but our own files).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostFs } from '../host/host-fs.js';
import { parseTaskStat } from '../host/proc-task.js';
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

/** /proc/PID/stat field 22 (start time in clock ticks after boot), or null. */
export function processStartTicks(pid: number, procFs: HostFs): number | null {
  const text = procFs.read(`/proc/${pid}/stat`);
  if (text === null) return null;
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const value = Number(text.slice(close + 2).split(' ')[19]);
  return Number.isInteger(value) ? value : null;
}

/**
 * Every VM with a record under this user's runtime base, alive ones first by name. Stale
 * directories (their VM gone) are removed on the way when `clean` is set (the default).
 */
export function listVms(options: RegistryOptions & { clean?: boolean }): RegisteredVm[] {
  const base = runtimeBase(options);
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
    const record = readRecord(dir);
    const alive = record !== null && record.runDir === dir && isRecordAlive(record, options.procFs);
    if (record && alive) out.push({ record, alive });
    else if (options.clean !== false) removeStaleRunDir(dir, options.uid ?? 0);
  }
  return out.sort((a, b) => a.record.name.localeCompare(b.record.name));
}

/** The running VM of that exact name, or null. */
export function findVm(name: string, options: RegistryOptions): RegisteredVm | null {
  const dir = vmRunDir(name, options);
  const record = readRecord(dir);
  if (record === null || record.name !== name || !isRecordAlive(record, options.procFs)) return null;
  return { record, alive: true };
}

/** CPUs held by running VMs, for planVm({ taken }): cpu -> VM name. */
export function takenCpus(vms: readonly RegisteredVm[], exceptName?: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const vm of vms) {
    if (!vm.alive || vm.record.name === exceptName) continue;
    for (const [cpu, name] of heldCpus(vm.record)) if (!out.has(cpu)) out.set(cpu, name);
  }
  return out;
}

/** Whether the record's process is still the QEMU launch started (not exited, pid not reused). */
export function isRecordAlive(record: VmRecord, procFs: HostFs): boolean {
  const text = procFs.read(`/proc/${record.pid}/stat`);
  const stat = text === null ? null : parseTaskStat(text);
  if (stat === null || stat.state === 'Z' || stat.state === 'X') return false;
  return processStartTicks(record.pid, procFs) === record.startTicks;
}

function readRecord(dir: string): VmRecord | null {
  try {
    const file = runDirPaths(dir).vmRecord;
    const stat = fs.lstatSync(file);
    if (!stat.isFile() || stat.size > 16 * 1024 * 1024) return null;
    return parseVmRecord(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Removes a run dir whose VM is gone: only a real directory (not a symlink) owned by us or
 * root, holding nothing but the files kvm-tui puts there.
 */
export function removeStaleRunDir(dir: string, uid: number): boolean {
  try {
    const stat = fs.lstatSync(dir);
    if (!stat.isDirectory() || (stat.uid !== uid && stat.uid !== 0)) return false;
    const names = fs.readdirSync(dir);
    if (names.some((name) => !RUN_DIR_FILES.has(name) && !/^\.[^/]+\.tmp$/.test(name))) return false;
    fs.rmSync(dir, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
}
