/**
 * The one quoting function for everything kvm-tui shows as shell text (the QEMU preview, the pin
 * script). POSIX single quotes are the only quoting with no special characters inside, so any
 * byte string (quotes, `$()`, backslashes, newlines, unicode) round-trips exactly; a single quote
 * itself is closed, escaped and reopened: `'\''`.
 *
 * @example quoteShellWord("it's") // 'it'\''s'
 * @example quoteShellWord("-smp") // -smp (no quotes needed)
 */

/** Characters that mean nothing to bash in an argument (Python's shlex.quote uses the same set). */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** `NAME=value` as the first word of a command is an assignment, not a program. */
const LOOKS_LIKE_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Quotes a word for use as an argument or an assignment's value (not as a command name: see quoteShellCommand). */
export function quoteShellWord(word: string): string {
  if (word.includes('\0')) {
    // No shell (and no execve) can carry a NUL inside an argument: refuse rather than truncate.
    throw new Error('a shell word cannot contain a NUL byte');
  }
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes the program word of a command: also quotes `NAME=value`, which bash would take as an assignment. */
export function quoteShellCommand(word: string): string {
  const quoted = quoteShellWord(word);
  return quoted === word && LOOKS_LIKE_ASSIGNMENT.test(word) ? `'${word}'` : quoted;
}

/**
 * Groups an argv into display lines: the program alone, then each option with its value (an
 * option is a word starting with "-"; the word after it is its value unless it is an option
 * too). Every word is quoted, so the lines joined by spaces are the exact command.
 */
export function formatArgLines(argv: readonly string[]): string[] {
  if (argv.length === 0) return [];
  const lines = [quoteShellCommand(argv[0]!)];
  let i = 1;
  while (i < argv.length) {
    const word = argv[i]!;
    const next = argv[i + 1];
    if (word.startsWith('-') && next !== undefined && !next.startsWith('-')) {
      lines.push(`${quoteShellWord(word)} ${quoteShellWord(next)}`);
      i += 2;
    } else {
      lines.push(quoteShellWord(word));
      i += 1;
    }
  }
  return lines;
}

/** The argv as one shell command, one option per line with backslash continuations. */
export function formatShellPreview(argv: readonly string[]): string {
  return formatArgLines(argv).join(' \\\n  ') + '\n';
}

/**
 * Text for a shell comment (`# ...`): control characters (a newline would end the comment and
 * make the rest a command) and the Unicode line separators are written as escapes, so a hostile
 * host string or path stays inside its comment.
 * @example commentText("a\nrm -rf /") // "a\\nrm -rf /"
 */
export function commentText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (char) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    const code = char.charCodeAt(0);
    return named[char] ?? (code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`);
  });
}
