/**
 * Builds what every check receives: host facts read once (cpuinfo, topology), the command
 * runner (or none, on a captured host), and who is asking.
 */
import type { Clock } from '../context.js';
import type { HostFs } from '../host/host-fs.js';
import { readCpuInfo, type CpuInfo } from '../host/cpuinfo.js';
import { readDistro } from '../host/os-release.js';
import { readTopology, type Topology } from '../host/topology.js';
import { findExecutable, type RunCommand } from '../run/run-command.js';
import type { AuditUser, ProbeContext } from './types.js';
import { makeVersionOf, versionCachePath } from './version-cache.js';

export const CAPTURED_HOST_REASON = 'captured host: command not run';

export interface ProbeContextOptions {
  hostFs: HostFs;
  /** A captured host (--root): nothing may look at the live machine. */
  capturedRoot: boolean;
  env: NodeJS.ProcessEnv;
  /** Timers for check deadlines. */
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** The process runner; absent or null: commands off (`runDisabledReason` says why). Ignored on a captured host. */
  run?: RunCommand | null;
  /** Why commands are off when `run` is null on a live host (dump-host: "recording file reads"). */
  runDisabledReason?: string;
  /** Who asks, on a live host (the composition root's identity); a capture's comes from its /proc/self/status. */
  user?: AuditUser;
  which?: (name: string) => string | null;
  /** The version cache file; absent: under $XDG_CACHE_HOME or the home (env's HOME, else `home`). */
  versionCacheFile?: string | null;
  /** The user's home (the context's `home`) where env has no HOME; absent with neither: no cache. */
  home?: string | null;
  /** Host facts the caller has just read from the same root (the wizard's first audit): not read again. */
  known?: { topology: Topology; cpuInfo: CpuInfo };
}

export function buildProbeContext(options: ProbeContextOptions): ProbeContext {
  const { hostFs, capturedRoot, env } = options;
  const cpuInfo = options.known?.cpuInfo ?? readCpuInfo(hostFs);
  let topology = options.known?.topology ?? null;
  let topologyError: string | null = null;
  if (topology === null) {
    try {
      topology = readTopology(hostFs);
    } catch (error) {
      topologyError = (error as Error).message;
    }
  }
  const run = capturedRoot ? null : (options.run ?? null);
  const runDisabledReason = capturedRoot ? CAPTURED_HOST_REASON : (options.runDisabledReason ?? 'commands disabled');
  const which = run === null ? () => null : (options.which ?? ((name: string) => findExecutable(name, env.PATH)));
  const cacheFile = options.versionCacheFile === undefined ? versionCachePath(env, options.home ?? null) : options.versionCacheFile;
  return {
    hostFs,
    cpuInfo,
    topology,
    topologyError,
    distro: readDistro(hostFs),
    capturedRoot,
    run,
    runDisabledReason,
    which,
    user: capturedRoot ? readUserFromStatus(hostFs) : (options.user ?? { uid: null, gid: null, groups: [] }),
    env,
    clock: options.clock,
    versionOf: makeVersionOf(run, runDisabledReason, cacheFile),
  };
}


/** The identity recorded in a capture (dump-host copies its own /proc/self/status). */
export function readUserFromStatus(hostFs: HostFs): AuditUser {
  const text = hostFs.read('/proc/self/status') ?? '';
  const numbers = (label: string): number[] => {
    const line = new RegExp(`^${label}:[ \\t]*(.*)$`, 'm').exec(text)?.[1] ?? '';
    return line.split(/\s+/).filter((word) => /^\d+$/.test(word)).map(Number);
  };
  // Uid/Gid lines list real, effective, saved and fs ids: the effective one decides access.
  const uids = numbers('Uid');
  const gids = numbers('Gid');
  return { uid: uids[1] ?? uids[0] ?? null, gid: gids[1] ?? gids[0] ?? null, groups: numbers('Groups') };
}
