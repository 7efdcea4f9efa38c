/**
 * Small readers shared by several checks. All go through the HostFs, so a captured host and
 * dump-host see exactly the same files.
 */
import type { HostFs } from '../host/host-fs.js';
import type { CheckOutcome, ProbeContext } from './types.js';

/** A file the check needs could not be read: the status is unknown, reported as skip. */
export function unknownOutcome(hostFs: HostFs, hostPath: string, what = ''): CheckOutcome {
  return { status: 'skip', evidence: `unknown: ${hostPath}: ${hostFs.why(hostPath)}${what ? ` (${what})` : ''}`, fix: null };
}

/** The check would run a command or look at the live PATH, which a captured host must not mix in. */
export function commandsDisabledOutcome(ctx: ProbeContext): CheckOutcome {
  return { status: 'skip', evidence: ctx.runDisabledReason, fix: null };
}

/** Why a path is absent ("missing", "permission denied"): exists() records no reason, stat does. */
export function missingReason(hostFs: HostFs, hostPath: string): string {
  return hostFs.stat(hostPath) === null ? hostFs.why(hostPath) : 'present';
}

export interface MountEntry {
  source: string;
  target: string;
  fsType: string;
  options: string[];
}

/** /proc/mounts, with the kernel's octal escapes (\040 for a space) decoded. */
export function readMounts(hostFs: HostFs): MountEntry[] | null {
  const text = hostFs.read('/proc/mounts');
  if (text === null) return null;
  const decode = (field: string) => field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 4)
    .map(([source, target, fsType, options]) => ({
      source: decode(source!),
      target: decode(target!),
      fsType: fsType!,
      options: options!.split(','),
    }))
    // A mount point with a newline or other control character (encoded \012 in the file) is not
    // one a host sets up for cgroups or huge pages; building fix commands on it would put host
    // text across lines of a script users run, so such entries are not used at all.
    .filter((entry) => !/[\u0000-\u001f\u007f]/.test(entry.target) && entry.target.startsWith('/'));
}

export interface KernelCmdline {
  text: string;
  /** Last value of each parameter (bare flags map to ""), as the kernel applies them. */
  params: Map<string, string>;
}

/** /proc/cmdline split into parameters; everything after a lone "--" goes to init, not the kernel. */
export function readCmdline(hostFs: HostFs): KernelCmdline | null {
  const text = hostFs.readLine('/proc/cmdline');
  if (text === null) return null;
  const params = new Map<string, string>();
  for (const word of text.split(/\s+/)) {
    if (word === '--') break;
    if (!word) continue;
    const eq = word.indexOf('=');
    if (eq === -1) params.set(word, '');
    else params.set(word.slice(0, eq), word.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
  }
  return { text, params };
}

/** `name=value` words of the cmdline for the given names, for evidence. */
export function cmdlineEvidence(cmdline: KernelCmdline, names: string[]): string {
  const found = names.filter((name) => cmdline.params.has(name)).map((name) => {
    const value = cmdline.params.get(name)!;
    return value === '' ? name : `${name}=${value}`;
  });
  return found.length > 0 ? found.join(' ') : `none of ${names.join(', ')}`;
}

export function moduleLoaded(hostFs: HostFs, name: string): boolean {
  return hostFs.exists(`/sys/module/${name}`);
}

/** A module parameter's value, trimmed, or null when the module or parameter is absent. */
export function moduleParam(hostFs: HostFs, module: string, param: string): string | null {
  return hostFs.readLine(`/sys/module/${module}/parameters/${param}`);
}

/** Y/1/on → true, N/0/off → false (kernel bool parameters print Y/N, some ints 0/1). */
export function parseKernelBool(value: string | null): boolean | null {
  if (value === null) return null;
  if (/^(y|yes|1|on|true)$/i.test(value)) return true;
  if (/^(n|no|0|off|false)$/i.test(value)) return false;
  return null;
}

/**
 * Whether this kernel can load modules: /proc/modules exists only with module support, and
 * kernel.modules_disabled=1 forbids loading until reboot. Returns the reason when it cannot.
 */
export function moduleLoadingBlocked(hostFs: HostFs): string | null {
  if (!hostFs.exists('/proc/modules')) return 'this kernel has no loadable module support (no /proc/modules)';
  if (hostFs.readLine('/proc/sys/kernel/modules_disabled') === '1') return 'kernel.modules_disabled=1 forbids loading modules until reboot';
  return null;
}

/** The bracketed choice of a sysfs selector file: "always [madvise] never" → "madvise". */
export function selectedChoice(line: string): string | null {
  const match = /\[([^\]]+)\]/.exec(line);
  return match ? match[1]! : null;
}

/** Counts values and prints "performance ×14, powersave ×2" (most common first). */
export function summarizeValues(values: string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([value, count]) => `${value} ×${count}`)
    .join(', ');
}

/**
 * A login or group name as shadow-utils accepts it (letters, digits, _ . -, a trailing $ for
 * machine accounts; not starting with - or a digit-only name): what a fix may write into a
 * command or a config line. A captured /etc/passwd may hold anything; other names are not used.
 */
export const SAFE_ACCOUNT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;

/** Name of a uid from /etc/passwd (host data: goes through the HostFs). */
export function userName(hostFs: HostFs, uid: number | null): string | null {
  if (uid === null) return null;
  const text = hostFs.read('/etc/passwd');
  if (text === null) return null;
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 3 && Number(fields[2]) === uid) return fields[0]!;
  }
  return null;
}

/** Name of a gid from /etc/group. */
export function groupName(hostFs: HostFs, gid: number): string | null {
  const text = hostFs.read('/etc/group');
  if (text === null) return null;
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 3 && Number(fields[2]) === gid) return fields[0]!;
  }
  return null;
}
