/**
 * Argument parsing for every command. One table of options; each command says which it takes,
 * so an option given to the wrong command is a usage error naming it.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import type { SpecRequest } from './spec/resolve.js';

export const GLOBAL_OPTIONS = ['root', 'connect', 'no-color', 'debug', 'help', 'version'] as const;
export const SPEC_OPTIONS = [
  'preset', 'spec', 'name', 'vcpus', 'memory', 'hugepages', 'accel', 'disk', 'net', 'strategy', 'guest',
] as const;

/** A libvirt URI as virsh -c takes it: a scheme, then no white space or control characters. */
// eslint-disable-next-line no-control-regex
export const LIBVIRT_URI_RE = /^[a-z][a-z0-9+.-]*:\/\/[^\s\u0000-\u001f\u007f-\u009f]{0,1024}$/i;

export const OPTION_TYPES = {
  root: { type: 'string' },
  connect: { type: 'string', multiple: true },
  'no-color': { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  json: { type: 'boolean' },
  preset: { type: 'string' },
  spec: { type: 'string' },
  name: { type: 'string' },
  vcpus: { type: 'string' },
  memory: { type: 'string' },
  hugepages: { type: 'string' },
  accel: { type: 'string' },
  disk: { type: 'string', multiple: true },
  net: { type: 'string' },
  strategy: { type: 'string' },
  guest: { type: 'string' },
  format: { type: 'string' },
  'qemu-version': { type: 'string' },
  'libvirt-version': { type: 'string' },
  out: { type: 'string' },
  detach: { type: 'boolean' },
  paused: { type: 'boolean' },
  force: { type: 'boolean' },
  timeout: { type: 'string' },
  'only-problems': { type: 'boolean' },
  fleet: { type: 'boolean' },
} as const;

export type OptionName = keyof typeof OPTION_TYPES;

export interface ParsedArgs {
  command: string | null;
  positionals: string[];
  values: Partial<Record<OptionName, string | boolean | string[]>>;
}

export function parseCliArgs(argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTION_TYPES, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    // node's messages are multi-sentence; keep the first line and make it about our tool.
    const message = String((error as Error).message).split('\n')[0]!.replace(/\. To specify.*$/, '');
    throw new UsageError(message);
  }
  // parseArgs keeps the last of a repeated flag; a flag given twice is more likely a mistake
  // (two --memory values) than a wish, so it is refused. --disk and --connect are lists.
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const type = OPTION_TYPES[token.name as OptionName] as { multiple?: boolean } | undefined;
    if (type?.multiple) continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} given more than once`);
    seen.add(token.name);
  }
  const [command = null, ...positionals] = parsed.positionals;
  return { command, positionals, values: parsed.values as ParsedArgs['values'] };
}

/** Rejects options a command does not take, naming the first one. */
export function allowOnly(args: ParsedArgs, allowed: readonly string[]): void {
  const ok = new Set<string>([...GLOBAL_OPTIONS, ...allowed]);
  for (const key of Object.keys(args.values)) {
    if (!ok.has(key)) throw new UsageError(`${args.command ? `${args.command}: ` : ""}unknown option --${key}`);
  }
}

export function maxPositionals(args: ParsedArgs, count: number, what: string): void {
  if (args.positionals.length > count) {
    throw new UsageError(`${args.command}: unexpected argument "${args.positionals[count]}"${what ? ` (takes ${what})` : ''}`);
  }
}

/**
 * The spec flags (--preset/--spec and the overrides) as the plain request resolveSpec takes, so
 * the spec layer never sees the CLI's parsed arguments.
 */
export function specRequestFromArgs(args: ParsedArgs): SpecRequest {
  const text = (name: OptionName): string | undefined => {
    const value = args.values[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new UsageError(`--${name}: given more than once`);
    return value;
  };
  const disk = args.values.disk;
  const disks = disk === undefined ? undefined : (Array.isArray(disk) ? disk : [disk]).map((entry) => (typeof entry === 'string' ? entry : ''));
  return {
    command: args.command ?? 'kvm-tui',
    preset: text('preset'),
    specFile: text('spec'),
    overrides: {
      name: text('name'),
      vcpus: text('vcpus'),
      memory: text('memory'),
      hugepages: text('hugepages'),
      accel: text('accel'),
      disks,
      net: text('net'),
      strategy: text('strategy'),
      guest: text('guest'),
    },
  };
}
