/**
 * Building and showing fixes. A fix's runtime commands are written once, as argv steps, and the
 * shell text the user reads is derived from them, so what the checklist shows before "apply" is
 * exactly what it runs.
 */
import type { Distro, DistroFamily } from '../host/os-release.js';
import { quoteShellWord } from '../shared/shell-quote.js';
import type { Fix, FixStep } from './types.js';

/**
 * Shell text of one step: `echo VALUE | tee FILE` for a step fed stdin, else the quoted argv;
 * a step with a guard reads `GUARD || STEP` (a pipeline binds tighter than `||`).
 */
export function stepToShell(step: FixStep): string {
  const command = step.argv.map(quoteShellWord).join(' ');
  const body = step.input === undefined ? command : `echo ${quoteShellWord(step.input.replace(/\n$/, ''))} | ${command} >/dev/null`;
  return step.unless ? `${step.unless.map(quoteShellWord).join(' ')} || ${body}` : body;
}

/**
 * `sysctl -w KEY=VALUE`, skipped when /proc/sys already holds the value.
 * @example sysctlStep('vm.nr_hugepages', '512') // grep -qxF -- 512 /proc/sys/vm/nr_hugepages || sysctl -w vm.nr_hugepages=512
 */
export function sysctlStep(key: string, value: string): FixStep {
  return { argv: ['sysctl', '-w', `${key}=${value}`], unless: ['grep', '-qxF', '--', value, `/proc/sys/${key.replace(/\./g, '/')}`] };
}

/** `modprobe MODULE`, skipped when the module is already there (/sys/module/MODULE). */
export function modprobeStep(module: string): FixStep {
  return { argv: ['modprobe', module], unless: ['test', '-d', `/sys/module/${module}`] };
}

/** A mount made only where nothing is mounted yet, as steps: `mkdir -p`, then a guarded mount. */
export function mountSteps(target: string, mountArgs: string[]): FixStep[] {
  return [{ argv: ['mkdir', '-p', target] }, { argv: ['mount', ...mountArgs, target], unless: ['mountpoint', '-q', target] }];
}

/**
 * A character device node made only when none is there:
 * `[ -c NODE ] || { rm -f NODE; mknod NODE c MAJOR MINOR; chgrp GROUP NODE; chmod 660 NODE; }`.
 * Commands inside the braces are separate, so under `set -e` a failing one stops the script
 * (in an `a && b` list a failing `a` would be skipped over silently).
 */
export function deviceNodeOnce(node: string, major: number, minor: number, group: string | null): string {
  const q = quoteShellWord;
  const owner = group ? ` chgrp ${q(group)} ${q(node)}; chmod 660 ${q(node)};` : '';
  return `[ -c ${q(node)} ] || { rm -f ${q(node)}; mknod ${q(node)} c ${major} ${minor};${owner} }`;
}

/** Writes VALUE into one or more sysfs/procfs files (tee takes several files at once). */
export function writeFileStep(files: string[], value: string): FixStep {
  return { argv: ['tee', ...files], input: `${value}\n` };
}

interface FixParts {
  /** Runtime steps kvm-tui could run; when given, `runtime` text is derived from them. */
  steps?: FixStep[];
  /** Runtime shell lines for changes kvm-tui will not run itself (need a judgement). */
  runtime?: string[];
  persistent?: string[];
  needsRoot?: boolean;
  reboot?: boolean;
  /** Whether `steps` are a reversible runtime change the UI may apply after confirmation. */
  applicable?: boolean;
  note?: string;
}

export function makeFix(parts: FixParts): Fix {
  const steps = parts.steps ?? [];
  return {
    runtime: [...steps.map(stepToShell), ...(parts.runtime ?? [])],
    persistent: parts.persistent ?? [],
    needsRoot: parts.needsRoot ?? true,
    reboot: parts.reboot ?? false,
    applicable: (parts.applicable ?? false) && steps.length > 0,
    apply: parts.applicable ? steps : [],
    ...(parts.note ? { note: parts.note } : {}),
  };
}

/**
 * A line added to a config file only when the file does not hold it yet, so running the fix
 * script twice leaves one line (`grep -qxF` matches the whole line, literally).
 * @example appendLineOnce('/etc/fstab', 'none /sys/fs/cgroup cgroup2 defaults 0 0')
 */
export function appendLineOnce(file: string, line: string): string {
  const q = quoteShellWord;
  return `grep -qxF -- ${q(line)} ${q(file)} 2>/dev/null || echo ${q(line)} >> ${q(file)}`;
}

/**
 * A mount made only where nothing is mounted yet (a second run of the script does nothing).
 * mkdir and mount are separate commands in the braces: under `set -e` a failing mkdir stops
 * the script instead of silently skipping the mount (as `mkdir && mount` would).
 */
export function mountOnce(target: string, mountArgs: string[]): string {
  const q = quoteShellWord;
  return `mountpoint -q ${q(target)} || { mkdir -p ${q(target)}; mount ${mountArgs.map(q).join(' ')} ${q(target)}; }`;
}

/** A whole file written with one line (idempotent by nature: the same content each run). */
export function writeLineTo(file: string, line: string): string {
  return `echo ${quoteShellWord(line)} > ${quoteShellWord(file)}`;
}

/**
 * A config file of one line, its directory made first: /etc/modules-load.d or
 * /etc/udev/rules.d is absent on hosts without systemd or udev, and `echo > FILE` would then
 * stop a `set -e` script. Same content each run.
 * @example writeConfigLine('/etc/sysctl.d/80-x.conf', 'vm.swappiness = 10')
 *   // mkdir -p /etc/sysctl.d; echo 'vm.swappiness = 10' > /etc/sysctl.d/80-x.conf
 */
export function writeConfigLine(file: string, line: string): string {
  const dir = file.slice(0, file.lastIndexOf('/')) || '/';
  return `mkdir -p ${quoteShellWord(dir)}; ${writeLineTo(file, line)}`;
}

/**
 * A script line that cannot work on this host, kept as an instruction with the reason, so the
 * script shows it but never runs it.
 * @example notHere('no /proc/modules', 'modprobe tun') // "# not on this host (no /proc/modules): modprobe tun"
 */
export function notHere(reason: string, line: string): string {
  return `# not on this host (${reason}): ${line}`;
}

/**
 * Loads a kernel module now (modprobe, skipped when loaded) and at every boot
 * (/etc/modules-load.d/BOOTFILE.conf). `blocked` (see moduleLoadingBlocked) comments the
 * modprobe out with the reason; on a kernel without module support the boot file is useless
 * too and is commented out as well. `applicable`: the UI may run the modprobe after confirmation.
 */
export function loadModuleFix(
  module: string,
  options: { bootFile?: string; applicable: boolean; blocked?: string | null; note?: string },
): Fix {
  const step = modprobeStep(module);
  const bootLine = writeConfigLine(`/etc/modules-load.d/${options.bootFile ?? module}.conf`, module);
  const blocked = options.blocked ?? null;
  if (blocked === null) return makeFix({ steps: [step], persistent: [bootLine], applicable: options.applicable, note: options.note });
  const noModules = blocked.includes('/proc/modules');
  return makeFix({
    runtime: [notHere(blocked, stepToShell(step))],
    persistent: [noModules ? notHere(blocked, bootLine) : bootLine],
    note: options.note,
  });
}

/** Package names per distribution family for one thing to install. */
export type PackagesByFamily = Record<DistroFamily, string[]>;

const INSTALL_COMMAND: Record<DistroFamily, string[]> = {
  debian: ['apt-get', 'install', '-y', '--no-install-recommends'],
  fedora: ['dnf', 'install', '-y'],
  suse: ['zypper', '--non-interactive', 'install'],
  arch: ['pacman', '-S', '--needed', '--noconfirm'],
};

const FAMILY_LABEL: Record<DistroFamily, string> = { debian: 'Debian/Ubuntu', fedora: 'Fedora/RHEL', suse: 'openSUSE/SLES', arch: 'Arch' };

/**
 * Installs packages with the detected distribution's package manager, only the one command,
 * guarded by `present` (a shell test that succeeds once the thing is installed, e.g.
 * `command -v numactl >/dev/null 2>&1`), so a second run installs nothing. Where the
 * distribution is unknown every family's command is an instruction to pick from.
 */
export function installFix(distro: Distro, present: string, packages: PackagesByFamily, options: { note?: string } = {}): Fix {
  const command = (family: DistroFamily) => [...INSTALL_COMMAND[family], ...packages[family]].map(quoteShellWord).join(' ');
  if (distro.family !== null) {
    const from = `${distro.name ?? distro.id ?? distro.family} (${distro.source})`;
    return makeFix({ runtime: [`${present} || ${command(distro.family)}`], note: [options.note, `for ${from}`].filter(Boolean).join('; ') });
  }
  const why = distro.id ? `distribution "${distro.id}" has no known package commands (${distro.source})` : `distribution unknown (${distro.source})`;
  return makeFix({
    runtime: (Object.keys(INSTALL_COMMAND) as DistroFamily[]).map((family) => `# ${FAMILY_LABEL[family]}: ${present} || ${command(family)}`),
    note: [options.note, `${why}: uncomment the line for yours`].filter(Boolean).join('; '),
  });
}

/**
 * The CLI contract's `fix` string: runtime and persistent parts on their own lines, flagged
 * when root or a reboot is needed.
 */
export function fixText(fix: Fix | null): string | null {
  if (fix === null) return null;
  const root = fix.needsRoot ? ' (as root)' : '';
  const lines: string[] = [];
  if (fix.runtime.length > 0) lines.push(`now${root}: ${fix.runtime.join(' && ')}`);
  if (fix.persistent.length > 0) {
    lines.push(`persistent${root}${fix.reboot ? ', then reboot' : ''}: ${fix.persistent.join('; ')}`);
  } else if (fix.reboot) {
    lines.push('then reboot');
  }
  if (fix.note) lines.push(fix.note);
  return lines.join('\n');
}
