/**
 * What a direct launch must set up for the guest platform before QEMU starts (libvirt does the
 * same itself from the XML): the VM's persistent state dir, its own copy of the UEFI variable
 * store (made once from the template, then kept: boot entries and secure boot keys live there),
 * and a running swtpm serving the TPM socket the argv names (src/generate/swtpm.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Clock, SignalProcess, SpawnDetached } from '../context.js';
import { ActionError } from '../errors.js';
import { buildSwtpmArgs, SWTPM_BINARY, SWTPM_FILES } from '../generate/swtpm.js';
import { firmwareFacts } from '../generate/vm-facts.js';
import type { HostFs } from '../host/host-fs.js';
import { processRuns } from '../registry/registry.js';
import { runDirPaths, stateDirPaths } from '../shared/vm-paths.js';
import type { Plan } from '../spec/types.js';

/** Whether the plan needs a state dir at all (UEFI variables or TPM state). */
export function needsGuestState(plan: Plan): boolean {
  return firmwareFacts(plan.spec) !== null || plan.spec.guest.tpm;
}

/**
 * What is missing on this host for the guest platform, each with what to do (empty = fine):
 * the OVMF files, the swtpm binary. `exists` and `onPath` are injectable for tests.
 */
export function guestStateProblems(
  plan: Plan,
  env: NodeJS.ProcessEnv,
  exists: (file: string) => boolean = fs.existsSync,
): Array<{ message: string; hint: string }> {
  const problems: Array<{ message: string; hint: string }> = [];
  const firmware = firmwareFacts(plan.spec);
  if (firmware) {
    for (const file of [firmware.code, firmware.varsTemplate]) {
      if (!exists(file)) problems.push({ message: `UEFI firmware ${file} is missing`, hint: 'install OVMF (Debian/Ubuntu: apt-get install ovmf), or set "guest": {"firmware": "bios"}' });
    }
  }
  if (plan.spec.guest.tpm && findOnPath(SWTPM_BINARY, env, exists) === null) {
    problems.push({ message: 'the TPM needs swtpm, which is not on PATH', hint: 'install swtpm (Debian/Ubuntu: apt-get install swtpm swtpm-tools), or set "guest": {"tpm": false}' });
  }
  return problems;
}

function findOnPath(binary: string, env: NodeJS.ProcessEnv, exists: (file: string) => boolean): string | null {
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    if (dir !== '' && exists(path.join(dir, binary))) return path.join(dir, binary);
  }
  return null;
}

/**
 * Creates the state dir (0700, a real directory owned by `uid` or root) and, for UEFI, the VM's
 * variable store from the template when it has none yet (never overwritten: it is the guest's).
 */
export function prepareStateDir(plan: Plan, stateDir: string, uid: number): void {
  const state = stateDirPaths(stateDir);
  try {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new ActionError(`cannot create the VM's state dir ${stateDir}: ${(error as Error).message}`, 'check the permissions of its parent directory (or set XDG_STATE_HOME)');
  }
  const stat = fs.lstatSync(stateDir);
  if (stat.isSymbolicLink() || !stat.isDirectory()) throw new ActionError(`state dir ${stateDir} is a symlink or not a directory`, 'remove it, or set XDG_STATE_HOME to a directory of your own');
  if (stat.uid !== uid && stat.uid !== 0) throw new ActionError(`state dir ${stateDir} belongs to uid ${stat.uid}, not to you`, 'set XDG_STATE_HOME to a directory of your own');
  const firmware = firmwareFacts(plan.spec);
  if (firmware) {
    try {
      fs.copyFileSync(firmware.varsTemplate, state.uefiVars, fs.constants.COPYFILE_EXCL);
      fs.chmodSync(state.uefiVars, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ActionError(`cannot copy the UEFI variable store ${firmware.varsTemplate} to ${state.uefiVars}: ${(error as Error).message}`, 'install OVMF (apt-get install ovmf) and check the state dir');
      }
    }
  }
  if (plan.spec.guest.tpm) fs.mkdirSync(state.tpmState, { recursive: true, mode: 0o700 });
}

export interface SwtpmServices {
  spawnDetached: SpawnDetached;
  signal: SignalProcess;
  clock: Clock;
  procFs: HostFs;
  env: NodeJS.ProcessEnv;
}

/**
 * Starts swtpm for the VM (its own session, cwd = the run dir, stdio to swtpm.log) and waits
 * until its control socket exists. `wrap` prefixes the argv (launch's taskset to the emulator
 * CPUs). Returns swtpm's pid; throws ActionError with swtpm's log when it does not come up.
 */
export async function startSwtpm(runDir: string, stateDir: string, services: SwtpmServices, wrap: (argv: string[]) => string[] = (argv) => argv, timeoutMs = 5000): Promise<number> {
  const run = runDirPaths(runDir);
  const link = path.join(runDir, SWTPM_FILES.stateLink);
  fs.rmSync(link, { force: true });
  fs.symlinkSync(stateDirPaths(stateDir).tpmState, link);
  const pid = await services.spawnDetached(wrap(buildSwtpmArgs()), { logFile: run.tpmLog, env: services.env, cwd: runDir });
  const deadline = services.clock.now() + timeoutMs;
  while (!isSocket(run.tpmSocket)) {
    if (!processRuns(pid, services.procFs)) throw new ActionError(`swtpm exited at once${logTail(run.tpmLog)}`, 'check the TPM state dir; swtpm --version must answer');
    if (services.clock.now() >= deadline) {
      services.signal(pid, 'SIGKILL');
      throw new ActionError(`swtpm did not create ${run.tpmSocket} within ${timeoutMs / 1000} s${logTail(run.tpmLog)}`);
    }
    await services.clock.sleep(20);
  }
  return pid;
}

/** Ends the VM's swtpm if it still runs (it ends by itself when QEMU, once connected, exits). */
export function stopSwtpm(runDir: string, signal: SignalProcess, procFs: HostFs, knownPid: number | null = null): void {
  let pid = knownPid ?? NaN;
  if (knownPid === null) {
    try {
      pid = Number(fs.readFileSync(runDirPaths(runDir).tpmPidFile, 'utf8').trim());
    } catch {
      return;
    }
  }
  if (Number.isInteger(pid) && pid > 1 && processRuns(pid, procFs) && commName(pid) === SWTPM_BINARY) signal(pid, 'SIGTERM');
}

function commName(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

function isSocket(file: string): boolean {
  try {
    return fs.statSync(file).isSocket();
  } catch {
    return false;
  }
}

function logTail(file: string): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text === '' ? '' : `\nswtpm: ${text.split('\n').slice(-6).join('\nswtpm: ')}`;
  } catch {
    return '';
  }
}
