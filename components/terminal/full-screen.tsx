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

export async function runFullScreen(ctx: CommandContext, ui: Streams, app: React.ReactElement): Promise<void> {
  applyColorChoice(ctx.color);
  ui.stdout.write(ALT_SCREEN_ON);
  let untrap: (() => void) | null = null;
  try {
    const instance = render(<ErrorBoundary>{app}</ErrorBoundary>, { stdin: ui.stdin, stdout: ui.stdout, stderr: ui.stderr, exitOnCtrlC: false });
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
    ui.stdout.write(ALT_SCREEN_OFF);
  }
}
