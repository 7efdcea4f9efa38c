/**
 * Where a VM's runtime files live, as pure path maths (no fs): the per-user base, the per-VM
 * directory and the files in it. src/run/run-dir.ts creates and checks the directory.
 *
 * - root: /run/kvm-tui/vms/<slug> (what system services use; tmpfs, gone at reboot)
 * - others: $XDG_RUNTIME_DIR/kvm-tui/vms/<slug>, or /tmp/kvm-tui-<uid>/vms/<slug> when the
 *   session has no runtime dir (no systemd/logind here).
 *
 * The slug is a readable ASCII part of the name plus a hash of the exact name: a hostile name
 * (spaces, quotes, "../", unicode) never reaches a path, and two names that clean up to the same
 * ASCII ("vm 1" / "vm_1") still get different directories.
 */
import { sha256Hex } from './sha256.js';
import * as path from 'node:path';
import { ActionError } from '../errors.js';

/** sun_path is 108 bytes including the terminating NUL. */
export const UNIX_SOCKET_PATH_MAX = 107;

const SLUG_TEXT_MAX = 24;

/** @example vmSlug("web 1") // "web-1-3f2a9c0d" */
export function vmSlug(name: string): string {
  const hash = sha256Hex(name).slice(0, 8);
  const text = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, SLUG_TEXT_MAX)
    .replace(/[-.]+$/g, '')
    .toLowerCase();
  return text === '' ? `vm-${hash}` : `${text}-${hash}`;
}

export interface RunDirOptions {
  env?: NodeJS.ProcessEnv;
  /** Effective uid (the composition root's identity); 0 picks /run/kvm-tui. */
  uid: number | null;
}

/** The directory holding every VM's run dir for this user. */
export function runtimeBase(options: RunDirOptions): string {
  const env = options.env ?? {};
  const uid = options.uid ?? 0;
  if (uid === 0) return '/run/kvm-tui/vms';
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'kvm-tui', 'vms');
  return `/tmp/kvm-tui-${uid}/vms`;
}

export function vmRunDir(name: string, options: RunDirOptions): string {
  return path.join(runtimeBase(options), vmSlug(name));
}

export interface RunDirPaths {
  dir: string;
  /** QMP for short exchanges (launch, status, stop, the pin script): connect, ask, leave. */
  qmpSocket: string;
  /**
   * A second QMP monitor, held by the live monitor for its events and per-tick queries. QMP
   * serves one client per socket at a time, so a monitor holding the first would block every
   * `status` and `stop` while it watches.
   */
  monitorSocket: string;
  pidFile: string;
  serialLog: string;
  /** QEMU's own stdout/stderr (its error text on a failed start). */
  qemuLog: string;
  /** The exact argv as a runnable script (what launch ran, for a user to rerun or read). */
  launchScript: string;
  /** The registry record: the spec, the plan (pins), the pid and its start time, thread ids. */
  vmRecord: string;
  /** Held (exclusive create, the launcher's pid inside) while a launch of this VM runs. */
  launchLock: string;
  /** swtpm's control socket, which QEMU's TPM connects to (a VM with a TPM). */
  tpmSocket: string;
  /** swtpm's pid file and log. */
  tpmPidFile: string;
  tpmLog: string;
}

export function runDirPaths(dir: string): RunDirPaths {
  return {
    dir,
    qmpSocket: path.join(dir, 'qmp.sock'),
    monitorSocket: path.join(dir, 'monitor.sock'),
    pidFile: path.join(dir, 'qemu.pid'),
    serialLog: path.join(dir, 'serial.log'),
    qemuLog: path.join(dir, 'qemu.log'),
    launchScript: path.join(dir, 'launch.sh'),
    vmRecord: path.join(dir, 'vm.json'),
    launchLock: path.join(dir, 'launch.lock'),
    tpmSocket: path.join(dir, 'swtpm.sock'),
    tpmPidFile: path.join(dir, 'swtpm.pid'),
    tpmLog: path.join(dir, 'swtpm.log'),
  };
}

/**
 * Where a VM's persistent state lives (what must outlive a stop, unlike the run dir): the UEFI
 * variable store (boot entries, secure boot keys) and the TPM's state (BitLocker's keys are
 * sealed to it). root: /var/lib/kvm-tui/vms/<slug>; others: $XDG_STATE_HOME/kvm-tui/vms/<slug>,
 * else ~/.local/state/kvm-tui/vms/<slug>.
 */
export function vmStateDir(name: string, options: RunDirOptions): string {
  const env = options.env ?? {};
  const uid = options.uid ?? 0;
  if (uid === 0) return path.join('/var/lib/kvm-tui/vms', vmSlug(name));
  const xdg = env.XDG_STATE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'kvm-tui', 'vms', vmSlug(name));
  const home = env.HOME;
  if (home && path.isAbsolute(home)) return path.join(home, '.local', 'state', 'kvm-tui', 'vms', vmSlug(name));
  return path.join(`/tmp/kvm-tui-${uid}`, 'state', vmSlug(name));
}

export interface StateDirPaths {
  dir: string;
  /** The VM's own copy of the UEFI variable store (pflash1). */
  uefiVars: string;
  /** swtpm's state directory. */
  tpmState: string;
}

export function stateDirPaths(dir: string): StateDirPaths {
  return { dir, uefiVars: path.join(dir, 'uefi-vars.fd'), tpmState: path.join(dir, 'tpm') };
}

/** Throws when a unix socket path would not fit in sun_path (bind() would fail or truncate). */
export function assertSocketPathFits(socketPath: string): void {
  const bytes = Buffer.byteLength(socketPath, 'utf8');
  if (bytes > UNIX_SOCKET_PATH_MAX) {
    throw new ActionError(
      `unix socket path is ${bytes} bytes, over the ${UNIX_SOCKET_PATH_MAX}-byte limit: ${socketPath}`,
      'use a shorter XDG_RUNTIME_DIR (or run as root for /run/kvm-tui)',
    );
  }
}
