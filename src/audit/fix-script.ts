/**
 * The fix script: every fix of the audit in one shell file for the user to review and run.
 * Persistent changes live only here; kvm-tui never applies them itself. It must run as written
 * (`set -eu`): only the detected distribution's package command is live, a command that cannot
 * work on this host stays a comment with the reason, and every live line is idempotent (a guard
 * such as `mountpoint -q DIR ||`, or a write of fixed content), which test/audit/fix-script.test.ts
 * checks by running it twice against a fake root. The file is written
 * with the one atomic write (src/run/atomic-write.ts): never over an existing file unless asked
 * to, never over anything but a regular file.
 */
import { ActionError } from '../errors.js';
import { writeFileAtomic, WriteTargetError } from '../run/atomic-write.js';
import { commentText } from '../shared/shell-quote.js';
import type { CheckResult } from './types.js';

export const DEFAULT_FIX_SCRIPT = 'kvm-tui-fixes.sh';

export function buildFixScript(results: readonly CheckResult[], generatedAt: Date = new Date()): string {
  const withFix = results.filter((result) => result.fix !== null && result.status !== 'pass');
  const lines = [
    '#!/bin/sh',
    `# kvm-tui host fixes, generated ${generatedAt.toISOString()}.`,
    '# REVIEW BEFORE RUNNING: each block says what the audit found. "Now" commands change the',
    '# running system; "persistent" ones survive a reboot. Lines starting with # are instructions',
    '# ("# not on this host (why)" marks a command that cannot work here). Each command first checks',
    '# whether its change is already in place, so running the script again changes nothing.',
    '# Delete the blocks you do not want.',
    'set -eu',
    '',
  ];
  if (withFix.length === 0) lines.push('# nothing to fix: no check has a fix', '');
  // A command two checks share (the cpuset mount) runs once: later copies stay as comments.
  const seen = new Set<string>();
  for (const result of withFix) {
    const fix = result.fix!;
    const flags = [fix.needsRoot ? 'needs root' : null, fix.reboot ? 'reboot needed' : null].filter(Boolean).join(', ');
    lines.push(`# --- ${result.id} [${result.status}] ${commentText(result.title)}${flags ? ` (${flags})` : ''}`);
    lines.push(`# found: ${commentText(oneLine(result.evidence))}`);
    if (fix.note) lines.push(`# note: ${commentText(oneLine(fix.note))}`);
    // Warn/fail fixes are live lines; the rest (info: trade-offs such as nested=1 or KSM off)
    // stay commented out so running the script unreviewed changes only what the audit flagged.
    const optional = result.status !== 'warn' && result.status !== 'fail';
    const emit = (line: string) => {
      if (line.startsWith('#')) return commentText(line);
      if (optional) return `# ${commentText(line)}`;
      if (seen.has(line)) return `# (already above) ${commentText(line)}`;
      seen.add(line);
      return line;
    };
    if (optional) lines.push('# optional (not a problem): uncomment to apply');
    if (fix.runtime.length > 0) {
      lines.push('# now:');
      lines.push(...fix.runtime.map(emit));
    }
    if (fix.persistent.length > 0) {
      lines.push('# persistent:');
      lines.push(...fix.persistent.map(emit));
    }
    lines.push('');
  }
  return lines.join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * Writes the script with mode 0755. Throws an ActionError with code "exists" when the file is
 * there and `overwrite` is false, so the caller can ask first.
 */
export function writeFixScript(file: string, content: string, options: { overwrite?: boolean } = {}): string {
  try {
    return writeFileAtomic(file, content, { mode: 0o755, overwrite: options.overwrite === true });
  } catch (error) {
    if (error instanceof WriteTargetError && error.refusal === 'exists') throw new FixScriptExists(error.target);
    throw error;
  }
}

export class FixScriptExists extends ActionError {
  constructor(readonly target: string) {
    super(`${target} already exists`, 'confirm to overwrite it, or choose another path');
  }
}
