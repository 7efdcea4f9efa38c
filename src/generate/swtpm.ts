/**
 * The swtpm command that serves a VM's TPM on the QEMU argv's socket (`-chardev socket,id=chrtpm`),
 * as an argument array. libvirt starts its own swtpm from the XML's `<tpm><backend
 * type='emulator'>`; this is the same emulator for a direct launch (src/run/guest-state.ts).
 *
 * swtpm splits its option values on "," with no escape (",," is not one: measured with 0.7), so
 * a path with a comma cannot be given to it. It therefore runs with the VM's run dir as its
 * working directory and gets only fixed relative names (SWTPM_FILES); the state lives in the
 * VM's state dir through the run dir's `tpm-state` symlink. It is not daemonized (--daemon
 * would chdir to "/" and lose the relative names): launch starts it in its own session.
 *
 * - `--tpm2`: TPM 2.0 (vm-facts.ts TPM_FACTS), what Windows 11 requires.
 * - `--tpmstate dir=tpm-state`: the VM's persistent state dir, not the run dir: keys sealed to
 *   the TPM (BitLocker's) must survive a stop.
 * - `--ctrl type=unixio,path=swtpm.sock`: the control channel QEMU's tpm-emulator connects to, 0600.
 * - `--terminate`: swtpm exits when QEMU closes that channel (QEMU's exit, whatever the cause),
 *   so no swtpm outlives its VM once QEMU has connected.
 */
import { runDirPaths } from '../shared/vm-paths.js';

export const SWTPM_BINARY = 'swtpm';

/** The run dir's own names (vm-paths.ts), relative to it: what swtpm is given. */
const relative = runDirPaths('.');
export const SWTPM_FILES = { stateLink: 'tpm-state', socket: relative.tpmSocket, pidFile: relative.tpmPidFile, log: relative.tpmLog } as const;

/** swtpm's argv; run it with cwd = the VM's run dir. */
export function buildSwtpmArgs(): string[] {
  return [
    SWTPM_BINARY,
    'socket',
    '--tpm2',
    '--tpmstate', `dir=${SWTPM_FILES.stateLink},mode=0600`,
    '--ctrl', `type=unixio,path=${SWTPM_FILES.socket},mode=0600`,
    '--log', `file=${SWTPM_FILES.log},level=1`,
    '--pid', `file=${SWTPM_FILES.pidFile}`,
    '--terminate',
  ];
}
