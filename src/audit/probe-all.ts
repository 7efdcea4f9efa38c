/**
 * Runs every file-reading probe once against a HostFs, so its `touched` set holds every host
 * path the program reads (used by dump-host). The audit's checks run with the command runner
 * disabled: commands and PATH lookups are not part of a capture.
 */
import { ALL_CHECKS } from './checks/index.js';
import { buildProbeContext } from './probe-context.js';
import { runChecks } from './run-checks.js';
import type { HostFs } from '../host/host-fs.js';
import type { Clock } from '../context.js';

export async function collectProbeReads(hostFs: HostFs, clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>): Promise<void> {
  hostFs.read('/proc/cpuinfo');
  hostFs.read('/proc/meminfo');
  hostFs.read('/proc/cmdline');
  // Read like a live audit (capturedRoot false, so /dev/kvm's stat and access are recorded too),
  // but with no runner: nothing is spawned and no cache is consulted.
  const probeCtx = buildProbeContext({
    hostFs,
    capturedRoot: false,
    env: {},
    clock,
    run: null,
    runDisabledReason: 'dump-host: recording file reads only',
    versionCacheFile: null,
  });
  // Identity for replay (checks read it from a capture's /proc/self/status).
  hostFs.read('/proc/self/status');
  await runChecks(ALL_CHECKS, probeCtx);
}
