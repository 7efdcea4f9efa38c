import { allowOnly, maxPositionals } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { topologyToJson } from '../host/topology.js';
import { readCommandTopology } from './host-topology.js';
import { formatTopologyTree } from '../host/topology-text.js';

export async function runTopology(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, ['json']);
  maxPositionals(ctx.args, 0, 'no arguments');
  // The libvirt reader (and its XML parser) loads only for --connect: the light start-up stays light.
  const topology = ctx.connectUri === null ? readCommandTopology(ctx.hostFs) : (await (await import('../backend/host-backend.js')).openHostBackend(ctx, 'topology')).topology();
  if (ctx.args.values.json) {
    ctx.stdout(JSON.stringify(topologyToJson(topology), null, 2) + '\n');
  } else {
    ctx.stdout(formatTopologyTree(topology, ctx.terminal.columns ?? 80));
  }
  return 0;
}
