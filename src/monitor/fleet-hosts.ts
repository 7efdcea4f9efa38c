/**
 * The fleet's hosts file: `$XDG_CONFIG_HOME/kvm-tui/hosts` (default ~/.config/kvm-tui/hosts),
 * one libvirt URI per line as virsh -c takes it; blank lines and lines starting with # are
 * skipped. Read bounded and non-blocking like any user-named file; a line that is not a URI is
 * an error naming the file and the line, never skipped (a host silently missing from the pane
 * would look like a host with no domains).
 */
import * as path from 'node:path';
import { LIBVIRT_URI_RE } from '../cli-args.js';
import { UsageError } from '../errors.js';
import { readRegularFile } from '../host/host-fs.js';
import { kvmTuiConfigDir } from '../spec/presets.js';

/** More hosts than one pane can show; a larger file is not a hosts list. */
const MAX_HOSTS_BYTES = 256 * 1024;

export function fleetHostsFile(env: NodeJS.ProcessEnv, home: string | null): string {
  const config = kvmTuiConfigDir(env, home);
  if (config === null) throw new UsageError('monitor --fleet: no home directory for the hosts file (set HOME or XDG_CONFIG_HOME, or give --connect URI)');
  return path.join(config, 'hosts');
}

/** The URIs a hosts file names, in its order, each once. Throws UsageError naming what is wrong. */
export function readFleetHosts(file: string): string[] {
  let text: string;
  try {
    text = readRegularFile(file, MAX_HOSTS_BYTES);
  } catch (error) {
    throw new UsageError(`monitor --fleet: hosts file ${JSON.stringify(file)}: ${(error as Error).message} (write one libvirt URI per line there, or give --connect URI)`);
  }
  const uris: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    if (!LIBVIRT_URI_RE.test(line)) {
      throw new UsageError(`monitor --fleet: ${JSON.stringify(file)} line ${index + 1}: not a libvirt URI (as virsh -c takes it): ${JSON.stringify(line.slice(0, 80))}`);
    }
    if (!uris.includes(line)) uris.push(line);
  });
  if (uris.length === 0) throw new UsageError(`monitor --fleet: hosts file ${JSON.stringify(file)} names no host (write one libvirt URI per line there)`);
  return uris;
}
