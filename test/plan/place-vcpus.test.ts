/**
 * Choosing a placement mode and the small placers (src/plan/place-vcpus.ts, place-manual.ts,
 * plan-messages.ts). Host: CPUs 0-7, core k = {k, k+4}.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildHostOffer } from '../../src/plan/host-offer.js';
import { buildHostView } from '../../src/plan/host-view.js';
import { placeManual } from '../../src/plan/place-manual.js';
import { placementModeOf, placeVcpus } from '../../src/plan/place-vcpus.js';
import { createPlanMessages } from '../../src/plan/plan-messages.js';
import { buildVcpuGroups } from '../../src/plan/vcpu-groups.js';
import type { VmSpec } from '../../src/spec/types.js';
import { parseVmSpec } from '../../src/spec/vm-spec.js';
import { buildTopology } from './_topology-builder.js';

const view = buildHostView(buildTopology({ coresPerL3: 4 }));

function request(specInput: object, taken = new Map<number, string>()) {
  const spec: VmSpec = parseVmSpec({ name: 'vm', ...specInput }, 'test');
  return { offer: buildHostOffer(view, taken, spec.pinning.housekeepingPerSocket), spec, groups: buildVcpuGroups(spec), messages: createPlanMessages() };
}
const codes = (messages: Array<{ code: string }>) => messages.map((message) => message.code);

describe('placementModeOf', () => {
  test('a map wins over the strategy; none is unpinned; compact and spread are automatic', () => {
    assert.equal(placementModeOf(request({ vcpus: 2, pinning: { map: [1, 2], strategy: 'none' } }).spec), 'manual');
    assert.equal(placementModeOf(request({ vcpus: 2, pinning: { strategy: 'none' } }).spec), 'unpinned');
    assert.equal(placementModeOf(request({ vcpus: 2, pinning: { strategy: 'spread' } }).spec), 'auto');
    assert.equal(placementModeOf(request({ vcpus: 2 }).spec), 'auto');
  });
});

describe('placeVcpus', () => {
  test('dispatches a map to the manual placer', () => {
    const manual = request({ vcpus: 2, pinning: { map: [6, 3] } });
    assert.deepEqual(placeVcpus(manual)?.vcpuHost, [6, 3]);
  });

  test('unpinned: nothing placed; too many vCPUs refused when dedicated, else warned', () => {
    const fits = request({ vcpus: 8, pinning: { strategy: 'none' } });
    assert.equal(placeVcpus(fits), null);
    assert.deepEqual([...fits.messages.warnings, ...fits.messages.errors], []);
    const refused = request({ vcpus: 4, pinning: { strategy: 'none' } }, new Map([[0, 'a'], [1, 'a'], [2, 'a'], [3, 'a'], [4, 'a']]));
    assert.equal(placeVcpus(refused), null);
    assert.deepEqual(refused.messages.errors, [{ code: 'not-enough-cpus', message: '4 vCPUs need 4 host CPUs of their own, but only 3 of 8 online CPUs are free' }]);
    const shared = request({ vcpus: 9, pinning: { strategy: 'none', requireDedicated: false } });
    assert.equal(placeVcpus(shared), null);
    assert.deepEqual(codes(shared.messages.warnings), ['overcommit']);
  });
});

describe('placeManual', () => {
  const manual = (specInput: { vcpus: unknown; pinning: { map: number[] } } & object) => {
    const input = request(specInput);
    return placeManual({ ...input, map: input.spec.pinning.map! });
  };

  test('guest threads: whole host cores of consecutive vCPUs become guest cores; an explicit topology is kept', () => {
    assert.equal(manual({ vcpus: 4, pinning: { map: [1, 5, 6, 2] } })?.threads, 2);
    assert.equal(manual({ vcpus: 4, pinning: { map: [1, 2, 5, 6] } })?.threads, 1);
    assert.equal(manual({ vcpus: 3, pinning: { map: [1, 5, 2] } })?.threads, 1);
    assert.equal(manual({ vcpus: { count: 2, cores: 1, threads: 2 }, pinning: { map: [1, 2] } })?.threads, 2);
    // A host core split between two guest NUMA nodes is not one guest core.
    assert.equal(manual({ vcpus: 2, memory: '2G', numa: { nodes: 2 }, pinning: { map: [1, 5] } } as never)?.threads, 1);
  });

  test('group nodes and a copy of the map', () => {
    const input = request({ vcpus: 2, pinning: { map: [1, 5] } });
    const placement = placeManual({ ...input, map: input.spec.pinning.map! });
    assert.deepEqual(placement, { vcpuHost: [1, 5], threads: 2, groupNodes: [[0]] });
    assert.notEqual(placement!.vcpuHost, input.spec.pinning.map);
  });
});

describe('createPlanMessages', () => {
  test('the same warning twice is said once; errors are all kept, in order', () => {
    const messages = createPlanMessages();
    messages.warn('overcommit', 'a');
    messages.warn('overcommit', 'a');
    messages.warn('overcommit', 'b');
    messages.fail('unknown-cpu', 'x');
    messages.fail('unknown-cpu', 'x');
    assert.deepEqual(messages.warnings.map((warning) => warning.message), ['a', 'b']);
    assert.equal(messages.errors.length, 2);
  });
});
