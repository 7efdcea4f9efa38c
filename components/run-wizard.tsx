/**
 * Interactive entry: builds the wizard's services from the command context, reads the host
 * through them (a bad --root is a typed error with a hint, reported before any frame), then
 * renders the wizard inside an error boundary. Loaded lazily by src/cli.tsx so non-interactive
 * commands never load Ink or React.
 */
import React from 'react';
import { render } from 'ink';
import { buildWizardServices } from '../src/app/wizard-services.js';
import type { CommandContext } from '../src/context.js';
import { UsageError } from '../src/errors.js';
import { ErrorBoundary } from './ErrorBoundary.js';
import { Wizard } from './Wizard.js';

export async function runWizard(ctx: CommandContext): Promise<number> {
  const ui = ctx.terminal.streams;
  if (!ui || !ctx.terminal.stdinIsTty || !ctx.terminal.stdoutIsTty) {
    throw new UsageError('the wizard needs an interactive terminal; for scripts use a subcommand (kvm-tui --help)');
  }
  const services = buildWizardServices(ctx);
  const host = services.readHost();
  const instance = render(
    <ErrorBoundary>
      <Wizard services={services} host={host} />
    </ErrorBoundary>,
    { stdin: ui.stdin, stdout: ui.stdout, stderr: ui.stderr, exitOnCtrlC: true },
  );
  // A render error ends the app with that error (after Ink restored the terminal); main()
  // reports it on stderr with its hint and exit code.
  await instance.waitUntilExit();
  return 0;
}
