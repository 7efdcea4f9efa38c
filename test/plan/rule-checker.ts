/**
 * An independent checker of the planner's rules (issue 4). It shares no code with src/plan: it
 * reads the Topology itself and states each rule from the outside, so a planner bug cannot hide
 * behind a helper that has the same bug. It returns violations as sentences; [] means the plan
 * (or its errors) is right for that host, spec and set of taken CPUs.
 *
 * What "right" means here:
 * - A plan with errors names only errors whose cause really holds, and a request whose cause
 *   holds (1G pages without pdpe1gb, a map naming an offline CPU...) always gets that error.
 * - A plan without errors places every vCPU on an online, free CPU, keeps the guest topology
 *   consistent, and carries a warning for every rule it bends (cross-NUMA, split L3, shared
 *   siblings, hugepages short, overcommit, housekeeping used), and bends a rule only when the
 *   host leaves no way around it (e.g. spans nodes only when no single node could hold it).
 * - Issue 10: memory goes where it fits in free memory (free pages of the asked size); guest NUMA
 *   nodes go to host nodes near each other (no single move would fit more memory, shorten the
 *   distances, or pair more nodes of one socket); helpers run on the VM's nodes or are warned;
 *   guest dies are the L3 groups of an even split, an even split is made when one is possible, and
 *   a wholly free L3 group is taken before the housekeeping core's; on hybrid hosts housekeeping
 *   is on the slow kind and a VM that fits on the fast kind stays there.
 */
import type { CpuInfo } from '../../src/host/cpuinfo.js';
import type { Topology } from '../../src/host/topology.js';
import type { Plan, VmSpec } from '../../src/spec/types.js';
import { namedModelVendor } from '../../src/spec/cpu-vendor.js';

export const KNOWN_ERROR_CODES = new Set([
  'not-enough-cpus', 'no-free-cpus', 'no-pdpe1gb', 'unknown-cpu', 'offline-cpu', 'cpu-taken',
  'duplicate-cpu', 'unknown-node', 'kvm-arch-mismatch',
]);
export const KNOWN_WARNING_CODES = new Set([
  'cross-numa', 'split-l3', 'sibling-shared', 'hugepages-missing', 'overcommit', 'no-housekeeping',
  'housekeeping-used', 'not-isolated', 'smt-hidden', 'mixed-cpu-kinds', 'memory-exceeds-node',
  'guest-numa-shared-node', 'cpu-model-vendor', 'no-dedicated-cpu', 'host-node-unavailable',
  'memory-exceeds-free', 'kvm-unavailable', 'vhost-unavailable', 'memory-not-free', 'helper-remote', 'cpu-model-unavailable', 'siblings-not-idle', 'realtime-shared', 'tpm-name-comma',
  'hyperv-needs-kvm', 'helper-on-vcpu',
]);

export interface CheckInput {
  topology: Topology;
  cpuInfo: CpuInfo;
  /** The spec given to the planner (before it filled the guest topology). */
  spec: VmSpec;
  taken: Map<number, string>;
  plan: Plan;
}

interface HostFacts {
  online: Set<number>;
  exists: Set<number>;
  node: Map<number, number>;
  l3: Map<number, number | null>;
  socket: Map<number, string>;
  /** Sorted sibling list per online CPU (its physical core). */
  core: Map<number, number[]>;
  isolated: Set<number>;
  kind: Map<number, number>;
}

function facts(topology: Topology): HostFacts {
  const online = new Set<number>();
  const exists = new Set<number>();
  const node = new Map<number, number>();
  const l3 = new Map<number, number | null>();
  const socket = new Map<number, string>();
  const core = new Map<number, number[]>();
  const isolated = new Set<number>();
  const kind = new Map<number, number>();
  // Node membership from the node lists (not HostCpu.node), as a second source of truth.
  const nodeFromLists = new Map<number, number>();
  for (const entry of topology.nodes) for (const cpu of entry.cpus) nodeFromLists.set(cpu, entry.id);
  const defaultNode = topology.nodes.find((entry) => entry.cpus.length > 0)?.id ?? 0;
  for (const cpu of topology.cpus) {
    exists.add(cpu.cpu);
    if (!cpu.online) continue;
    online.add(cpu.cpu);
    node.set(cpu.cpu, nodeFromLists.get(cpu.cpu) ?? cpu.node ?? defaultNode);
    l3.set(cpu.cpu, cpu.l3);
    socket.set(cpu.cpu, cpu.socket === null ? `node${node.get(cpu.cpu)}` : `socket${cpu.socket}`);
    if (cpu.isolated) isolated.add(cpu.cpu);
  }
  for (const cpu of topology.cpus) {
    if (!cpu.online) continue;
    const siblings = cpu.siblings.filter((other) => online.has(other));
    core.set(cpu.cpu, siblings.includes(cpu.cpu) ? [...siblings].sort((a, b) => a - b) : [cpu.cpu]);
  }
  topology.cpuKinds.forEach((entry) => entry.cpus.forEach((cpu) => kind.set(cpu, entry.rank)));
  return { online, exists, node, l3, socket, core, isolated, kind };
}

const distinct = <T>(values: T[]): T[] => [...new Set(values)];
const sameSet = (a: number[], b: number[]) => {
  const left = distinct(a).sort((x, y) => x - y);
  const right = distinct(b).sort((x, y) => x - y);
  return left.length === right.length && left.every((value, index) => value === right[index]);
};

export function checkPlan(input: CheckInput): string[] {
  const { topology, cpuInfo, spec, taken, plan } = input;
  const host = facts(topology);
  const problems: string[] = [];
  const bad = (text: string) => problems.push(text);
  const warned = (code: string) => plan.warnings.some((warning) => warning.code === code);
  const erred = (code: string) => plan.errors.some((error) => error.code === code);

  for (const message of [...plan.warnings, ...plan.errors]) {
    if (!message.message || message.message.includes('\n')) bad(`message of ${message.code} must be one non-empty line`);
  }
  for (const warning of plan.warnings) if (!KNOWN_WARNING_CODES.has(warning.code)) bad(`unknown warning code ${warning.code}`);
  for (const error of plan.errors) if (!KNOWN_ERROR_CODES.has(error.code)) bad(`unknown error code ${error.code}`);

  const count = spec.vcpus.count;
  const free = [...host.online].filter((cpu) => !taken.has(cpu));
  const pinned = spec.pinning.map !== null || spec.pinning.strategy !== 'none';
  const map = spec.pinning.map;

  // --- Errors whose cause holds must be reported; reported errors must have their cause.
  const causes = new Map<string, boolean>();
  causes.set('kvm-arch-mismatch', spec.accel === 'kvm' && cpuInfo.readable && cpuInfo.vendorId === null);
  causes.set('no-pdpe1gb', spec.memory.backing === 'hugepages-1G' && cpuInfo.readable && cpuInfo.vendor !== 'other' && !cpuInfo.flags.has('pdpe1gb'));
  const nodesWithCpus = new Set(host.node.values());
  const wantedNodes = [spec.pinning.hostNode, ...spec.numa.map((node) => node.hostNode)].filter((node): node is number => node !== null);
  causes.set('unknown-node', wantedNodes.some((node) => !nodesWithCpus.has(node)));
  const emulatorCpus = spec.emulator.cpus ?? [];
  const listed = [...(map ?? []), ...emulatorCpus, ...(spec.iothreads.cpus ?? [])];
  causes.set('unknown-cpu', listed.some((cpu) => !host.exists.has(cpu)));
  causes.set('offline-cpu', listed.some((cpu) => host.exists.has(cpu) && !host.online.has(cpu)));
  causes.set('cpu-taken', listed.some((cpu) => host.online.has(cpu) && taken.has(cpu)));
  causes.set('duplicate-cpu', map !== null && spec.pinning.requireDedicated && distinct(map).length < map.length);
  causes.set('no-free-cpus', free.length === 0);
  causes.set('not-enough-cpus', map === null && spec.pinning.requireDedicated && free.length < count);
  // Fact errors are checked before placement, so placement errors only arise without them.
  const factErrors = ['kvm-arch-mismatch', 'no-pdpe1gb', 'unknown-node', 'unknown-cpu', 'offline-cpu', 'cpu-taken', 'duplicate-cpu'];
  const anyFactCause = factErrors.some((code) => causes.get(code));
  for (const error of plan.errors) {
    if (causes.get(error.code) === false) bad(`error ${error.code} reported but its cause does not hold: ${error.message}`);
  }
  for (const [code, holds] of causes) {
    if (!holds || erred(code)) continue;
    const placementError = code === 'not-enough-cpus' || code === 'no-free-cpus';
    // A placement error cannot show up when a fact error stopped the planner first; a map
    // problem may be reported as one of its sibling codes (unknown before offline before taken).
    if (placementError && anyFactCause) continue;
    if (code === 'no-free-cpus' && erred('not-enough-cpus')) continue;
    if (code === 'not-enough-cpus' && (erred('no-free-cpus') || !pinned)) {
      if (!pinned && spec.pinning.requireDedicated && !erred('not-enough-cpus')) bad('unpinned dedicated VM larger than the free CPUs must fail with not-enough-cpus');
      continue;
    }
    if (['offline-cpu', 'cpu-taken', 'duplicate-cpu'].includes(code) && plan.errors.length > 0) continue;
    bad(`expected error ${code}`);
  }

  if (plan.errors.length > 0) {
    if (plan.vcpus.length !== 0 || plan.emulator.length !== 0 || plan.iothreads.length !== 0) {
      bad('a plan with errors must not carry a partial placement');
    }
    return problems;
  }

  // --- A plan: positions and guest topology.
  const topo = plan.spec.vcpus;
  if (plan.vcpus.length !== count) bad(`expected ${count} vCPUs, plan has ${plan.vcpus.length}`);
  if (topo.sockets * topo.dies * topo.cores * topo.threads !== count) {
    bad(`guest topology ${topo.sockets}x${topo.dies}x${topo.cores}x${topo.threads} != ${count}`);
  }
  if (!spec.vcpus.autoTopology) {
    for (const key of ['sockets', 'dies', 'cores', 'threads'] as const) {
      if (topo[key] !== spec.vcpus[key]) bad(`explicit guest ${key} ${spec.vcpus[key]} changed to ${topo[key]}`);
    }
  }
  plan.vcpus.forEach((vcpu, index) => {
    if (vcpu.vcpu !== index) bad(`vcpus[${index}] is vCPU ${vcpu.vcpu}`);
    const expected = [
      Math.floor(index / (topo.threads * topo.cores * topo.dies)),
      Math.floor(index / (topo.threads * topo.cores)) % topo.dies,
      Math.floor(index / topo.threads) % topo.cores,
      index % topo.threads,
    ];
    const got = [vcpu.socket, vcpu.die, vcpu.core, vcpu.thread];
    if (got.join('/') !== expected.join('/')) bad(`vCPU ${index} at guest ${got.join('/')}, expected ${expected.join('/')}`);
  });

  // --- CPU model facts.
  const threadsPerCore = topo.threads;
  const hasTopoext = plan.spec.cpu.features.some((feature) => feature.slice(1) === 'topoext');
  // The guest's vendor (QEMU's model table, checked against QEMU in test/real/cpu-models.test.ts)
  // decides how it learns SMT: AMD-style guests through topoext, which the planner adds only under
  // KVM on an AMD/Hygon host (the hosts whose KVM reports it). Under TCG no SMT is shown at all.
  const hostVendor = cpuInfo.vendorId === 'HygonGenuine' ? 'hygon' : cpuInfo.vendor;
  const amdStyle = (vendor: string | null) => vendor === 'amd' || vendor === 'hygon';
  const guestVendor = spec.cpu.model === 'host' ? hostVendor : spec.cpu.model === 'max' ? (spec.accel === 'kvm' ? hostVendor : 'amd') : namedModelVendor(spec.cpu.model);
  const smtShown = spec.accel === 'kvm' && (!amdStyle(guestVendor) || amdStyle(hostVendor));
  const topoextAdded = plan.spec.cpu.features.includes('+topoext') && !spec.cpu.features.includes('+topoext');
  if (spec.accel === 'kvm' && amdStyle(guestVendor) && amdStyle(hostVendor) && threadsPerCore > 1 && !hasTopoext) bad('AMD-style guest on an AMD host, guest threads > 1, but no topoext feature');
  if (topoextAdded && !(spec.accel === 'kvm' && amdStyle(guestVendor) && amdStyle(hostVendor))) bad(`+topoext added for a ${guestVendor} guest on a ${hostVendor} host under ${spec.accel}`);
  if (spec.vcpus.autoTopology && !smtShown && threadsPerCore !== 1) bad(`guest threads ${threadsPerCore}, but a ${guestVendor} guest under ${spec.accel} on this ${hostVendor} host cannot be shown SMT`);

  // --- Memory facts that do not depend on pinning.
  if (plan.memory.sizeMiB !== spec.memory.sizeMiB || plan.memory.backing !== spec.memory.backing) bad('plan.memory does not match the spec');

  if (!pinned) {
    if (plan.vcpus.some((vcpu) => vcpu.hostCpu !== null)) bad('strategy none must leave vCPUs unpinned');
    if (count > free.length && !warned('overcommit')) bad('more vCPUs than free CPUs without an overcommit warning');
    return problems;
  }

  const hosts = plan.vcpus.map((vcpu) => vcpu.hostCpu);
  if (hosts.some((cpu) => cpu === null)) {
    bad('a pinned plan has a vCPU without a host CPU');
    return problems;
  }
  const vcpuHosts = hosts as number[];
  for (const cpu of vcpuHosts) {
    if (!host.online.has(cpu)) bad(`vCPU on host CPU ${cpu}, which is not online`);
    if (taken.has(cpu)) bad(`vCPU on host CPU ${cpu}, held by ${taken.get(cpu)}`);
  }
  if (map !== null && vcpuHosts.join(',') !== map.join(',')) bad('manual map not followed');
  const distinctHosts = distinct(vcpuHosts);
  if (distinctHosts.length < count) {
    if (spec.pinning.requireDedicated) bad('two vCPUs share a host CPU although requireDedicated');
    if (!warned('overcommit')) bad('vCPUs share host CPUs without an overcommit warning');
  }
  const overcommitted = distinctHosts.length < count;

  // --- Real-time vCPUs: realtime-shared exactly when a vCPU's CPU also runs anything else.
  if (spec.vcpuScheduler) {
    const others = [...plan.emulator, ...plan.iothreads.flatMap((iothread) => iothread.hostCpus)];
    const sharedRt = overcommitted || vcpuHosts.some((cpu) => others.includes(cpu));
    if (sharedRt !== warned('realtime-shared')) bad(`realtime-shared ${warned('realtime-shared') ? 'warned without' : 'missing despite'} a real-time vCPU's CPU running something else`);
  } else if (warned('realtime-shared')) {
    bad('realtime-shared without vcpuScheduler');
  }

  // --- Housekeeping.
  const housekeeping = new Set(plan.host.housekeeping);

  // --- Siblings held idle (pinning.siblings "idle"): each vCPU alone on a whole core that holds
  // no housekeeping CPU, no helper and nothing another VM has; the other CPUs of those cores are
  // the plan's idleSiblings. Else a siblings-not-idle warning, only when too few such cores exist.
  if (spec.pinning.siblings === 'idle' && map === null && spec.pinning.strategy !== 'none') {
    const wholeFree = new Set([...host.online].filter((cpu) => !housekeeping.has(cpu)).map((cpu) => host.core.get(cpu)!).filter((core) => core.every((sibling) => host.online.has(sibling) && !taken.has(sibling) && !housekeeping.has(sibling))).map((core) => core.join(',')));
    if (warned('siblings-not-idle')) {
      if (wholeFree.size >= count) bad(`siblings-not-idle warned, but ${wholeFree.size} whole free cores exist for ${count} vCPUs`);
    } else {
      const helperCpus = new Set([...plan.emulator, ...plan.iothreads.flatMap((iothread) => iothread.hostCpus)]);
      const expectedIdle = new Set<number>();
      for (const cpu of vcpuHosts) {
        const core = host.core.get(cpu)!;
        if (!wholeFree.has(core.join(','))) bad(`vCPU on CPU ${cpu}, whose core ${core} is not wholly free (siblings idle)`);
        if (core.filter((sibling) => vcpuHosts.includes(sibling)).length > 1) bad(`two vCPUs on core ${core} (siblings idle)`);
        for (const sibling of core) if (sibling !== cpu) expectedIdle.add(sibling);
        for (const sibling of core) if (helperCpus.has(sibling)) bad(`a helper thread on CPU ${sibling}, a sibling held idle`);
      }
      if ([...expectedIdle].sort((a, b) => a - b).join(',') !== (plan.idleSiblings ?? []).join(',')) bad(`idleSiblings ${plan.idleSiblings ?? []}, expected ${[...expectedIdle].sort((a, b) => a - b)}`);
      if (plan.spec.vcpus.threads !== 1 && spec.vcpus.autoTopology) bad('siblings idle, but the guest is shown SMT threads');
    }
  } else if ((plan.idleSiblings ?? []).length > 0) {
    bad('idleSiblings without pinning.siblings idle');
  }
  for (const cpu of housekeeping) if (!host.online.has(cpu) || taken.has(cpu)) bad(`housekeeping CPU ${cpu} is offline or taken`);
  if (spec.pinning.housekeepingPerSocket > 0) {
    const freeBySocket = new Map<string, number[]>();
    for (const cpu of free) {
      const key = host.socket.get(cpu)!;
      freeBySocket.set(key, [...(freeBySocket.get(key) ?? []), cpu]);
    }
    for (const [socket, cpus] of freeBySocket) {
      const kept = cpus.filter((cpu) => housekeeping.has(cpu)).length;
      if (kept < Math.min(spec.pinning.housekeepingPerSocket, cpus.length)) bad(`${socket}: ${kept} housekeeping CPUs, wanted ${spec.pinning.housekeepingPerSocket}`);
    }
  }
  const onHousekeeping = vcpuHosts.filter((cpu) => housekeeping.has(cpu));
  const freeNonHousekeeping = free.filter((cpu) => !housekeeping.has(cpu));
  if (onHousekeeping.length > 0) {
    if (map !== null) {
      if (!warned('housekeeping-used')) bad('manual map on housekeeping CPUs without housekeeping-used');
    } else {
      if (!warned('no-housekeeping') && !overcommitted) bad('vCPUs on housekeeping CPUs without no-housekeeping');
      if (freeNonHousekeeping.length >= count) bad(`vCPUs on housekeeping CPUs although ${freeNonHousekeeping.length} other CPUs were free`);
      // Housekeeping is the last resort: every other free CPU of the nodes used must be taken
      // first (except the spare thread of a core too broken up to be a whole guest core).
      const usedNodes = new Set(vcpuHosts.map((cpu) => host.node.get(cpu)));
      const vcpuCpus = new Set(vcpuHosts);
      const t = plan.spec.vcpus.threads;
      const idle = freeNonHousekeeping.filter((cpu) => {
        if (!usedNodes.has(host.node.get(cpu)) || vcpuCpus.has(cpu)) return false;
        const freeOnCore = host.core.get(cpu)!.filter((other) => !taken.has(other) && !housekeeping.has(other) && !vcpuCpus.has(other));
        return t === 1 || freeOnCore.length >= t;
      });
      if (idle.length > 0) bad(`vCPUs on housekeeping CPUs ${onHousekeeping} while CPUs ${idle} of the same nodes stay idle`);
    }
  }

  // The CPUs the planner could use without bending the housekeeping or isolation rules.
  const isolatedPool = freeNonHousekeeping.filter((cpu) => host.isolated.has(cpu));
  const auto = map === null && !overcommitted;
  // With siblings idle a vCPU needs a whole isolated core (every sibling isolated and free).
  const idleMode = spec.pinning.siblings === 'idle' && !warned('siblings-not-idle');
  const isolatedUnits = idleMode
    ? new Set(isolatedPool.map((cpu) => host.core.get(cpu)!).filter((core) => core.every((sibling) => isolatedPool.includes(sibling))).map((core) => core.join(','))).size
    : isolatedPool.length;
  if (auto && spec.pinning.preferIsolated && isolatedUnits >= count && vcpuHosts.some((cpu) => !host.isolated.has(cpu))) {
    bad(`${isolatedPool.length} free isolated CPUs, yet some vCPUs are on ordinary CPUs`);
  }
  if (host.isolated.size > 0 && spec.pinning.preferIsolated && map === null && vcpuHosts.some((cpu) => !host.isolated.has(cpu)) && !warned('not-isolated') && !overcommitted) {
    bad('vCPUs off the isolated CPUs without not-isolated');
  }
  const fastestRank = topology.cpuKinds.length > 1 ? Math.max(...topology.cpuKinds.map((entry) => entry.rank)) : null;
  const fastPool = fastestRank === null ? [] : freeNonHousekeeping.filter((cpu) => host.kind.get(cpu) === fastestRank);
  let pool: number[];
  if (onHousekeeping.length > 0) pool = free;
  else if (spec.pinning.preferIsolated && vcpuHosts.every((cpu) => host.isolated.has(cpu)) && isolatedPool.length > 0) pool = isolatedPool;
  else if (fastPool.length > 0 && vcpuHosts.every((cpu) => host.kind.get(cpu) === fastestRank)) pool = fastPool;
  else pool = freeNonHousekeeping;
  const poolSet = new Set(pool);

  // --- NUMA.
  const groups = spec.numa.length > 0 ? spec.numa.map((node) => node.vcpus) : [Array.from({ length: count }, (_, index) => index)];
  const nodesOf = (vcpus: number[]) => distinct(vcpus.map((vcpu) => host.node.get(vcpuHosts[vcpu]!)!)).sort((a, b) => a - b);
  groups.forEach((vcpus, index) => {
    const nodes = nodesOf(vcpus);
    if (nodes.length > 1 && !warned('cross-numa')) bad(`group ${index} spans nodes ${nodes.join(',')} without cross-numa`);
    if (auto && spec.pinning.strategy === 'compact' && groups.length === 1 && nodes.length > 1) {
      const byNode = new Map<number, number>();
      // With siblings idle a node's room is its whole cores in the pool, one vCPU each.
      const units = idleMode ? pool.filter((cpu) => host.core.get(cpu)!.every((sibling) => poolSet.has(sibling)) && host.core.get(cpu)![0] === cpu) : pool;
      for (const cpu of units) byNode.set(host.node.get(cpu)!, (byNode.get(host.node.get(cpu)!) ?? 0) + 1);
      const roomy = [...byNode.entries()].filter(([, size]) => size >= count).map(([node]) => node);
      if (roomy.length > 0) bad(`compact VM spans nodes ${nodes.join(',')} although node ${roomy[0]} alone has room`);
    }
    const l3s = distinct(vcpus.map((vcpu) => host.l3.get(vcpuHosts[vcpu]!)).filter((l3): l3 is number => l3 !== null && l3 !== undefined));
    if (l3s.length > 1 && !warned('split-l3')) bad(`group ${index} spans L3 groups ${l3s.join(',')} without split-l3`);
    // (Not when the host is too small to keep housekeeping free: then using as few housekeeping
    // CPUs as possible comes before cache locality.)
    if (auto && spec.pinning.strategy === 'compact' && l3s.length > 1 && nodes.length === 1 && onHousekeeping.length === 0) {
      // Could one L3 group of that node have held the group's guest cores, one per host core?
      // (Guest NUMA nodes that cut through guest cores are placed vCPU by vCPU.)
      const wholeCores = groups.every((members) => members.length % threadsPerCore === 0 && members[0]! % threadsPerCore === 0);
      const t = wholeCores ? threadsPerCore : 1;
      const coresByL3 = new Map<number, Set<string>>();
      for (const cpu of pool) {
        const l3 = host.l3.get(cpu);
        if (l3 === null || l3 === undefined || host.node.get(cpu) !== nodes[0]) continue;
        const members = host.core.get(cpu)!.filter((other) => poolSet.has(other));
        if (members.length < t) continue;
        if (!coresByL3.has(l3)) coresByL3.set(l3, new Set());
        coresByL3.get(l3)!.add(members.join(','));
      }
      const fits = [...coresByL3.entries()].filter(([, cores]) => cores.size >= vcpus.length / t);
      if (fits.length > 0) bad(`group ${index} split over L3 groups ${l3s.join(',')} although L3 group ${fits[0]![0]} could hold it`);
    }
  });
  const askedNodes = spec.numa.length > 0 ? spec.numa.map((node) => node.hostNode) : [spec.pinning.hostNode];
  askedNodes.forEach((asked, index) => {
    if (asked !== null && !nodesOf(groups[index]!).includes(asked) && !warned('host-node-unavailable')) {
      bad(`group ${index} asked for host node ${asked} and is elsewhere without host-node-unavailable`);
    }
  });
  if (groups.length > 1) {
    const all = groups.flatMap((vcpus) => nodesOf(vcpus));
    if (distinct(all).length < all.length && !warned('guest-numa-shared-node')) bad('guest nodes share a host node without guest-numa-shared-node');
  }
  if (spec.pinning.strategy === 'spread' && auto && groups.length === 1 && count > 1) {
    const nodesWithPool = distinct(pool.map((cpu) => host.node.get(cpu)!));
    const used = nodesOf(groups[0]!);
    if (used.length < Math.min(count, nodesWithPool.length)) bad(`spread used ${used.length} nodes of ${nodesWithPool.length}`);
  }
  const expectedNodes = distinct(vcpuHosts.map((cpu) => host.node.get(cpu)!)).sort((a, b) => a - b);
  if (!sameSet(plan.memory.hostNodes, expectedNodes)) bad(`memory.hostNodes ${plan.memory.hostNodes} but vCPUs are on nodes ${expectedNodes}`);
  if (spec.numa.length > 0) {
    if (plan.memory.guestNodes.length !== spec.numa.length) bad('guestNodes count differs from spec.numa');
    plan.memory.guestNodes.forEach((node, index) => {
      if (!sameSet(node.hostNodes, nodesOf(spec.numa[index]!.vcpus))) bad(`guest node ${index} bound to ${node.hostNodes}, its vCPUs are on ${nodesOf(spec.numa[index]!.vcpus)}`);
    });
    plan.vcpus.forEach((vcpu) => {
      const owner = spec.numa.findIndex((node) => node.vcpus.includes(vcpu.vcpu));
      if (vcpu.guestNode !== owner) bad(`vCPU ${vcpu.vcpu} in guest node ${vcpu.guestNode}, spec says ${owner}`);
    });
  }

  // --- SMT.
  const coreKey = (cpu: number) => host.core.get(cpu)!.join(',');
  for (let start = 0; start + threadsPerCore <= count && threadsPerCore > 1 && spec.vcpus.autoTopology; start += threadsPerCore) {
    const cores = distinct(vcpuHosts.slice(start, start + threadsPerCore).map(coreKey));
    if (cores.length !== 1) bad(`guest core of vCPUs ${start}-${start + threadsPerCore - 1} is not one host core`);
  }
  const guestCoreOfHostCore = new Map<string, Set<number>>();
  vcpuHosts.forEach((cpu, vcpu) => {
    const key = coreKey(cpu);
    if (!guestCoreOfHostCore.has(key)) guestCoreOfHostCore.set(key, new Set());
    guestCoreOfHostCore.get(key)!.add(Math.floor(vcpu / threadsPerCore));
  });
  if (spec.accel === 'kvm' && [...guestCoreOfHostCore.values()].some((cores) => cores.size > 1) && !warned('smt-hidden') && !overcommitted) {
    bad('two guest cores on one host core without smt-hidden');
  }
  if (auto && smtShown && !idleMode && spec.pinning.siblings !== 'idle' && spec.vcpus.autoTopology && spec.pinning.strategy === 'compact' && groups.length === 1) {
    // Guest threads = host SMT width when the count is a multiple of it and whole free cores
    // of that width in one node can hold the VM.
    const widths = new Map<number, number>();
    for (const cpu of host.online) widths.set(host.core.get(cpu)!.length, (widths.get(host.core.get(cpu)!.length) ?? 0) + 1);
    const width = [...widths.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    if (width > 1 && count % width === 0) {
      const wholeByNode = new Map<number, Set<string>>();
      for (const cpu of pool) {
        const members = host.core.get(cpu)!;
        if (members.length < width || !members.slice(0, width).every((other) => poolSet.has(other))) continue;
        const node = host.node.get(cpu)!;
        if (!wholeByNode.has(node)) wholeByNode.set(node, new Set());
        wholeByNode.get(node)!.add(members.join(','));
      }
      // Memory comes first: while the plan's node fits the VM's memory, only nodes that fit count.
      const planFits = distinct(vcpuHosts.map((cpu) => host.node.get(cpu)!)).every((node) => memoryFitsNode(topology, spec, node, spec.memory.sizeMiB));
      const roomy = [...wholeByNode.entries()].some(([node, cores]) => cores.size >= count / width && (!planFits || memoryFitsNode(topology, spec, node, spec.memory.sizeMiB)));
      if (roomy && threadsPerCore !== width) bad(`guest threads ${threadsPerCore}, expected the host SMT width ${width}`);
    }
  }

  // --- Emulator and iothreads.
  const vcpuSet = new Set(vcpuHosts);
  const helpers: Array<{ what: string; cpus: number[]; placement: string }> = [
    { what: 'emulator', cpus: plan.emulator, placement: spec.emulator.cpus ? 'explicit' : spec.emulator.placement },
    ...plan.iothreads.map((thread) => ({ what: `iothread ${thread.id}`, cpus: thread.hostCpus, placement: spec.iothreads.cpus ? 'explicit' : spec.iothreads.placement })),
  ];
  if (plan.iothreads.length !== spec.iothreads.count) bad(`${plan.iothreads.length} iothreads, spec has ${spec.iothreads.count}`);
  if (distinct(plan.iothreads.map((thread) => thread.id)).length !== plan.iothreads.length) bad('iothread ids repeat');
  const dedicatedSeen = new Set<number>();
  for (const helper of helpers) {
    if (helper.cpus.length === 0) bad(`${helper.what} not pinned in a pinned plan`);
    for (const cpu of helper.cpus) if (!host.online.has(cpu) || taken.has(cpu)) bad(`${helper.what} on CPU ${cpu}, offline or taken`);
    const listedCpus = helper.what === 'emulator' ? spec.emulator.cpus : spec.iothreads.cpus;
    if (helper.placement === 'explicit' && !sameSet(helper.cpus, listedCpus!)) bad(`${helper.what === 'emulator' ? 'emulator.cpus' : 'iothreads.cpus'} not followed`);
    // A list given by hand that lands on a vCPU's own CPU is warned.
    if (helper.placement === 'explicit' && helper.cpus.some((cpu) => vcpuSet.has(cpu)) && !warned('helper-on-vcpu')) bad(`${helper.what} placed by hand on a vCPU's CPU without helper-on-vcpu`);
    if (helper.placement === 'with-vcpus' && !sameSet(helper.cpus, vcpuHosts)) bad(`${helper.what} with-vcpus is not on the vCPUs' CPUs`);
    if (helper.placement === 'housekeeping' && housekeeping.size > 0) {
      // On the housekeeping CPUs of the VM's nodes; with none there, on one free core of the
      // VM's nodes that no vCPU is on, or (none free) on housekeeping CPUs elsewhere.
      const vmNodes = new Set(plan.memory.hostNodes);
      const localKept = [...housekeeping].filter((cpu) => vmNodes.has(host.node.get(cpu)!));
      const offVcpus = (cpu: number) => vmNodes.has(host.node.get(cpu)!) && !taken.has(cpu) && !housekeeping.has(cpu) && !host.core.get(cpu)!.some((other) => vcpuSet.has(other));
      if (localKept.length > 0) {
        if (helper.cpus.some((cpu) => !localKept.includes(cpu))) bad(`${helper.what} not on the housekeeping CPUs ${localKept} of the VM's nodes`);
      } else if (helper.cpus.some((cpu) => !housekeeping.has(cpu))) {
        if (!helper.cpus.every(offVcpus)) bad(`${helper.what} placed off the housekeeping CPUs, and not on a free CPU of the VM's nodes`);
        if (distinct(helper.cpus.map((cpu) => host.core.get(cpu)!.join(','))).length !== 1) bad(`${helper.what} on more than one local core`);
      } else {
        const dedicatedCpus = new Set(helpers.filter((other) => other.placement === 'dedicated').flatMap((other) => other.cpus));
        const spare = free.filter((cpu) => offVcpus(cpu) && !dedicatedCpus.has(cpu));
        if (spare.length > 0 && vmNodes.size > 0) bad(`${helper.what} on remote housekeeping CPUs although CPUs ${spare.slice(0, 4)} of the VM's nodes were free`);
      }
    }
    // Helpers on the VM's nodes, or warned.
    if (plan.memory.hostNodes.length > 0 && helper.cpus.length > 0 && !helper.cpus.some((cpu) => plan.memory.hostNodes.includes(host.node.get(cpu)!))) {
      if (!plan.warnings.some((warning) => warning.code === 'helper-remote' && warning.message.startsWith(`${helper.what} `))) bad(`${helper.what} on nodes away from the VM's without helper-remote`);
    }
    if (helper.placement === 'dedicated' && !warned('no-dedicated-cpu')) {
      if (helper.cpus.some((cpu) => vcpuSet.has(cpu) || dedicatedSeen.has(cpu))) bad(`${helper.what} dedicated CPU is shared`);
      helper.cpus.forEach((cpu) => dedicatedSeen.add(cpu));
      // On a vCPU's sibling only when every CPU off the vCPUs' cores was already in use.
      const onVcpuCore = (cpu: number) => host.core.get(cpu)!.some((other) => vcpuSet.has(other));
      if (helper.cpus.some(onVcpuCore)) {
        const better = free.filter((cpu) => !housekeeping.has(cpu) && !vcpuSet.has(cpu) && !onVcpuCore(cpu) && !helpers.some((other) => other.placement === 'dedicated' && other.cpus.includes(cpu)));
        if (better.length > 0) bad(`${helper.what} on a vCPU's sibling although CPUs ${better.slice(0, 4)} were off the vCPUs' cores`);
      }
    }
  }
  for (const warning of plan.warnings.filter((entry) => entry.code === 'helper-remote')) {
    const helper = helpers.find((entry) => warning.message.startsWith(`${entry.what} `));
    if (!helper || helper.cpus.some((cpu) => plan.memory.hostNodes.includes(host.node.get(cpu)!))) bad(`helper-remote for a helper on the VM's nodes: ${warning.message}`);
  }
  const helperCpus = new Set(
    helpers.filter((helper) => helper.placement !== 'with-vcpus').flatMap((helper) => helper.cpus),
  );
  for (const cpu of vcpuSet) {
    for (const sibling of host.core.get(cpu)!) {
      if (sibling === cpu || vcpuSet.has(sibling)) continue;
      if ((taken.has(sibling) || helperCpus.has(sibling)) && !warned('sibling-shared')) {
        bad(`host CPU ${cpu}'s sibling ${sibling} is used by ${taken.get(sibling) ?? 'a helper thread'} without sibling-shared`);
      }
    }
  }

  // --- Hugepages: warned exactly when the pool on the bound nodes is short.
  if (spec.memory.backing !== 'ram') {
    const sizeKiB = spec.memory.backing === 'hugepages-2M' ? '2048' : '1048576';
    const pageMiB = spec.memory.backing === 'hugepages-2M' ? 2 : 1024;
    const needs = spec.numa.length > 0
      ? spec.numa.map((node, index) => ({ memMiB: node.memMiB, nodes: plan.memory.guestNodes[index]!.hostNodes }))
      : [{ memMiB: spec.memory.sizeMiB, nodes: plan.memory.hostNodes }];
    const short = needs.some(({ memMiB, nodes }) => {
      const freePages = topology.nodes.filter((node) => nodes.includes(node.id)).reduce((sum, node) => sum + (node.hugepages[sizeKiB]?.free ?? 0), 0);
      return freePages * pageMiB < memMiB;
    });
    if (short !== warned('hugepages-missing')) bad(short ? 'hugepage pool short without hugepages-missing' : 'hugepages-missing although the pool suffices');
  } else if (warned('hugepages-missing')) {
    bad('hugepages-missing for a VM on ordinary memory');
  }
  // Node memory: warned exactly when the bound nodes are known to be smaller than the VM.
  const memoryNeeds = spec.numa.length > 0
    ? spec.numa.map((node, index) => ({ memMiB: node.memMiB, nodes: plan.memory.guestNodes[index]!.hostNodes }))
    : [{ memMiB: spec.memory.sizeMiB, nodes: plan.memory.hostNodes }];
  const tooSmall = memoryNeeds.some(({ memMiB, nodes }) => {
    const sizes = topology.nodes.filter((node) => nodes.includes(node.id)).map((node) => node.memMiB);
    return sizes.length === nodes.length && sizes.every((size) => size !== null) && sizes.reduce((sum, size) => sum! + size!, 0)! < memMiB;
  });
  if (tooSmall !== warned('memory-exceeds-node')) bad(tooSmall ? 'node memory short without memory-exceeds-node' : 'memory-exceeds-node although the nodes are big enough');
  // Free memory: warned exactly when preallocated RAM is known not to fit in the nodes' free memory now.
  const notFree = spec.memory.backing === 'ram' && spec.memory.prealloc && memoryNeeds.some(({ memMiB, nodes }) => {
    const free = topology.nodes.filter((node) => nodes.includes(node.id)).map((node) => node.freeMiB ?? null);
    return free.length === nodes.length && free.every((value) => value !== null) && free.reduce((sum, value) => sum! + value!, 0)! < memMiB;
  });
  if (notFree !== warned('memory-exceeds-free')) bad(notFree ? 'preallocated RAM short of free memory without memory-exceeds-free' : 'memory-exceeds-free although it fits');
  const lazyShort = spec.memory.backing === 'ram' && !spec.memory.prealloc && memoryNeeds.some(({ memMiB, nodes }) => {
    const free = topology.nodes.filter((node) => nodes.includes(node.id)).map((node) => node.freeMiB ?? null);
    return free.length === nodes.length && free.every((value) => value !== null) && free.reduce((sum, value) => sum! + value!, 0)! < memMiB;
  });
  if (lazyShort !== warned('memory-not-free')) bad(lazyShort ? 'RAM short of free memory without memory-not-free' : 'memory-not-free although it fits');
  const kinds = distinct(vcpuHosts.map((cpu) => host.kind.get(cpu) ?? -1));
  if (topology.cpuKinds.length > 0 && kinds.length > 1 && !warned('mixed-cpu-kinds')) bad('vCPUs on several CPU kinds without mixed-cpu-kinds');

  checkIssue10Rules({ topology, spec, plan, host, taken, free, housekeeping, pool, vcpuHosts, groups, auto, onHousekeeping: onHousekeeping.length > 0, bad, warned });
  return problems;
}

/**
 * Whether a node can give `memMiB` to this VM now: free pages of the asked size for hugepages,
 * free RAM (its size when free is not known) for plain RAM; true when the host says neither.
 */
function memoryFitsNode(topology: Topology, spec: VmSpec, node: number, memMiB: number): boolean {
  const entry = topology.nodes.find((candidate) => candidate.id === node);
  if (!entry) return true;
  if (spec.memory.backing !== 'ram') {
    const [sizeKiB, pageMiB] = spec.memory.backing === 'hugepages-2M' ? ['2048', 2] : ['1048576', 1024];
    return (entry.hugepages[sizeKiB]?.free ?? 0) * pageMiB >= memMiB;
  }
  const value = entry.freeMiB ?? entry.memMiB ?? null;
  return value === null || value >= memMiB;
}

interface Issue10Input {
  topology: Topology;
  spec: VmSpec;
  plan: Plan;
  host: HostFacts;
  taken: Map<number, string>;
  free: number[];
  housekeeping: Set<number>;
  /** The CPUs the planner could use without bending the housekeeping or isolation rules. */
  pool: number[];
  vcpuHosts: number[];
  groups: number[][];
  /** An automatic placement, not overcommitted. */
  auto: boolean;
  onHousekeeping: boolean;
  bad: (text: string) => void;
  warned: (code: string) => boolean;
}

/** Free memory fit, guest nodes by distance, dies matching L3 splits, L3 and hybrid choices. */
function checkIssue10Rules(input: Issue10Input): void {
  const { topology, spec, plan, host, taken, free, housekeeping, pool, vcpuHosts, groups, auto, bad } = input;
  const topo = plan.spec.vcpus;
  const t = topo.threads;
  const poolSet = new Set(pool);
  const nodeIds = distinct([...host.node.values()]).sort((a, b) => a - b);
  const nodeEntry = new Map(topology.nodes.map((node) => [node.id, node]));
  const distance = (a: number, b: number) => {
    const value = nodeEntry.get(a)?.distances[String(b)];
    return typeof value === 'number' ? value : a === b ? 10 : 20;
  };
  const socketsOfNode = (node: number) => distinct([...host.node.entries()].filter(([, of]) => of === node).map(([cpu]) => host.socket.get(cpu)!));
  const nodeSocket = new Map(nodeIds.map((node) => [node, socketsOfNode(node)[0] ?? null]));
  const fits = (node: number, memMiB: number) => memoryFitsNode(topology, spec, node, memMiB);
  // Guest cores of `threads` host CPUs a node's pool CPUs hold (whole cores when threads > 1).
  const wholeCoresIn = (cpus: number[], threads: number) => distinct(cpus.map((cpu) => host.core.get(cpu)!.join(','))).filter((key) => key.split(',').map(Number).filter((cpu) => poolSet.has(cpu)).length >= threads).length;
  const poolIn = (node: number) => pool.filter((cpu) => host.node.get(cpu) === node);
  const room = (node: number, vcpuCount: number) => (spec.vcpus.autoTopology && t > 1 ? wholeCoresIn(poolIn(node), t) >= vcpuCount / t : poolIn(node).length >= vcpuCount);
  const nodesOfGroup = (vcpus: number[]) => distinct(vcpus.map((vcpu) => host.node.get(vcpuHosts[vcpu]!)!)).sort((a, b) => a - b);
  const memOf = (index: number) => (spec.numa.length > 0 ? spec.numa[index]!.memMiB : spec.memory.sizeMiB);
  const hostNodeOf = (index: number) => (spec.numa.length > 0 ? spec.numa[index]!.hostNode : spec.pinning.hostNode);
  const compact = spec.pinning.strategy === 'compact';

  // Memory fits free memory: a compact single-node VM whose node lacks the free memory (free
  // pages) could not have gone to another node with room and enough free.
  if (auto && compact && groups.length === 1 && hostNodeOf(0) === null) {
    const nodes = nodesOfGroup(groups[0]!);
    if (nodes.length === 1 && !fits(nodes[0]!, memOf(0))) {
      const better = nodeIds.find((node) => node !== nodes[0] && fits(node, memOf(0)) && poolIn(node).length >= groups[0]!.length);
      if (better !== undefined) bad(`memory does not fit in node ${nodes[0]}'s free memory, although node ${better} has room and free memory`);
    }
  }

  // Guest nodes by distance: no single move of one guest node improves [fit, distance, socket pairs].
  if (auto && groups.length > 1) {
    const assignment = groups.map(nodesOfGroup);
    if (assignment.every((nodes) => nodes.length === 1) && distinct(assignment.map((nodes) => nodes[0]!)).length === groups.length) {
      const flat = assignment.map((nodes) => nodes[0]!);
      // Free memory fit, then fit where the memory could still be had (free RAM and free pages of
      // the backing together, for pages not yet reserved; the size only when free is unknown),
      // then distance, then sockets.
      const [pageKiB, pageMiB] = spec.memory.backing === 'hugepages-2M' ? ['2048', 2] : spec.memory.backing === 'hugepages-1G' ? ['1048576', 1024] : [null, 0];
      const sizeFits = (node: number, memMiB: number) => {
        const entry = nodeEntry.get(node);
        const ram = entry?.freeMiB ?? entry?.memMiB;
        if (ram === null || ram === undefined) return true;
        const pages = pageKiB === null ? 0 : (entry?.hugepages[pageKiB]?.free ?? 0) * pageMiB;
        return ram + pages >= memMiB;
      };
      const score = (nodes: number[]) => {
        let fit = 0;
        let sized = 0;
        let sum = 0;
        let pairs = 0;
        nodes.forEach((node, index) => {
          if (fits(node, memOf(index))) fit++;
          if (sizeFits(node, memOf(index))) sized++;
          for (let other = 0; other < index; other++) {
            sum += distance(node, nodes[other]!) + distance(nodes[other]!, node);
            if (nodeSocket.get(node) !== null && nodeSocket.get(node) === nodeSocket.get(nodes[other]!)) pairs++;
          }
        });
        return [fit, sized, -sum, pairs];
      };
      const current = score(flat);
      const beats = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]! || a[3]! - b[3]!;
      groups.forEach((vcpus, index) => {
        if (hostNodeOf(index) !== null) return;
        for (const node of nodeIds) {
          if (flat.includes(node)) continue;
          const threadsHere = spec.pinning.strategy === 'spread' ? 1 : t;
          const hasRoom = threadsHere > 1 && spec.vcpus.autoTopology ? wholeCoresIn(poolIn(node), threadsHere) >= vcpus.length / threadsHere : poolIn(node).length >= vcpus.length;
          if (!hasRoom) continue;
          const moved = [...flat];
          moved[index] = node;
          if (beats(score(moved), current) > 0) bad(`guest node ${index} on host node ${flat[index]}, but host node ${node} is nearer the others or fits its memory (${score(moved)} vs ${current})`);
        }
      });
    }
  }

  // Each group's vCPUs on packages its memory is on (memory follows the vCPUs).
  groups.forEach((vcpus, index) => {
    const memoryNodes = spec.numa.length > 0 ? plan.memory.guestNodes[index]!.hostNodes : plan.memory.hostNodes;
    const memorySockets = new Set(memoryNodes.flatMap(socketsOfNode));
    if (vcpus.some((vcpu) => !memorySockets.has(host.socket.get(vcpuHosts[vcpu]!)!))) bad(`group ${index} has vCPUs on a package none of its memory nodes ${memoryNodes} is on`);
  });

  // Dies: each guest die is one host L3 group, and an even, consecutive split is told as dies.
  if (spec.vcpus.autoTopology) {
    const l3Of = (vcpu: number) => host.l3.get(vcpuHosts[vcpu]!) ?? null;
    const perSocket = vcpuHosts.length / topo.sockets;
    let expected: number | null = null;
    const seen = new Set<number>();
    for (let socket = 0; socket < topo.sockets && expected !== 1; socket++) {
      const runs: Array<[number | null, number]> = [];
      for (let vcpu = socket * perSocket; vcpu < (socket + 1) * perSocket; vcpu++) {
        const l3 = l3Of(vcpu);
        if (runs.length > 0 && runs.at(-1)![0] === l3) runs.at(-1)![1]++;
        else runs.push([l3, 1]);
      }
      const even = runs.every(([l3, length]) => l3 !== null && length === runs[0]![1] && length % t === 0) && runs.every(([l3]) => !seen.has(l3!)) && distinct(runs.map(([l3]) => l3)).length === runs.length;
      runs.forEach(([l3]) => l3 !== null && seen.add(l3));
      if (!even || (expected !== null && expected !== runs.length)) expected = 1;
      else expected = runs.length;
    }
    if ((expected ?? 1) !== topo.dies) bad(`guest dies ${topo.dies}, but the vCPUs sit in ${expected} equal L3 runs per socket`);
    if (topo.dies > 1) {
      const dieL3 = new Map<string, Set<number | null>>();
      plan.vcpus.forEach((vcpu) => {
        const key = `${vcpu.socket}/${vcpu.die}`;
        if (!dieL3.has(key)) dieL3.set(key, new Set());
        dieL3.get(key)!.add(l3Of(vcpu.vcpu));
      });
      if ([...dieL3.values()].some((l3s) => l3s.size !== 1)) bad('a guest die spans host L3 groups');
      if (distinct([...dieL3.values()].map((l3s) => [...l3s][0])).length !== dieL3.size) bad('two guest dies on one host L3 group');
    }
  }

  // L3 choice within a node: a wholly free group before a busy one; an even split when possible.
  if (auto && compact && !input.onHousekeeping) {
    const busyL3 = new Set([...host.l3.entries()].filter(([cpu, l3]) => l3 !== null && (housekeeping.has(cpu) || taken.has(cpu))).map(([, l3]) => l3));
    groups.forEach((vcpus, index) => {
      const nodes = nodesOfGroup(vcpus);
      if (nodes.length !== 1) return;
      // What this group could use: the node's pool CPUs minus the VM's other groups' vCPUs.
      const others = new Set(groups.filter((_, other) => other !== index).flatMap((members) => members.map((vcpu) => vcpuHosts[vcpu]!)));
      const mine = poolIn(nodes[0]!).filter((cpu) => !others.has(cpu));
      const l3sOfNode = distinct(mine.map((cpu) => host.l3.get(cpu)).filter((l3): l3 is number => l3 !== null && l3 !== undefined));
      const coresIn = (l3: number) => {
        const cpus = mine.filter((cpu) => host.l3.get(cpu) === l3);
        const need = spec.vcpus.autoTopology ? t : 1;
        return distinct(cpus.map((cpu) => host.core.get(cpu)!.join(','))).filter((key) => key.split(',').map(Number).filter((cpu) => cpus.includes(cpu)).length >= need).length;
      };
      const units = spec.vcpus.autoTopology ? vcpus.length / t : vcpus.length;
      const used = distinct(vcpus.map((vcpu) => host.l3.get(vcpuHosts[vcpu]!))).filter((l3): l3 is number => l3 !== null && l3 !== undefined);
      if (used.length === 1 && busyL3.has(used[0]!)) {
        const freeGroup = l3sOfNode.find((l3) => !busyL3.has(l3) && coresIn(l3) >= units);
        if (freeGroup !== undefined) bad(`group ${index} in L3 group ${used[0]}, which holds the housekeeping core or another VM, although L3 group ${freeGroup} is wholly free and holds it`);
      }
      if (used.length > 1 && groups.length === 1 && spec.vcpus.autoTopology && !l3sOfNode.some((l3) => coresIn(l3) >= units)) {
        let smallest: number | null = null;
        for (let count = 2; count <= l3sOfNode.length && smallest === null; count++) {
          if (units % count === 0 && l3sOfNode.filter((l3) => coresIn(l3) >= units / count).length >= count) smallest = count;
        }
        const perL3 = used.map((l3) => vcpus.filter((vcpu) => host.l3.get(vcpuHosts[vcpu]!) === l3).length);
        if (smallest !== null && (used.length !== smallest || perL3.some((size) => size !== perL3[0]))) bad(`group ${index} split ${perL3.join('+')} over L3 groups although an even split over ${smallest} groups was possible`);
      }
    });
  }

  // Hybrid hosts: housekeeping on the slow kind; a VM that fits on the fast kind stays there.
  if (topology.cpuKinds.length > 1) {
    const fastest = Math.max(...topology.cpuKinds.map((entry) => entry.rank));
    if (spec.pinning.housekeepingPerSocket > 0) {
      for (const cpu of housekeeping) {
        if (host.kind.get(cpu) !== fastest) continue;
        const slower = free.find((other) => host.socket.get(other) === host.socket.get(cpu) && !housekeeping.has(other) && !host.isolated.has(other) && (host.kind.get(other) ?? fastest) < fastest);
        if (slower !== undefined) bad(`housekeeping on fast CPU ${cpu} although slower CPU ${slower} of its socket is free`);
      }
    }
    if (auto && groups.length === 1 && !input.onHousekeeping) {
      const fast = free.filter((cpu) => !housekeeping.has(cpu) && host.kind.get(cpu) === fastest);
      // With siblings held idle a vCPU needs a whole fast core (every sibling free), not a thread.
      const room = (cpus: number[]) => {
        if (spec.pinning.siblings !== 'idle') return cpus.length;
        const here = new Set(cpus);
        return new Set(cpus.map((cpu) => host.core.get(cpu)!).filter((core) => core.every((sibling) => here.has(sibling))).map((core) => core.join(','))).size;
      };
      const roomy = nodeIds.some((node) => room(fast.filter((cpu) => host.node.get(cpu) === node)) >= vcpuHosts.length);
      const isolatedOnly = spec.pinning.preferIsolated && vcpuHosts.every((cpu) => host.isolated.has(cpu));
      if (roomy && !isolatedOnly && vcpuHosts.some((cpu) => host.kind.get(cpu) !== fastest)) bad('vCPUs on slower cores although the fast cores of one node could hold the VM');
    }
  }
}
