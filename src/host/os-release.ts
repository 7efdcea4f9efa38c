/**
 * Which distribution the host runs, from os-release(5): /etc/os-release, else
 * /usr/lib/os-release. Read through the HostFs, so a captured root (--root) answers for the
 * captured host and dump-host copies the file. The audit uses the family to write one package
 * command (apt-get on Debian, dnf on Fedora/RHEL) instead of one per distribution.
 */
import type { HostFs } from './host-fs.js';

/** Package-manager families the fixes know how to install for. */
export type DistroFamily = 'debian' | 'fedora' | 'suse' | 'arch';

export interface Distro {
  /** null: no os-release, or an ID this program has no package commands for. */
  family: DistroFamily | null;
  /** ID= as written ("debian", "rocky"), null when absent. */
  id: string | null;
  /** PRETTY_NAME, else NAME, else ID; host text: quote or comment-escape before showing in a script. */
  name: string | null;
  /** Where the answer came from: "/etc/os-release", or why nothing was found. */
  source: string;
}

const OS_RELEASE_FILES = ['/etc/os-release', '/usr/lib/os-release'];

/** IDs (ID= or a word of ID_LIKE=) of each family; the first family that matches wins. */
const FAMILY_IDS: [DistroFamily, RegExp][] = [
  ['debian', /^(debian|ubuntu|linuxmint|pop|raspbian|elementary|kali|devuan)$/],
  ['fedora', /^(fedora|rhel|centos|rocky|almalinux|ol|amzn)$/],
  ['suse', /^(suse|opensuse|opensuse-leap|opensuse-tumbleweed|sles|sled)$/],
  ['arch', /^(arch|manjaro|endeavouros)$/],
];

export function readDistro(hostFs: HostFs): Distro {
  for (const file of OS_RELEASE_FILES) {
    const text = hostFs.read(file);
    if (text === null) continue;
    const fields = parseOsRelease(text);
    const id = fields.get('ID')?.toLowerCase().replace(/[^a-z0-9._-]/g, '') || null;
    // ID decides first (a Ubuntu-based distro lists "ubuntu debian": both are debian anyway).
    const candidates = [id, ...(fields.get('ID_LIKE')?.toLowerCase().split(/\s+/) ?? [])].filter((word): word is string => Boolean(word));
    const family = candidates.map((word) => FAMILY_IDS.find(([, pattern]) => pattern.test(word))?.[0]).find(Boolean) ?? null;
    // Control characters (an escape sequence, a newline) are not part of a name worth printing.
    const name = (fields.get('PRETTY_NAME') ?? fields.get('NAME') ?? id)?.replace(/[\u0000-\u001f\u007f]/g, '') || null;
    return { family, id, name, source: file };
  }
  return { family: null, id: null, name: null, source: `${OS_RELEASE_FILES.join(', ')}: ${hostFs.why(OS_RELEASE_FILES[0]!)}` };
}

/**
 * os-release's KEY=value lines, values unquoted as its man page says (double or single quotes,
 * backslash escapes inside double quotes). Lines that are not assignments are ignored.
 * @example parseOsRelease('ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
 *   // Map { 'ID' => 'debian', 'PRETTY_NAME' => 'Debian GNU/Linux 12 (bookworm)' }
 */
export function parseOsRelease(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z][A-Z0-9_]*)=(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    if (/^"(.*)"$/.test(value)) value = value.slice(1, -1).replace(/\\(["\\`$])/g, '$1');
    else if (/^'(.*)'$/.test(value)) value = value.slice(1, -1);
    fields.set(match[1]!, value);
  }
  return fields;
}
