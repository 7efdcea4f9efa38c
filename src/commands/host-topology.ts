import { UsageError } from '../errors.js';
import type { HostFs } from '../host/host-fs.js';
import { readTopology, TopologyError, type Topology } from '../host/topology.js';

/** The topology for a command: a root without CPU information is bad input (exit 2). */
export function readCommandTopology(hostFs: HostFs): Topology {
  try {
    return readTopology(hostFs);
  } catch (error) {
    if (error instanceof TopologyError) throw new UsageError(error.message);
    throw error;
  }
}
