/**
 * The wizard's real services (src/app/wizard-services.ts) on a captured host: what the
 * interactive app gets from the composition root, with output captured and no terminal. Commands
 * are refused (a captured host never runs any), presets are the built-in ones only.
 */
import { buildWizardServices, type WizardServices } from '../../src/app/wizard-services.js';
import type { CommandContext } from '../../src/context.js';
import { HostFs } from '../../src/host/host-fs.js';
import { listPresets } from '../../src/spec/presets.js';
import { makeTestServices } from './test-services.js';

export const BUILTIN_PRESETS_ONLY = { userDir: '/nonexistent/kvm-tui-presets' };

export function capturedHostContext(root: string): CommandContext {
  return {
    ...makeTestServices({ run: async (argv) => { throw new Error(`a captured host runs no commands (asked: ${argv.join(' ')})`); } }),
    args: { command: null, positionals: [], values: {} },
    hostFs: new HostFs(root),
    capturedRoot: true,
    color: false,
    connectUri: null,
    debug: false,
  };
}

export function capturedHostServices(root: string): WizardServices {
  return { ...buildWizardServices(capturedHostContext(root)), presets: listPresets(BUILTIN_PRESETS_ONLY) };
}
