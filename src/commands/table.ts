/**
 * Every command in one table, read by the CLI (to dispatch) and by scripts/build.mjs (to decide
 * what goes into the light start-up code and what into an embedded bundle loaded on first use).
 * Adding a command is adding one row here; a row's `file` and its `load` must name the same
 * module (test/commands/table.test.ts checks it).
 *
 * `bundle: null` = light: the code is in the start-up file (only plain modules; no Ink, no zod,
 * no XML builder). Otherwise the name of the embedded bundle holding it.
 */
import type { CommandRunner } from '../context.js';

export interface CommandEntry {
  /** The subcommand word; '' is the interactive app (no subcommand). */
  name: string;
  /** The module, from the project root. */
  file: string;
  exportName: string;
  bundle: string | null;
  load: () => Promise<CommandRunner>;
}

export const COMMAND_TABLE: readonly CommandEntry[] = [
  { name: 'topology', file: 'src/commands/topology.ts', exportName: 'runTopology', bundle: null, load: async () => (await import('./topology.js')).runTopology },
  { name: 'dump-host', file: 'src/commands/dump-host.ts', exportName: 'runDumpHost', bundle: null, load: async () => (await import('./dump-host.js')).runDumpHost },
  { name: 'audit', file: 'src/commands/audit.ts', exportName: 'runAudit', bundle: null, load: async () => (await import('./audit.js')).runAudit },
  { name: 'presets', file: 'src/commands/presets.ts', exportName: 'runPresets', bundle: 'presets', load: async () => (await import('./presets.js')).runPresets },
  { name: 'plan', file: 'src/commands/plan.ts', exportName: 'runPlan', bundle: 'plan', load: async () => (await import('./plan.js')).runPlan },
  { name: 'generate', file: 'src/commands/generate.ts', exportName: 'runGenerate', bundle: 'generate', load: async () => (await import('./generate.js')).runGenerate },
  { name: 'launch', file: 'components/run-monitor.tsx', exportName: 'runLaunchCommand', bundle: 'live', load: async () => (await import('../../components/run-monitor.js')).runLaunchCommand },
  { name: 'monitor', file: 'components/run-monitor.tsx', exportName: 'runMonitorCommand', bundle: 'live', load: async () => (await import('../../components/run-monitor.js')).runMonitorCommand },
  { name: 'status', file: 'src/commands/status.ts', exportName: 'runStatus', bundle: 'vms', load: async () => (await import('./status.js')).runStatus },
  { name: 'stop', file: 'src/commands/stop.ts', exportName: 'runStop', bundle: 'vms', load: async () => (await import('./stop.js')).runStop },
  { name: '', file: 'components/run-wizard.tsx', exportName: 'runWizard', bundle: 'wizard', load: async () => (await import('../../components/run-wizard.js')).runWizard },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMAND_TABLE.find((entry) => entry.name === name);
}
