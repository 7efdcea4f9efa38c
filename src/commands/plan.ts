import type { CommandContext } from '../context.js';
import { ActionError } from '../errors.js';

// Placeholder until this command lands; replaced by its implementation.
export async function runPlan(_ctx: CommandContext): Promise<number> {
  throw new ActionError('plan: not implemented yet');
}
