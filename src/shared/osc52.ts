/**
 * OSC 52: the terminal's own clipboard, set by an escape sequence (works over SSH and inside tmux
 * with set-clipboard on). Many terminals ignore it or cap its size, so callers say it may not
 * have worked: there is no answer to check.
 */

/**
 * The sequence that asks the terminal to put `text` on the clipboard: ESC ] 52 ; c ; base64 BEL.
 * @example osc52Copy('hi') // '\u001B]52;c;aGk=\u0007'
 */
export function osc52Copy(text: string): string {
  return `\u001B]52;c;${Buffer.from(text, 'utf8').toString('base64')}\u0007`;
}
