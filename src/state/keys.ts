/**
 * A key press as the reducers see it: the shape of Ink's `useInput` arguments, without Ink, so
 * the state modules stay pure and tests build keys as plain data.
 */
export interface KeyPress {
  input: string;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  tab?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

/**
 * A slow frame lets typed keys pile up and arrive as one chunk ("jjj"): each printable character
 * is its own key. Anything else (an arrow, Enter, a control key) is one key as it came.
 */
export function splitKeyChunk(key: KeyPress): KeyPress[] {
  const plainChars = key.input.length > 1 && !key.ctrl && !key.meta && !key.escape && !key.return && /^[\x20-\x7e]+$/.test(key.input);
  if (!plainChars) return [key];
  return [...key.input].map((char) => ({ ...key, input: char, return: false }));
}

/** A key from a plain string ("j", "\r" = Enter, "\u001B" = Esc), for tests and scripted input. */
export function keyOf(input: string, flags: Omit<KeyPress, 'input'> = {}): KeyPress {
  if (input === '\r') return { input: '', return: true, ...flags };
  if (input === '\u001B') return { input: '', escape: true, ...flags };
  return { input, ...flags };
}
