/**
 * The QEMU and libvirt an output is generated for (vm-facts.ts OutputTarget):
 * `--qemu-version X.Y` / `--libvirt-version X.Y` when given (for a captured host, or to write for
 * another machine), else this host's qemu-system-x86_64 and virsh asked for their versions
 * (cached per binary, as the audit does), else unknown: options that need a known version are
 * then left out, never guessed.
 */
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { makeVersionOf, versionCachePath } from '../audit/version-cache.js';
import { findExecutable } from '../run/run-command.js';
import { DEFAULT_QEMU_BINARY } from '../generate/qemu-argv.js';
import { parseQemuVersion, type OutputTarget } from '../generate/vm-facts.js';

type Version = OutputTarget['qemu'];

/** A `--qemu-version` / `--libvirt-version` value, undefined when not given; a bad one is exit 2. */
export function givenVersion(ctx: CommandContext, command: string, flag: 'qemu-version' | 'libvirt-version'): Version | undefined {
  const given = ctx.args.values[flag];
  if (given === undefined) return undefined;
  const version = typeof given === 'string' && /^\d{1,3}\.\d{1,3}(\.\d{1,4})?$/.test(given) ? parseQemuVersion(given) : null;
  if (version === null) throw new UsageError(`${command}: --${flag} must be a version such as ${flag === 'qemu-version' ? '8.2 or 7.2.1' : '10.0 or 9.0.0'}, got ${JSON.stringify(given)}`);
  return version;
}

/** The QEMU the argv is for (launch runs this host's). */
export async function qemuTarget(ctx: CommandContext, command: string): Promise<OutputTarget> {
  return { qemu: await localVersion(ctx, command, 'qemu-version', DEFAULT_QEMU_BINARY) };
}

/** The QEMU the argv and the libvirt the XML are for (generate, the preview). */
export async function outputTarget(ctx: CommandContext, command: string): Promise<OutputTarget> {
  return { qemu: await localVersion(ctx, command, 'qemu-version', DEFAULT_QEMU_BINARY), libvirt: await localVersion(ctx, command, 'libvirt-version', 'virsh') };
}

async function localVersion(ctx: CommandContext, command: string, flag: 'qemu-version' | 'libvirt-version', program: string): Promise<Version> {
  const given = givenVersion(ctx, command, flag);
  if (given !== undefined) return given;
  if (ctx.capturedRoot) return null;
  const binary = findExecutable(program, ctx.env.PATH);
  if (binary === null) return null;
  // `virsh --version` prints the libvirt it was built with ("9.0.0"), the daemon's on a host
  // where both come from one release, as Debian's packages do.
  const answer = await makeVersionOf(ctx.run, '', versionCachePath(ctx.env, ctx.home))(binary, [binary, '--version']);
  return answer.text === null ? null : parseQemuVersion(answer.text);
}
