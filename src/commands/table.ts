/**
 * Every command in one table, read by the CLI to dispatch. Adding a command is adding one row.
 *
 * Each command module is a dynamic import, so a process loads only the command it runs: in the
 * build (scripts/build.mjs) each is a file of its own in dist/lib/, with the code commands share in
 * shared chunks, and the start-up file is the dispatcher alone. Never import a command module
 * statically from the CLI's start-up path (test/package/no-ink-on-commands.test.ts checks it).
 */
import type { CommandRunner } from '../context.js';

export interface CommandEntry {
  /** The subcommand word; '' is the interactive app (no subcommand). */
  name: string;
  load: () => Promise<CommandRunner>;
}

export const COMMAND_TABLE: readonly CommandEntry[] = [
  { name: 'topology', load: async () => (await import('./topology.js')).runTopology },
  { name: 'dump-host', load: async () => (await import('./dump-host.js')).runDumpHost },
  { name: 'audit', load: async () => (await import('./audit.js')).runAudit },
  { name: 'presets', load: async () => (await import('./presets.js')).runPresets },
  { name: 'plan', load: async () => (await import('./plan.js')).runPlan },
  { name: 'generate', load: async () => (await import('./generate.js')).runGenerate },
  { name: 'launch', load: async () => (await import('../../components/run-monitor.js')).runLaunchCommand },
  { name: 'monitor', load: async () => (await import('../../components/run-monitor.js')).runMonitorCommand },
  { name: 'status', load: async () => (await import('./status.js')).runStatus },
  { name: 'stop', load: async () => (await import('./stop.js')).runStop },
  { name: '', load: async () => (await import('../../components/run-wizard.js')).runWizard },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMAND_TABLE.find((entry) => entry.name === name);
}
