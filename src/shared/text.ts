/** Plain-text layout shared by the screens and the printed commands. */

/**
 * Word wrap at spaces. Continuation lines get `indent`. A word longer than the width is cut
 * (`longWords: 'cut'`, for panes that must not overflow) or kept whole on its own line
 * (`'overflow'`, for printed text where a path must stay copyable). Always at least one line.
 */
export function wrapText(text: string, width: number, indent = '', longWords: 'cut' | 'overflow' = 'cut'): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const prefix = lines.length === 0 && line === '' ? '' : line === '' ? indent : '';
    const candidate = line === '' ? `${prefix}${word}` : `${line} ${word}`;
    if (candidate.length <= width) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    let rest = `${lines.length === 0 ? '' : indent}${word}`;
    while (longWords === 'cut' && rest.length > width) {
      lines.push(rest.slice(0, width));
      rest = indent + rest.slice(width);
    }
    line = rest;
  }
  if (line !== '') lines.push(line);
  return lines.length > 0 ? lines : [''];
}

/** Text from another host or process for the terminal: each control character becomes "?". */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
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
