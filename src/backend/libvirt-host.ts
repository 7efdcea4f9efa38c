/**
 * A host's facts as libvirt tells them (for a host behind `--connect URI`, local or
 * `qemu+ssh://`): the topology from `virsh capabilities` (NUMA cells with memory, page pools and
 * distances; CPUs with socket/die/core ids and SMT siblings; L3 cache banks), free memory per
 * node from `virsh freecell --all`, free huge pages per node from `virsh freepages --all`, and
 * the libvirt and QEMU versions from `virsh version --daemon`. Parsing is pure; the text comes
 * from a remote daemon, so it is size-capped and refused when it carries a DTD (no entity can
 * expand). The sysfs reader stays the source for the local host; a real test checks that both
 * give this host the same core map.
 *
 * What libvirt does not say (and so stays empty here): isolated and nohz_full CPUs, CPU kinds
 * of hybrid hosts, cluster ids. The topology's notes say so.
 */
import { create } from 'xmlbuilder2';
import { parseCpuList } from '../host/cpulist.js';
import type { CpuInfo } from '../host/cpuinfo.js';
import type { CpuModelFacts, CpuModelInfo } from '../host/cpu-models.js';
import type { Accel } from '../spec/types.js';
import type { HostCpu, HostNode, L3Group, Topology } from '../host/topology.js';

/** Far above a 512-thread host's capabilities (~300 KB). */
export const MAX_LIBVIRT_XML_BYTES = 8 * 1024 * 1024;

export class LibvirtParseError extends Error {}

interface El {
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<El>;
  textContent: string | null;
  parentNode: El | null;
  tagName: string;
}

/** Parses libvirt's XML (capabilities, domcapabilities, dumpxml) into a DOM, refusing what a daemon never prints. */
export function parseLibvirtXml(text: string, what: string): El {
  if (Buffer.byteLength(text) > MAX_LIBVIRT_XML_BYTES) throw new LibvirtParseError(`${what}: over ${MAX_LIBVIRT_XML_BYTES} bytes`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new LibvirtParseError(`${what}: carries a DTD, which libvirt never prints; refused`);
  try {
    return (create(text).node as unknown as { documentElement: El }).documentElement;
  } catch (error) {
    throw new LibvirtParseError(`${what}: not well-formed XML (${(error as Error).message.split('\n')[0]})`);
  }
}

const list = (parent: El, tag: string): El[] => Array.from(parent.getElementsByTagName(tag));

function intAttr(el: El, name: string): number | null {
  const value = el.getAttribute(name);
  if (value === null || !/^-?\d+$/.test(value)) return null;
  const n = Number(value);
  return n < 0 ? null : n;
}

function kib(el: El): number | null {
  const value = Number((el.textContent ?? '').trim());
  if (!Number.isFinite(value)) return null;
  const unit = el.getAttribute('unit') ?? 'KiB';
  const factor = unit === 'KiB' ? 1 : unit === 'MiB' ? 1024 : unit === 'GiB' ? 1024 * 1024 : unit === 'bytes' || unit === 'B' ? 1 / 1024 : null;
  return factor === null ? null : value * factor;
}

/** The host part of `virsh capabilities` as kvm-tui's Topology (without free memory: see freecell). */
export function topologyFromCapabilities(xml: string): Topology {
  const root = parseLibvirtXml(xml, 'virsh capabilities');
  const host = list(root, 'host')[0];
  if (!host) throw new LibvirtParseError('virsh capabilities: no <host> element');
  const notes: string[] = ['from libvirt: isolated and nohz_full CPUs, CPU kinds and clusters are not reported there'];
  const cpus: HostCpu[] = [];
  const nodes: HostNode[] = [];
  const topologyEl = list(host, 'topology').find((el) => el.parentNode?.tagName === 'host');
  const cells = topologyEl ? list(topologyEl, 'cell') : [];
  for (const cell of cells) {
    const id = intAttr(cell, 'id');
    if (id === null) continue;
    const memory = list(cell, 'memory')[0];
    const memKiB = memory ? kib(memory) : null;
    const hugepages: HostNode['hugepages'] = {};
    for (const pages of list(cell, 'pages')) {
      const size = intAttr(pages, 'size');
      const count = Number((pages.textContent ?? '').trim());
      // 4 KiB "pages" are ordinary memory, not a huge page pool.
      if (size === null || size <= 4 || !Number.isInteger(count)) continue;
      hugepages[String(size)] = { total: count, free: count };
    }
    const distances: Record<string, number> = {};
    for (const sibling of list(cell, 'sibling')) {
      const other = intAttr(sibling, 'id');
      const value = intAttr(sibling, 'value');
      if (other !== null && value !== null) distances[String(other)] = value;
    }
    const nodeCpus: number[] = [];
    for (const cpuEl of list(cell, 'cpu')) {
      const cpu = intAttr(cpuEl, 'id');
      if (cpu === null) continue;
      // libvirt lists an offline CPU by id alone.
      const online = cpuEl.getAttribute('socket_id') !== null;
      const siblingsText = cpuEl.getAttribute('siblings');
      if (online) nodeCpus.push(cpu);
      cpus.push({
        cpu,
        online,
        socket: online ? intAttr(cpuEl, 'socket_id') : null,
        die: online ? intAttr(cpuEl, 'die_id') : null,
        cluster: online ? intAttr(cpuEl, 'cluster_id') : null,
        core: online ? intAttr(cpuEl, 'core_id') : null,
        node: online ? id : null,
        l3: null,
        siblings: online ? (siblingsText ? parseCpuList(siblingsText) : [cpu]) : [],
        kind: null,
        isolated: false,
        nohzFull: false,
      });
    }
    nodes.push({ id, cpus: nodeCpus.sort((a, b) => a - b), memMiB: memKiB === null ? null : Math.floor(memKiB / 1024), freeMiB: null, distances, hugepages });
  }
  if (cpus.length === 0) throw new LibvirtParseError('virsh capabilities: no CPUs in <host><topology>');
  cpus.sort((a, b) => a.cpu - b.cpu);
  const online = cpus.filter((cpu) => cpu.online).map((cpu) => cpu.cpu);
  const onlineSet = new Set(online);
  for (const cpu of cpus) cpu.siblings = cpu.siblings.filter((other) => onlineSet.has(other));

  // L3 banks: <cache><bank id level='3' type='both|data' cpus='...'/></cache>
  const l3Groups: L3Group[] = [];
  const cacheEl = list(host, 'cache').find((el) => el.parentNode?.tagName === 'host');
  const banks = cacheEl ? list(cacheEl, 'bank').filter((bank) => bank.getAttribute('level') === '3' && bank.getAttribute('type') !== 'instruction') : [];
  const seen = new Set<string>();
  for (const bank of banks.map((el) => ({ cacheId: intAttr(el, 'id'), cpus: parseCpuList(el.getAttribute('cpus') ?? '').filter((cpu) => onlineSet.has(cpu)) })).sort((a, b) => (a.cpus[0] ?? 0) - (b.cpus[0] ?? 0))) {
    const key = bank.cpus.join(',');
    if (bank.cpus.length === 0 || seen.has(key)) continue;
    seen.add(key);
    l3Groups.push({ index: l3Groups.length, cacheId: bank.cacheId, cpus: bank.cpus });
  }
  const l3Of = new Map<number, number>();
  for (const group of l3Groups) for (const cpu of group.cpus) l3Of.set(cpu, group.index);
  for (const cpu of cpus) cpu.l3 = l3Of.get(cpu.cpu) ?? null;
  if (l3Groups.length === 0) notes.push('libvirt reports no L3 cache banks for this host');
  return { cpus, nodes: nodes.sort((a, b) => a.id - b.id), online, isolated: [], nohzFull: [], l3Groups, cpuKinds: [], notes };
}

/** CPU facts the planner needs (vendor, flags) from `<host><cpu>` of the capabilities. */
export function cpuInfoFromCapabilities(xml: string): CpuInfo {
  const root = parseLibvirtXml(xml, 'virsh capabilities');
  const cpuEl = list(root, 'host')[0] ? list(list(root, 'host')[0]!, 'cpu').find((el) => el.parentNode?.tagName === 'host') : undefined;
  if (!cpuEl) return { vendor: 'other', vendorId: null, modelName: null, flags: new Set(), readable: false, reason: 'virsh capabilities has no host CPU' };
  const vendorText = (list(cpuEl, 'vendor')[0]?.textContent ?? '').trim();
  const vendor = vendorText === 'Intel' ? 'intel' : vendorText === 'AMD' || vendorText === 'Hygon' ? 'amd' : 'other';
  const vendorId = vendor === 'intel' ? 'GenuineIntel' : vendorText === 'AMD' ? 'AuthenticAMD' : vendorText === 'Hygon' ? 'HygonGenuine' : null;
  // The features a named model already includes are not listed as <feature>, so a flag's absence
  // proves nothing; the one the planner asks for (pdpe1gb, 1 GiB pages) is read from the page
  // sizes the host CPU offers instead.
  const flags = new Set<string>();
  for (const feature of list(cpuEl, 'feature')) {
    const name = feature.getAttribute('name');
    if (name) flags.add(name);
  }
  if (list(cpuEl, 'pages').some((pages) => pages.getAttribute('size') === '1048576')) flags.add('pdpe1gb');
  else flags.delete('pdpe1gb');
  const model = (list(cpuEl, 'model')[0]?.textContent ?? '').trim() || null;
  return { vendor, vendorId, modelName: model, flags, readable: true, reason: null };
}

/** `virsh freecell --all`: "    0:     5349508 KiB" per node -> MiB free. */
export function parseFreecell(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+):\s+(\d+)\s+KiB\s*$/.exec(line);
    if (match) out.set(Number(match[1]), Math.floor(Number(match[2]) / 1024));
  }
  return out;
}

/** `virsh freepages --all`: "Node N:" then "SIZEKiB: COUNT" lines -> node -> size KiB -> free pages. */
export function parseFreepages(text: string): Map<number, Map<number, number>> {
  const out = new Map<number, Map<number, number>>();
  let node: Map<number, number> | null = null;
  for (const line of text.split('\n')) {
    const head = /^\s*Node\s+(\d+):\s*$/.exec(line);
    if (head) {
      node = new Map();
      out.set(Number(head[1]), node);
      continue;
    }
    const pages = /^\s*(\d+)KiB:\s+(\d+)\s*$/.exec(line);
    if (pages && node) node.set(Number(pages[1]), Number(pages[2]));
  }
  return out;
}

export interface LibvirtVersions {
  libvirt: string | null;
  daemon: string | null;
  /** The hypervisor QEMU as "X.Y.Z". */
  qemu: string | null;
}

/** `virsh version --daemon`. */
export function parseVersion(text: string): LibvirtVersions {
  const pick = (re: RegExp) => re.exec(text)?.[1] ?? null;
  return {
    libvirt: pick(/^Using library: libvirt (\S+)/m),
    daemon: pick(/^Running against daemon: (\S+)/m),
    qemu: pick(/^Running hypervisor: QEMU (\S+)/m),
  };
}

/** Fills free memory and free pages per node into a topology read from the capabilities. */
export function withFreeMemory(topology: Topology, freecell: Map<number, number>, freepages: Map<number, Map<number, number>>): Topology {
  const nodes = topology.nodes.map((node) => {
    const pages = freepages.get(node.id);
    const hugepages: HostNode['hugepages'] = {};
    for (const [size, pool] of Object.entries(node.hugepages)) hugepages[size] = { total: pool.total, free: pages?.get(Number(size)) ?? pool.free };
    return { ...node, freeMiB: freecell.get(node.id) ?? null, hugepages };
  });
  return { ...topology, nodes };
}

/** Stands in for the feature list when libvirt says a model is not usable but not why (libvirt < 9.5 has no <blockers>). */
export const UNNAMED_BLOCKERS = 'features libvirt does not name';

/**
 * The named CPU models of `virsh domcapabilities` (its custom mode): usable='no' with the
 * features in `<blockers model=...>` where libvirt lists them. libvirt reads these from QEMU's
 * own query-cpu-definitions, so they are the same facts the direct probe gets.
 */
export function cpuModelsFromDomcapabilities(xml: string, accel: Accel): CpuModelFacts {
  const root = parseLibvirtXml(xml, 'virsh domcapabilities');
  const blockers = new Map<string, string[]>();
  for (const el of Array.from(root.getElementsByTagName('blockers'))) {
    const model = el.getAttribute('model');
    if (model) blockers.set(model, Array.from(el.getElementsByTagName('feature')).map((feature) => feature.getAttribute('name') ?? '').filter(Boolean));
  }
  const models = new Map<string, CpuModelInfo>();
  for (const mode of Array.from(root.getElementsByTagName('mode'))) {
    if (mode.getAttribute('name') !== 'custom') continue;
    for (const el of Array.from(mode.getElementsByTagName('model'))) {
      const name = (el.textContent ?? '').trim();
      if (!name) continue;
      const usable = el.getAttribute('usable') !== 'no';
      const named = blockers.get(name) ?? [];
      models.set(name, {
        unavailable: usable ? [] : named.length > 0 ? named : [UNNAMED_BLOCKERS],
        aliasOf: el.getAttribute('canonical') && el.getAttribute('canonical') !== name ? el.getAttribute('canonical') : null,
        deprecated: el.getAttribute('deprecated') === 'yes',
      });
    }
  }
  if (models.size === 0) throw new LibvirtParseError('virsh domcapabilities lists no CPU models');
  return { accel, models };
}
