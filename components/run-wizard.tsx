/**
 * Interactive entry: gathers host data through the command context, then renders the wizard.
 * Loaded lazily by src/cli.tsx so non-interactive commands never load Ink or React.
 */
import React from 'react';
import { render } from 'ink';
import type { CommandContext } from '../src/context.js';
import { UsageError } from '../src/errors.js';
import { readTopology } from '../src/host/topology.js';
import { summarizeTopology } from '../src/host/topology-text.js';
import { App, type WizardScreen } from './App.js';
import { CoreMap } from './CoreMap.js';

export async function runWizard(ctx: CommandContext): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new UsageError('the wizard needs an interactive terminal; for scripts use a subcommand (kvm-tui --help)');
  }
  const topology = readTopology(ctx.hostFs);
  const screens: WizardScreen[] = [
    {
      id: 'topology',
      title: 'Topology',
      render: ({ width, height }) => <CoreMap topology={topology} width={width} height={height} />,
    },
  ];
  const instance = render(<App hostSummary={summarizeTopology(topology)} screens={screens} />, { exitOnCtrlC: true });
  await instance.waitUntilExit();
  return 0;
}
