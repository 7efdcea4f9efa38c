/**
 * The QEMU a command line is generated for (vm-facts.ts OutputTarget): `--qemu-version X.Y` when
 * given (for a captured host, or to write for another machine), else this host's
 * qemu-system-x86_64 asked for its version (cached per binary, as the audit does), else unknown:
 * options that need a known version are then left out, never guessed.
 */
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { makeVersionOf, versionCachePath } from '../audit/version-cache.js';
import { findExecutable } from '../run/run-command.js';
import { DEFAULT_QEMU_BINARY } from '../generate/qemu-argv.js';
import { parseQemuVersion, UNKNOWN_TARGET, type OutputTarget } from '../generate/vm-facts.js';

export async function qemuTarget(ctx: CommandContext, command: string): Promise<OutputTarget> {
  const given = ctx.args.values['qemu-version'];
  if (given !== undefined) {
    const version = typeof given === 'string' && /^\d{1,3}\.\d{1,3}(\.\d{1,4})?$/.test(given) ? parseQemuVersion(given) : null;
    if (version === null) throw new UsageError(`${command}: --qemu-version must be a version such as 8.2 or 7.2.1, got ${JSON.stringify(given)}`);
    return { qemu: version };
  }
  if (ctx.capturedRoot) return UNKNOWN_TARGET;
  const binary = findExecutable(DEFAULT_QEMU_BINARY, ctx.env.PATH);
  if (binary === null) return UNKNOWN_TARGET;
  const answer = await makeVersionOf(ctx.run, '', versionCachePath(ctx.env, ctx.home))(binary, [binary, '--version']);
  return { qemu: answer.text === null ? null : parseQemuVersion(answer.text) };
}
