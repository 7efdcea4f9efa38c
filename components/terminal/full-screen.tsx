/**
 * Runs an Ink app on the alternate screen until it exits, the way both interactive entries (the
 * wizard, the monitor) need it: colour as chosen, an error boundary, no Ink Ctrl-C handling (the
 * app decides its exit status), and the terminal given back on every way out, a SIGTERM or
 * SIGHUP included.
 */
import React from 'react';
import { render } from 'ink';
import type { CommandContext } from '../../src/context.js';
import { ErrorBoundary } from '../ErrorBoundary.js';
import { ALT_SCREEN_OFF, ALT_SCREEN_ON, applyColorChoice } from './screen.js';

type Streams = NonNullable<CommandContext['terminal']['streams']>;

export interface FullScreenOptions {
  /** Where Ink draws instead of the terminal (a sink, when the app draws the screen itself). */
  inkStdout?: NodeJS.WriteStream;
}

export async function runFullScreen(ctx: CommandContext, ui: Streams, app: React.ReactElement, options: FullScreenOptions = {}): Promise<void> {
  applyColorChoice(ctx.color);
  ui.stdout.write(ALT_SCREEN_ON);
  let untrap: (() => void) | null = null;
  const restoreWrite = keepScrollback(ui.stdout);
  try {
    const instance = render(<ErrorBoundary>{app}</ErrorBoundary>, { stdin: ui.stdin, stdout: options.inkStdout ?? ui.stdout, stderr: ui.stderr, exitOnCtrlC: false });
    // Killed or hung up: raw mode off and the main screen back before the process ends.
    untrap = ctx.trapSignals(async () => {
      instance.unmount();
      ui.stdout.write(ALT_SCREEN_OFF);
    });
    // A render error ends the app with that error (after Ink restored the terminal); main()
    // reports it on stderr with its hint and exit code.
    await instance.waitUntilExit();
  } finally {
    untrap?.();
    restoreWrite();
    ui.stdout.write(ALT_SCREEN_OFF);
  }
}

/** "Erase saved lines": Ink sends it (in its clearTerminal) whenever a frame fills the terminal. */
export const CLEAR_SCROLLBACK = '\u001B[3J';

/**
 * Ink clears the terminal with ESC[2J ESC[3J ESC[H when a frame is as tall as the terminal; the
 * 3J erases the user's scrollback (xterm, tmux and most emulators apply it on the alternate
 * screen too). On the alternate screen 2J and H alone redraw the same, so every write drops 3J.
 * Returns the function that puts the stream's own write back.
 */
export function keepScrollback(stream: NodeJS.WriteStream): () => void {
  const own = stream.write;
  const filtered = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const text = typeof chunk === 'string' ? chunk.split(CLEAR_SCROLLBACK).join('') : chunk;
    return (own as (...args: unknown[]) => boolean).call(this, text, ...rest);
  };
  stream.write = filtered as typeof stream.write;
  return () => {
    if (stream.write === filtered) stream.write = own;
  };
}
