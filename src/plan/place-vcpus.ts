/**
 * Chooses how the vCPUs are placed and hands the request to that placer. This is the one place a
 * new placement mode plugs in: a `manual` mode where the user assigns vCPUs to host CPUs on a core
 * map needs only a map (see placeManual) and one more case here.
 */
import { placeAuto } from './place-auto.js';
import { placeManual } from './place-manual.js';
import type { VmSpec } from '../spec/types.js';
import type { PlacementRequest, VcpuPlacement } from './placement.js';

/**
 * - `manual`: the spec carries a vCPU -> host CPU map; it wins over the strategy.
 * - `auto`: compact or spread, chosen by the planner.
 * - `unpinned`: strategy none; the vCPUs float over the host's CPUs.
 */
export type PlacementMode = 'manual' | 'auto' | 'unpinned';

/** The placement mode a spec asks for. */
export function placementModeOf(spec: VmSpec): PlacementMode {
  if (spec.pinning.map !== null) return 'manual';
  return spec.pinning.strategy === 'none' ? 'unpinned' : 'auto';
}

/**
 * Places the vCPUs, or returns null: unpinned (nothing to place), or refused (the reasons are in
 * request.messages as errors).
 */
export function placeVcpus(request: PlacementRequest): VcpuPlacement | null {
  const mode = placementModeOf(request.spec);
  switch (mode) {
    case 'manual':
      return placeManual({ ...request, map: request.spec.pinning.map! });
    case 'auto':
      return placeAuto(request);
    case 'unpinned':
      checkUnpinned(request);
      return null;
  }
}

/** Unpinned vCPUs still need CPUs to run on: more vCPUs than free CPUs is refused or warned. */
function checkUnpinned({ offer, spec, messages }: PlacementRequest): void {
  const free = offer.freeCpus.length;
  if (spec.vcpus.count <= free) return;
  if (spec.pinning.requireDedicated) {
    messages.fail('not-enough-cpus', `${spec.vcpus.count} vCPUs need ${spec.vcpus.count} host CPUs of their own, but only ${free} of ${offer.view.online.length} online CPUs are free`);
  } else {
    messages.warn('overcommit', `${spec.vcpus.count} vCPUs on ${free} free host CPUs: expect them to wait for each other`);
  }
}
