/**
 * `binary --version` answers, cached per binary identity (path, size, mtime), so a warm audit
 * spawns nothing: running qemu-system --version alone costs ~100 ms (it maps dozens of shared
 * libraries), more than every file probe together. libvirt caches QEMU capabilities the same way.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRegularFile } from '../host/host-fs.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import type { RunCommand } from '../run/run-command.js';

export interface VersionAnswer {
  text: string | null;
  error: string | null;
  cached: boolean;
}

/**
 * The cache file: $XDG_CACHE_HOME/kvm-tui/versions.json (default ~/.cache, ~ being $HOME or else
 * `home`, the context's); null (no cache) when there is no home.
 */
export function versionCachePath(env: NodeJS.ProcessEnv, home: string | null): string | null {
  const homeDir = env.HOME || home;
  const base = env.XDG_CACHE_HOME || (homeDir ? path.join(homeDir, '.cache') : null);
  return base ? path.join(base, 'kvm-tui', 'versions.json') : null;
}

export function makeVersionOf(
  run: RunCommand | null,
  disabledReason: string,
  cacheFile: string | null,
  timeoutMs = 2000,
): (binaryPath: string, argv: string[]) => Promise<VersionAnswer> {
  // Concurrent checks asking in one process share one read-modify-write chain.
  let chain: Promise<unknown> = Promise.resolve();
  return async (binaryPath, argv) => {
    if (run === null) return { text: null, error: disabledReason, cached: false };
    let key: string | null = null;
    try {
      const stat = fs.statSync(binaryPath);
      key = `${argv.join('\u0000')}|${stat.size}|${Math.floor(stat.mtimeMs)}|${stat.ino}`;
    } catch {
      key = null;
    }
    const cache = key && cacheFile ? readCache(cacheFile) : {};
    if (key && cache[key] !== undefined) return { text: cache[key]!, error: null, cached: true };
    const result = await run(argv, { timeoutMs });
    const text = result.ok ? `${result.stdout}${result.stdout && result.stderr ? '\n' : ''}${result.stderr}`.trim() : null;
    if (text === null) return { text: null, error: result.error ?? 'failed', cached: false };
    if (key && cacheFile) {
      const write = chain.then(() => writeCacheEntry(cacheFile, key!, text));
      chain = write.catch(() => undefined);
      await chain;
    }
    return { text, error: null, cached: false };
  };
}

/** More than any real cache (a few hundred bytes per binary); a larger file is not ours. */
const MAX_CACHE_BYTES = 1024 * 1024;

function readCache(file: string): Record<string, string> {
  try {
    // Bounded, non-blocking, regular files only: a FIFO or a link to /dev/zero put in the cache
    // dir must not hang or fill the audit; it reads as no cache (and is never replaced).
    const parsed = JSON.parse(readRegularFile(file, MAX_CACHE_BYTES, { noFollow: true }));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** Best effort: a cache that cannot be written only costs the next run a spawn. */
function writeCacheEntry(file: string, key: string, text: string): void {
  try {
    const cache = readCache(file);
    cache[key] = text;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, JSON.stringify(cache), { overwrite: true });
  } catch {
    // ignored on purpose (read-only home, full disk)
  }
}
