import { allowOnly, maxPositionals } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { topologyToJson } from '../host/topology.js';
import { readCommandTopology } from './host-topology.js';
import { formatHeldCpus, formatTopologyTree } from '../host/topology-text.js';

export async function runTopology(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, ['json']);
  maxPositionals(ctx.args, 0, 'no arguments');
  // The libvirt reader (and its XML parser) loads only for --connect: the light start-up stays light.
  const host = ctx.connectUri === null ? null : await (await import('../backend/host-backend.js')).openHostBackend(ctx, 'topology');
  const topology = host === null ? readCommandTopology(ctx.hostFs) : host.topology();
  if (ctx.args.values.json) {
    ctx.stdout(JSON.stringify(topologyToJson(topology), null, 2) + '\n');
  } else {
    ctx.stdout(formatTopologyTree(topology, ctx.terminal.columns ?? 80));
    // What other VMs hold: kvm-tui's own on this host, or the libvirt host's running domains.
    const found = host === null ? (await import('./live.js')).heldOnThisHost(ctx, topology.online) : { held: await host.taken(), floating: [] };
    const lines = formatHeldCpus(found.held);
    if (lines.length > 0) ctx.stdout(`held by running VMs (a plan leaves these CPUs alone):\n${lines.join('\n')}\n`);
    if (found.floating.length > 0) ctx.stdout(`running unpinned (they may run on any CPU): ${found.floating.join(', ')}\n`);
  }
  return 0;
}
