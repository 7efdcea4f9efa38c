/**
 * Interactive entry: builds the wizard's services from the command context, reads the host
 * through them (a bad --root is a typed error with a hint, reported before any frame), then
 * renders the wizard inside an error boundary. Loaded lazily by src/cli.tsx so non-interactive
 * commands never load Ink or React.
 */
import React from 'react';
import { buildWizardServices } from '../src/app/wizard-services.js';
import type { CommandContext } from '../src/context.js';
import { allowOnly, maxPositionals } from '../src/cli-args.js';
import { UsageError } from '../src/errors.js';
import { presetFromSpecFile } from '../src/spec/resolve.js';
import { Wizard } from './Wizard.js';
import { runFullScreen } from './terminal/full-screen.js';

export async function runWizard(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, ['spec']);
  maxPositionals(ctx.args, 0, 'no arguments (kvm-tui --help lists the commands)');
  const specFile = ctx.args.values.spec;
  if (specFile !== undefined && (typeof specFile !== 'string' || specFile === '')) throw new UsageError('--spec needs a file path (given once)');
  const ui = ctx.terminal.streams;
  if (!ui || !ctx.terminal.stdinIsTty || !ctx.terminal.stdoutIsTty) {
    throw new UsageError('the wizard needs an interactive terminal; for scripts use a subcommand (kvm-tui --help)');
  }
  const base = buildWizardServices(ctx);
  // `kvm-tui --spec FILE`: the wizard opens on that spec, as a preset of its own, first.
  const fromFile = typeof specFile === 'string' ? presetFromSpecFile(specFile) : null;
  const services = fromFile ? { ...base, presets: [fromFile, ...base.presets] } : base;
  const host = services.readHost();
  let code = 0;
  const launched: string[] = [];
  await runFullScreen(
    ctx,
    ui,
    <Wizard services={services} host={host} color={ctx.color} initialPresetName={fromFile?.name} onExit={(status) => (code = status)} onLaunched={(name) => launched.push(name)} />,
  );
  // Back on the main screen, a line that outlives the app: what still runs, and how to get back.
  for (const name of launched) {
    const quoted = JSON.stringify(name);
    ctx.stdout(`VM ${quoted} keeps running: kvm-tui monitor ${quoted} watches it again, kvm-tui stop ${quoted} stops it\n`);
  }
  return code;
}
