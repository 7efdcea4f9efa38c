/** Plain-text layout shared by the screens and the printed commands. */

export interface WrapOptions {
  /**
   * Keep the text's own spacing: its leading indent and the runs of spaces between columns
   * (the topology tree). Default: white space collapses to single spaces.
   */
  keepSpacing?: boolean;
  /** Break after a comma too, as inside a long CPU list (`0-3,8-11,16-19`). */
  breakAfterComma?: boolean;
}

/**
 * Word wrap at spaces (and, with `breakAfterComma`, after commas). Continuation lines get
 * `indent`. A word longer than the width is cut (`longWords: 'cut'`, for panes that must not
 * overflow) or kept whole on its own line (`'overflow'`, for printed text where a path or a
 * number must stay copyable). Always at least one line.
 *
 * @example wrapText('cpus 0-3,8-11,16-19', 12, '  ', 'overflow', { breakAfterComma: true })
 *   // ['cpus 0-3,', '  8-11,16-19']
 */
export function wrapText(text: string, width: number, indent = '', longWords: 'cut' | 'overflow' = 'cut', options: WrapOptions = {}): string[] {
  const canBreak = (line: string, position: number) => line[position] === ' ' || (options.breakAfterComma === true && line[position - 1] === ',');
  let rest = options.keepSpacing ? text : text.split(/\s+/).filter(Boolean).join(' ');
  const lines: string[] = [];
  // The line's own indent (the first line's leading spaces, then `indent`) is never a break.
  let indentLength = rest.length - rest.trimStart().length;
  while (rest.length > width) {
    let cut = -1;
    for (let position = width; position > indentLength; position--) {
      if (canBreak(rest, position)) {
        cut = position;
        break;
      }
    }
    if (cut === -1 && longWords === 'cut') {
      lines.push(rest.slice(0, width));
      rest = indent + rest.slice(width);
      indentLength = indent.length;
      continue;
    }
    if (cut === -1) {
      // The word is longer than the line: whole on its own, up to the next place to break.
      for (let position = width + 1; position < rest.length; position++) {
        if (canBreak(rest, position)) {
          cut = position;
          break;
        }
      }
      if (cut === -1) break;
    }
    lines.push(rest.slice(0, cut).trimEnd());
    rest = indent + rest.slice(cut).trimStart();
    indentLength = indent.length;
  }
  lines.push(rest);
  return lines;
}

/** Text from another host or process for the terminal: each control character becomes "?". */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** The first of `forms` (widest first) that fits `width` columns, else the last (the shortest). */
export function widestThatFits(forms: readonly string[], width: number): string {
  return forms.find((form) => [...form].length <= width) ?? forms.at(-1) ?? '';
}

/** Cut to `width` with an ellipsis, or pad to it. */
export function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** Characters outside XML 1.0's Char production: U+FFFE, U+FFFF and unpaired surrogates. */
const NOT_XML_RE = /[\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether the text holds a character no XML document can (libvirt's domain XML must hold names). */
export function hasNonXmlChar(text: string): boolean {
  return NOT_XML_RE.test(text);
}
