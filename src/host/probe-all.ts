/**
 * Runs every file-reading probe once against a HostFs, so its `touched` set holds every host
 * path the program reads (used by dump-host). Probes that run commands are not run here.
 */
import type { HostFs } from './host-fs.js';

export async function collectProbeReads(hostFs: HostFs): Promise<void> {
  // The audit's file probes are added here as they land.
  hostFs.read('/proc/cpuinfo');
  hostFs.read('/proc/meminfo');
  hostFs.read('/proc/cmdline');
}
