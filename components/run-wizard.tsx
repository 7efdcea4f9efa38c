/** Interactive entry: until the wizard lands, shows the topology view. */
import type { CommandContext } from '../src/context.js';
import { readTopology } from '../src/host/topology.js';
import { formatTopologyTree } from '../src/host/topology-text.js';

export async function runWizard(ctx: CommandContext): Promise<number> {
  ctx.stdout(formatTopologyTree(readTopology(ctx.hostFs), process.stdout.columns || 80));
  return 0;
}
