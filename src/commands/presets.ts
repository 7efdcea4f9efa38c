import type { CommandContext } from '../context.js';
import { ActionError } from '../errors.js';

// Placeholder until this command lands; replaced by its implementation.
export async function runPresets(_ctx: CommandContext): Promise<number> {
  throw new ActionError('presets: not implemented yet');
}
