/**
 * Building and showing fixes. A fix's runtime commands are written once, as argv steps, and the
 * shell text the user reads is derived from them, so what the checklist shows before "apply" is
 * exactly what it runs.
 */
import { quoteShellWord } from '../shared/shell-quote.js';
import type { Fix, FixStep } from './types.js';

/** Shell text of one step: `echo VALUE | tee FILE` for a step fed stdin, else the quoted argv. */
export function stepToShell(step: FixStep): string {
  const command = step.argv.map(quoteShellWord).join(' ');
  if (step.input === undefined) return command;
  return `echo ${quoteShellWord(step.input.replace(/\n$/, ''))} | ${command} >/dev/null`;
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

/** A mount made only where nothing is mounted yet (a second run of the script does nothing). */
export function mountOnce(target: string, mountArgs: string[]): string {
  const q = quoteShellWord;
  return `mountpoint -q ${q(target)} || { mkdir -p ${q(target)} && mount ${mountArgs.map(q).join(' ')} ${q(target)}; }`;
}

/** A whole file written with one line (idempotent by nature: the same content each run). */
export function writeLineTo(file: string, line: string): string {
  return `echo ${quoteShellWord(line)} > ${quoteShellWord(file)}`;
}

/**
 * Loads a kernel module now (modprobe) and at every boot (/etc/modules-load.d/BOOTFILE.conf).
 * `applicable`: the UI may run the modprobe after confirmation.
 */
export function loadModuleFix(module: string, options: { bootFile?: string; applicable: boolean; note?: string }): Fix {
  return makeFix({
    steps: [{ argv: ['modprobe', module] }],
    persistent: [writeLineTo(`/etc/modules-load.d/${options.bootFile ?? module}.conf`, module)],
    applicable: options.applicable,
    note: options.note,
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
