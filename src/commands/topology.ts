import { allowOnly, maxPositionals } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { readTopology, TopologyError, topologyToJson } from '../host/topology.js';
import { formatTopologyTree } from '../host/topology-text.js';

export async function runTopology(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, ['json']);
  maxPositionals(ctx.args, 0, 'no arguments');
  let topology;
  try {
    topology = readTopology(ctx.hostFs);
  } catch (error) {
    if (error instanceof TopologyError) throw new UsageError(error.message);
    throw error;
  }
  if (ctx.args.values.json) {
    ctx.stdout(JSON.stringify(topologyToJson(topology), null, 2) + '\n');
  } else {
    ctx.stdout(formatTopologyTree(topology, process.stdout.columns || 80));
  }
  return 0;
}
