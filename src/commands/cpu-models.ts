/**
 * QEMU's answer on the named CPU models this host can give (src/host/cpu-models.ts), for the
 * commands that plan against this host. Not asked for host/max (nothing to check). For a captured
 * host (--root) under KVM this machine's QEMU and KVM say nothing about the capture's CPU: the
 * models' feature lists are compared with the capture's flags instead (cpu-model-features.ts).
 *
 * Starting QEMU for the answer costs ~50 ms, a third of a `plan`. The answer is cached per user
 * ($XDG_CACHE_HOME/kvm-tui/cpu-models.json, as libvirt caches QEMU's capabilities) under a key
 * of everything it depends on: the QEMU binary (path, size, mtime, inode), the accelerator, the
 * kernel release, the loaded KVM modules and /proc/cpuinfo (its changing "cpu MHz" lines
 * aside; microcode and flags included). Any change is a new key, so a stale answer is never used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandContext } from '../context.js';
import { versionCachePath } from '../audit/version-cache.js';
import { DEFAULT_QEMU_BINARY } from '../generate/qemu-argv.js';
import { parseCpuDefinitions, probeCpuModels, type CpuModelFacts } from '../host/cpu-models.js';
import { captureModelFacts, parseModelExpansions, probeModelFeatures } from '../host/cpu-model-features.js';
import { readCpuInfo } from '../host/cpuinfo.js';
import { readRegularFile } from '../host/host-fs.js';
import { sha256Hex } from '../shared/sha256.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import { findExecutable } from '../run/run-command.js';
import type { VmSpec } from '../spec/types.js';

/** Answers kept (one per binary/host state/accelerator seen lately). */
const MAX_ENTRIES = 8;

export async function cpuModelFacts(ctx: CommandContext, spec: VmSpec): Promise<CpuModelFacts | undefined> {
  if (spec.cpu.model === 'host' || spec.cpu.model === 'max') return undefined;
  const binary = findExecutable(DEFAULT_QEMU_BINARY, ctx.env.PATH);
  if (binary === null) return undefined;
  // Under TCG the features are QEMU's own, whatever CPU runs it: this QEMU's answer holds for a
  // captured host too. Under KVM a capture's CPU decides, which only its flags can tell.
  if (ctx.capturedRoot && spec.accel === 'kvm') return captureFacts(ctx, spec, binary);
  const answer = await definitions(ctx, binary, spec.accel);
  if ('facts' in answer) return answer.facts;
  ctx.stderr(`kvm-tui: note: CPU model ${JSON.stringify(spec.cpu.model)} not checked against this host: ${DEFAULT_QEMU_BINARY} did not say which models it can give (${answer.error})\n`);
  return undefined;
}

/** QEMU's query-cpu-definitions under `accel`, cached. */
async function definitions(ctx: CommandContext, binary: string, accel: VmSpec['accel']): Promise<{ facts: CpuModelFacts } | { error: string }> {
  const cacheFile = cpuModelCachePath(ctx.env, ctx.home);
  const key = await cacheKey(ctx, binary, accel);
  const cached = key && cacheFile ? readCache(cacheFile)[key] : undefined;
  if (cached !== undefined) {
    const facts = parseCpuDefinitions(cached, accel);
    if (facts) return { facts };
  }
  const answer = await probeCpuModels(ctx.run, binary, accel);
  if ('facts' in answer && key && cacheFile) writeCacheEntry(cacheFile, key, answer.raw);
  return answer;
}

/**
 * A captured host under KVM: the models' feature lists (QEMU's static expansions, cached per
 * QEMU binary: they do not depend on the machine) against the capture's /proc/cpuinfo flags.
 */
async function captureFacts(ctx: CommandContext, spec: VmSpec, binary: string): Promise<CpuModelFacts | undefined> {
  const model = JSON.stringify(spec.cpu.model);
  const cpuInfo = readCpuInfo(ctx.hostFs);
  if (!cpuInfo.readable || cpuInfo.flags.size === 0) {
    ctx.stderr(`kvm-tui: note: CPU model ${model} not checked against the captured host: ${cpuInfo.reason ?? 'its /proc/cpuinfo lists no flags'}\n`);
    return undefined;
  }
  const known = await definitions(ctx, binary, 'tcg');
  if ('error' in known) {
    ctx.stderr(`kvm-tui: note: CPU model ${model} not checked against the captured host: ${DEFAULT_QEMU_BINARY} did not list its models (${known.error})\n`);
    return undefined;
  }
  const cacheFile = cpuModelCachePath(ctx.env, ctx.home);
  const key = binaryKey(binary, 'static-expansion');
  const cached = key && cacheFile ? readCache(cacheFile)[key] : undefined;
  let features = cached === undefined ? null : parseModelExpansions(cached);
  if (features === null || features.size === 0) {
    const answer = await probeModelFeatures(ctx.run, binary, [...known.facts.models.keys()]);
    if ('error' in answer) {
      ctx.stderr(`kvm-tui: note: CPU model ${model} not checked against the captured host: ${DEFAULT_QEMU_BINARY} did not expand its models (${answer.error})\n`);
      return undefined;
    }
    features = answer.features;
    if (key && cacheFile) writeCacheEntry(cacheFile, key, answer.raw);
  }
  return captureModelFacts(known.facts, features, cpuInfo.flags, spec.accel);
}

/** A key for answers that depend on the QEMU binary only; null when it cannot be stat'ed. */
function binaryKey(binary: string, what: string): string | null {
  const stamp = binaryStamp(binary);
  return stamp && sha256Hex([what, ...stamp].join('\u0000'));
}

/** What identifies a QEMU binary's answers: its path, size, mtime and inode; null when it cannot be stat'ed. */
function binaryStamp(binary: string): Array<string | number> | null {
  try {
    const stat = fs.statSync(binary);
    return [binary, stat.size, Math.floor(stat.mtimeMs), stat.ino];
  } catch {
    return null;
  }
}

export function cpuModelCachePath(env: NodeJS.ProcessEnv, home: string | null): string | null {
  const versions = versionCachePath(env, home);
  return versions ? path.join(path.dirname(versions), 'cpu-models.json') : null;
}

/** Everything QEMU's answer depends on, hashed; null when part of it cannot be read (then no cache). */
export async function cacheKey(ctx: Pick<CommandContext, 'hostFs'>, binary: string, accel: string): Promise<string | null> {
  const stamp = binaryStamp(binary);
  if (stamp === null) return null;
  const cpuinfo = ctx.hostFs.read('/proc/cpuinfo');
  const release = ctx.hostFs.read('/proc/sys/kernel/osrelease');
  const modules = ctx.hostFs.read('/proc/modules');
  if (cpuinfo === null || release === null) return null;
  const kvmModules = (modules ?? '').split('\n').filter((line) => /^kvm/.test(line)).map((line) => line.split(' ')[0]).sort().join(',');
  const stableCpuinfo = cpuinfo.split('\n').filter((line) => !/^cpu MHz\s*:/.test(line)).join('\n');
  const text = [...stamp, accel, release.trim(), kvmModules, stableCpuinfo].join('\u0000');
  // A big host's /proc/cpuinfo (about 1.5 KB per CPU) hashes faster in node:crypto, loaded then only.
  if (text.length > 32 * 1024) return (await import('node:crypto')).createHash('sha256').update(text).digest('hex');
  return sha256Hex(text);
}

function readCache(file: string): Record<string, string> {
  try {
    // One bounded, non-blocking open of a regular file (no symlink): a FIFO or /dev/zero put
    // there reads as no cache at once, and the writer never replaces it.
    const parsed = JSON.parse(readRegularFile(file, 4 * 1024 * 1024, { noFollow: true }));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** Best effort: a cache that cannot be written only costs the next run a QEMU start. */
function writeCacheEntry(file: string, key: string, raw: string): void {
  try {
    const entries = Object.entries(readCache(file)).filter(([known, value]) => known !== key && typeof value === 'string');
    const kept = Object.fromEntries([...entries.slice(-(MAX_ENTRIES - 1)), [key, raw]]);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileAtomic(file, JSON.stringify(kept), { overwrite: true, mode: 0o600 });
  } catch {
    // ignored on purpose (read-only home, full disk)
  }
}
