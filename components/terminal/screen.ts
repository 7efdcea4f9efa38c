/**
 * Terminal manners shared by the interactive entries (the wizard, the monitor): the alternate
 * screen (the user's scrollback stays as it was, and the prompt comes back on a fresh line), and
 * colour off when asked (--no-color, NO_COLOR, TERM=dumb, not a terminal): chalk, which Ink draws
 * with, is told once, so every screen is plain. Marks never rely on colour alone.
 */
import chalk from 'chalk';

/** Switch to the alternate screen, clear it and home the cursor (it keeps the shell's position). */
export const ALT_SCREEN_ON = '\u001B[?1049h\u001B[2J\u001B[H';
/** Back to the main screen, cursor where the shell left it; show the cursor; autowrap on (the live pane turns it off). */
export const ALT_SCREEN_OFF = '\u001B[?1049l\u001B[?25h\u001B[?7h';

export function applyColorChoice(color: boolean): void {
  if (!color) chalk.level = 0;
}
