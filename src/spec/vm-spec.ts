/**
 * The spec file format: a partial VmSpec in JSON, validated (./check.ts) and completed with defaults.
 *
 * Shorthands people reach for are accepted and expanded before validation, so every error can
 * name one field: `"vcpus": 8` = `{"count": 8}`, `"memory": "16G"` = `{"size": "16G"}`,
 * `"cpu": "host"` = `{"model": "host"}`, `"network": "tap:tap0"`, `"disks": ["a.qcow2"]`,
 * `"numa": {"nodes": 2}` (split vCPUs and memory evenly), `"guest": "windows"` = `{"os": "windows"}`. Unknown fields are errors (a typo in
 * "hugepages" must not silently give a VM without them).
 *
 * Strings that end up in QEMU options (machine, CPU model, features, interface names) are limited
 * to the characters those options allow, so a spec cannot smuggle ",opt=value" into an option.
 * The VM name is free-form apart from "/" and control characters: generators must quote it.
 */
import * as v from './check.js';
import { UsageError } from '../errors.js';
import { parseCpuList, CpuListError } from '../host/cpulist.js';
import { formatSizeMiB, parseSizeMiB } from './size.js';
import { checkIfname } from '../shared/ifname.js';
import { hasNonXmlChar } from '../shared/text.js';
import { PAGE_MIB } from '../shared/page-sizes.js';
import type { Accel, DiskAio, DiskCache, GuestOs, MemoryBacking, VmSpec } from './types.js';

/** An invalid spec: `source: path: what is wrong`, one line. Exit code 2 like any usage error. */
export class SpecError extends UsageError {
  constructor(
    readonly source: string,
    readonly path: string,
    readonly detail: string,
  ) {
    super(path ? `${source}: ${path}: ${detail}` : `${source}: ${detail}`);
  }
}

export const ACCELS = ['kvm', 'tcg'] as const;
/** What a spec may say: `auto` (also the default) is kvm where the host has /dev/kvm, else tcg. */
const SPEC_ACCELS = ['auto', 'kvm', 'tcg'] as const;

/**
 * QEMU options kvm-tui sets and relies on: extraArgs may add anything else, never these (a
 * second -name renames the threads kvm-tui finds, -daemonize forks the pid it tracks away,
 * -qmp/-mon/-monitor/-chardev take over what its sockets are, -S/-pidfile/-serial are its own).
 */
export const RESERVED_QEMU_OPTIONS = new Set(['-name', '-pidfile', '-daemonize', '-qmp', '-qmp-pretty', '-monitor', '-mon', '-S', '-serial', '-runas', '-chroot', '-run-with', '-nodefaults', '-no-user-config', '-display', '-nographic']);
/** Options that carry what the plan decides: another value here would make the pins describe a different VM. */
export const PLANNED_QEMU_OPTIONS = new Set(['-smp', '-m', '-cpu', '-machine', '-M', '-accel', '-enable-kvm', '-numa', '-mem-path', '-mem-prealloc']);
export const BACKINGS = ['ram', 'hugepages-2M', 'hugepages-1G'] as const;
export const DISK_CACHES = ['none', 'writeback', 'writethrough', 'directsync', 'unsafe'] as const;
export const DISK_AIOS = ['native', 'io_uring', 'threads'] as const;
export const DISK_FORMATS = ['raw', 'qcow2'] as const;
export const NET_MODES = ['none', 'user', 'tap'] as const;
export const STRATEGIES = ['compact', 'spread', 'none'] as const;
export const EMULATOR_PLACEMENTS = ['housekeeping', 'with-vcpus', 'dedicated'] as const;
export const IOTHREAD_PLACEMENTS = ['housekeeping', 'dedicated', 'with-vcpus'] as const;
export const GUEST_OSES = ['linux', 'windows', 'other'] as const;
export const GUEST_FIRMWARES = ['bios', 'uefi'] as const;
export const GUEST_CLOCKS = ['utc', 'localtime'] as const;

export const MAX_VCPUS = 4096;
export const NAME_RULE = '1-64 characters, no "/" and no control characters (newline, tab...)';
/** Linux IFNAMSIZ is 16 including the NUL; the kernel refuses "/", ":" and whitespace. */
const QEMU_TOKEN_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const FEATURE_RE = /^[+-][A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;
/** C0 controls XML 1.0 has no Char for (tab, newline and carriage return it has). */
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN_CONTROL_RE = /[\u0001-\u0008\u000b\u000c\u000e-\u001f]/;

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => v.oneOf(values, `must be one of ${values.join(', ')}`);
const bool = () => v.boolean('must be true or false');
const str = () => v.string('must be a string');
const int = v.integer;
const size = () => v.union([v.string(''), v.number('')], 'must be a size like "4G", "4096M" or a number of MiB');
const list = <T>(item: v.Schema<T>) => v.list(item, 'must be a list');
const obj = <S extends Record<string, v.Schema<unknown>>>(shape: S, error = 'must be an object') => v.object(shape, error);
const opt = v.optional;
const hostCpus = () => opt(v.union([list(int(0, 1 << 20)), v.nullValue('')], 'must be a list of host CPU numbers or null'));
const hostNode = () => opt(v.union([int(0, 65535), v.nullValue('')], 'must be a host node id or null'));

const DiskInput = obj({
  path: str(),
  format: opt(oneOf(DISK_FORMATS)),
  cache: opt(oneOf(DISK_CACHES)),
  aio: opt(oneOf(DISK_AIOS)),
  iothread: opt(bool()),
  readonly: opt(bool()),
}, 'must be a path or an object with a path');

/** The raw (partial) spec, after shorthand expansion. Every field optional: defaults fill in. */
export const SpecInputSchema = obj({
  name: opt(str()),
  accel: opt(oneOf(SPEC_ACCELS)),
  machine: opt(str()),
  cpu: opt(obj({
    model: opt(str()),
    features: opt(list(str())),
    cachePassthrough: opt(bool()),
    pmu: opt(bool()),
  }, 'must be a CPU model name or an object')),
  vcpus: opt(obj({
    count: opt(int(1, MAX_VCPUS)),
    sockets: opt(int(1, MAX_VCPUS)),
    dies: opt(int(1, MAX_VCPUS)),
    cores: opt(int(1, MAX_VCPUS)),
    threads: opt(int(1, 16)),
  }, 'must be a number of vCPUs or an object like {"count": 8, "threads": 2}')),
  memory: opt(obj({
    size: opt(size()),
    backing: opt(oneOf(BACKINGS)),
    prealloc: opt(bool()),
    lock: opt(bool()),
    share: opt(bool()),
  }, 'must be a size like "4G" or an object like {"size": "4G", "backing": "hugepages-2M"}')),
  numa: opt(v.union([
    obj({ nodes: int(1, 64) }),
    list(
      obj({
        vcpus: v.union([list(int(0, MAX_VCPUS - 1)), v.string('')], 'must be a list of vCPU numbers or a cpulist like "0-3"'),
        memory: size(),
        hostNode: hostNode(),
      }),
    ),
  ], 'must be {"nodes": N} or a list of guest nodes')),
  disks: opt(list(DiskInput)),
  diskDefaults: opt(obj({
    format: opt(oneOf(DISK_FORMATS)),
    cache: opt(oneOf(DISK_CACHES)),
    aio: opt(oneOf(DISK_AIOS)),
    iothread: opt(bool()),
  })),
  network: opt(obj({
    mode: opt(oneOf(NET_MODES)),
    ifname: opt(v.union([str(), v.nullValue('')], 'must be an interface name or null')),
    vhost: opt(v.union([v.boolean(''), v.literal('auto', '')], 'must be true, false or "auto"')),
    queues: opt(v.union([int(1, 64), v.literal('auto', '')], 'must be a number of queues (1-64) or "auto"')),
    mac: opt(v.union([str(), v.nullValue('')], 'must be a MAC address or null')),
  })),
  pinning: opt(obj({
    strategy: opt(oneOf(STRATEGIES)),
    map: opt(v.union([list(int(0, 1 << 20)), v.nullValue('')], 'must be a list of host CPU numbers or null')),
    housekeepingPerSocket: opt(int(0, 64)),
    preferIsolated: opt(bool()),
    requireDedicated: opt(bool()),
    hostNode: hostNode(),
    siblings: opt(oneOf(['share', 'idle'] as const)),
  })),
  emulator: opt(obj({
    placement: opt(oneOf(EMULATOR_PLACEMENTS)),
    cpus: hostCpus(),
  })),
  iothreads: opt(obj({
    count: opt(int(0, 64)),
    placement: opt(oneOf(IOTHREAD_PLACEMENTS)),
    cpus: hostCpus(),
  })),
  extraArgs: opt(list(str())),
  vcpuScheduler: opt(v.union([obj({ policy: oneOf(['fifo', 'rr'] as const), priority: opt(int(1, 99)) }), v.nullValue('')], 'must be {"policy": "fifo"|"rr", "priority": 1-99} or null')),
  guest: opt(obj({
    os: opt(oneOf(GUEST_OSES)),
    firmware: opt(oneOf(GUEST_FIRMWARES)),
    secureBoot: opt(bool()),
    tpm: opt(bool()),
    hyperv: opt(bool()),
    clock: opt(oneOf(GUEST_CLOCKS)),
  }, 'must be a guest OS (linux, windows, other) or an object like {"os": "windows", "tpm": false}')),
});

export type SpecInput = v.Infer<typeof SpecInputSchema>;

/** Checks a VM name; returns what is wrong or null. */
export function checkVmName(name: string): string | null {
  const length = [...name].length;
  if (length < 1 || length > 64) return `must be ${NAME_RULE}; got ${length} characters`;
  if (name.includes('/')) return `must not contain "/" (${NAME_RULE})`;
  if (CONTROL_RE.test(name)) return `must not contain control characters such as newline or tab (${NAME_RULE})`;
  // XML 1.0 has no way to write these (libvirt's domain XML would not be well-formed).
  if (hasNonXmlChar(name)) return `must not contain characters XML cannot hold (U+FFFE, U+FFFF, lone surrogates) (${NAME_RULE})`;
  // virsh looks a domain up by id, then UUID, then name: such a name could reach another domain.
  if (VIRSH_AMBIGUOUS_NAME_RE.test(name)) return `must not be all digits or a UUID: virsh would read it as another domain's id or UUID (${NAME_RULE})`;
  return null;
}

/** Names virsh reads as a domain id (digits) or UUID before it tries them as names. */
export const VIRSH_AMBIGUOUS_NAME_RE = /^(\d+|[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})$/i;


/** Parses "user" | "none" | "tap" | "tap:IFNAME" to a network object; null when not one of those. */
export function parseNetShorthand(text: string): { mode: 'user' | 'none' | 'tap'; ifname?: string } | null {
  if (text === 'user' || text === 'none' || text === 'tap') return { mode: text };
  if (text.startsWith('tap:')) return { mode: 'tap', ifname: text.slice(4) };
  return null;
}

/**
 * Validates a spec (partial, as read from JSON) and fills every default.
 * @param source names the input in errors ("spec.json", "preset high-performance").
 * @throws SpecError naming the field: `spec.json: disks[0].aio: must be one of native, io_uring, threads`
 */
/**
 * What this host has, for the spec's `auto` values: accel auto (and no accel) is kvm unless the
 * host has no /dev/kvm (then tcg, and a `host` CPU model becomes `max`); vhost auto (and a tap
 * without vhost) uses vhost-net unless /dev/vhost-net is missing. A node that exists but does not
 * open for this user keeps kvm / vhost: the plan's warning then says how to get access. Unknown (absent)
 * means as on a KVM host. Each such choice that differs from a KVM host is a line in `notes`.
 */
export interface SpecHostFacts {
  kvmUsable?: boolean;
  vhostUsable?: boolean;
  notes?: string[];
}

export function parseVmSpec(input: unknown, source: string, host: SpecHostFacts = {}): VmSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SpecError(source, '', 'must be a JSON object');
  }
  const expanded = expandShorthands(input as Record<string, unknown>, source);
  const issue = v.firstIssue(SpecInputSchema, expanded);
  if (issue) throw new SpecError(source, v.issueField(issue), issue.message);
  // A copy: the spec must not share lists with the caller's input (zod's parse returned one too).
  return completeSpec(structuredClone(expanded) as SpecInput, new Fail(source), host);
}

class Fail {
  constructor(readonly source: string) {}
  at(path: string, detail: string): never {
    throw new SpecError(this.source, path, detail);
  }
}

function expandShorthands(raw: Record<string, unknown>, source: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  if (typeof out.cpu === 'string') out.cpu = { model: out.cpu };
  if (typeof out.vcpus === 'number') out.vcpus = { count: out.vcpus };
  if (typeof out.memory === 'string' || typeof out.memory === 'number') out.memory = { size: out.memory };
  if (typeof out.network === 'string') {
    const net = parseNetShorthand(out.network);
    if (!net) throw new SpecError(source, 'network', 'must be "user", "none", "tap:IFNAME" or an object');
    out.network = net;
  }
  if (Array.isArray(out.disks)) {
    out.disks = out.disks.map((disk) => (typeof disk === 'string' ? { path: disk } : disk));
  }
  if (typeof out.guest === 'string') out.guest = { os: out.guest };
  return out;
}

function completeSpec(input: SpecInput, fail: Fail, host: SpecHostFacts): VmSpec {
  const name = input.name ?? 'vm';
  const nameProblem = checkVmName(name);
  if (nameProblem) fail.at('name', nameProblem);

  const autoAccel = input.accel === undefined || input.accel === 'auto';
  const accel: Accel = input.accel === undefined || input.accel === 'auto' ? (host.kvmUsable === false ? 'tcg' : 'kvm') : input.accel;
  if (autoAccel && accel === 'tcg') host.notes?.push('accel auto: this host has no /dev/kvm, so the VM runs under TCG (software emulation, much slower)');
  const machine = input.machine ?? 'q35';
  if (!QEMU_TOKEN_RE.test(machine)) fail.at('machine', 'must be a QEMU machine type like q35, pc or pc-q35-7.2');

  // -cpu host exists only with KVM; TCG's closest equivalent is "max".
  // "host" on a spec whose accel was left to the host means "the most this host gives": under
  // TCG that is "max" (an explicit accel tcg with "host" stays an error below).
  const hostUnderAutoTcg = autoAccel && accel === 'tcg' && input.cpu?.model === 'host';
  if (hostUnderAutoTcg) host.notes?.push('cpu model host needs KVM: under TCG the guest gets "max", the most QEMU emulates');
  const model = hostUnderAutoTcg ? 'max' : (input.cpu?.model ?? (accel === 'kvm' ? 'host' : 'max'));
  if (!QEMU_TOKEN_RE.test(model)) fail.at('cpu.model', 'must be "host" or a QEMU CPU model name like Skylake-Server, EPYC, max');
  if (model === 'host' && accel !== 'kvm') {
    fail.at('cpu.model', 'host passthrough needs accel kvm; with tcg use "max" or a named model');
  }
  const features = input.cpu?.features ?? [];
  features.forEach((feature, index) => {
    if (!FEATURE_RE.test(feature)) fail.at(`cpu.features[${index}]`, `must look like +name or -name; got ${JSON.stringify(feature)}`);
  });
  // Host cache info belongs to host passthrough: it goes with "host" when TCG turned it into "max".
  const cachePassthrough = hostUnderAutoTcg ? false : (input.cpu?.cachePassthrough ?? false);
  if (cachePassthrough && model !== 'host') fail.at('cpu.cachePassthrough', 'needs cpu.model "host" (host cache info is only passed through with host passthrough)');

  const vcpus = completeVcpus(input.vcpus, fail);

  const memory = completeMemory(input.memory, fail);
  const numa = completeNuma(input.numa, vcpus.count, memory.sizeMiB, memory.backing, fail);

  const disks = (input.disks ?? []).map((disk, index) => {
    const at = `disks[${index}]`;
    if (disk.path === '') fail.at(`${at}.path`, 'must not be empty');
    if (CONTROL_RE.test(disk.path)) fail.at(`${at}.path`, 'must not contain control characters');
    if (hasNonXmlChar(disk.path)) fail.at(`${at}.path`, 'must not contain characters XML cannot hold (U+FFFE, U+FFFF, lone surrogates)');
    const cache: DiskCache = disk.cache ?? input.diskDefaults?.cache ?? 'none';
    const aio: DiskAio = disk.aio ?? input.diskDefaults?.aio ?? 'threads';
    // Linux native AIO only works on O_DIRECT files; QEMU refuses the combination otherwise.
    if (aio === 'native' && cache !== 'none' && cache !== 'directsync') {
      fail.at(`${at}.aio`, `native needs cache none or directsync (O_DIRECT); this disk has cache ${cache}`);
    }
    return {
      path: disk.path,
      format: disk.format ?? input.diskDefaults?.format ?? (/\.qcow2$/i.test(disk.path) ? 'qcow2' : 'raw'),
      cache,
      aio,
      iothread: disk.iothread ?? input.diskDefaults?.iothread ?? false,
      readonly: disk.readonly ?? false,
    } as VmSpec['disks'][number];
  });

  const iothreadDisks = disks.filter((disk) => disk.iothread).length;
  const iothreadCount = input.iothreads?.count ?? iothreadDisks;
  if (iothreadCount < iothreadDisks) {
    fail.at('iothreads.count', `${iothreadDisks} disks ask for an iothread of their own but count is ${iothreadCount}`);
  }

  const network = completeNetwork(input.network, vcpus.count, fail, host);

  const map = input.pinning?.map ?? null;
  if (map !== null && map.length !== vcpus.count) {
    fail.at('pinning.map', `has ${map.length} entries for ${vcpus.count} vCPUs (one host CPU per vCPU)`);
  }
  const emulatorCpus = input.emulator?.cpus ?? null;
  if (emulatorCpus !== null && emulatorCpus.length === 0) fail.at('emulator.cpus', 'must list at least one host CPU, or be null');
  const iothreadCpus = input.iothreads?.cpus ?? null;
  if (iothreadCpus !== null && iothreadCpus.length === 0) fail.at('iothreads.cpus', 'must list at least one host CPU, or be null');
  if (iothreadCpus !== null && iothreadCount === 0) fail.at('iothreads.cpus', 'lists CPUs for iothreads, but the VM has none (iothreads.count 0)');

  const extraArgs = input.extraArgs ?? [];
  extraArgs.forEach((arg, index) => {
    if (arg.includes('\0')) fail.at(`extraArgs[${index}]`, 'must not contain NUL');
    // They also go into the libvirt XML (<qemu:arg value=...>), which cannot hold these.
    if (hasNonXmlChar(arg) || XML_FORBIDDEN_CONTROL_RE.test(arg)) fail.at(`extraArgs[${index}]`, 'must not contain characters XML cannot hold (control characters other than tab and newline, U+FFFE, U+FFFF, lone surrogates)');
    // QEMU reads "--name" as "-name"; a value (the argument after an option) is not an option.
    const option = arg.replace(/^--/, '-').split('=')[0]!;
    if (RESERVED_QEMU_OPTIONS.has(option)) {
      fail.at(`extraArgs[${index}]`, `${arg} replaces an option kvm-tui sets itself (the VM's name, pid file, QMP sockets, paused start, serial log, process identity): launch, status and stop would lose the VM; leave it out`);
    }
    if (PLANNED_QEMU_OPTIONS.has(option)) {
      fail.at(`extraArgs[${index}]`, `${arg} sets what the plan decides (vCPUs and their topology, memory, CPU model, machine, accelerator, NUMA): the pins would describe another VM; set it in the spec (vcpus, memory, cpu, machine, accel, numa) instead`);
    }
  });

  return {
    name,
    accel,
    machine,
    cpu: { model, features, cachePassthrough, pmu: input.cpu?.pmu ?? null },
    vcpus,
    memory,
    numa,
    disks,
    network,
    pinning: {
      strategy: input.pinning?.strategy ?? 'compact',
      map,
      housekeepingPerSocket: input.pinning?.housekeepingPerSocket ?? 1,
      preferIsolated: input.pinning?.preferIsolated ?? true,
      requireDedicated: input.pinning?.requireDedicated ?? true,
      hostNode: input.pinning?.hostNode ?? null,
      siblings: input.pinning?.siblings ?? 'share',
    },
    emulator: { placement: input.emulator?.placement ?? 'housekeeping', cpus: emulatorCpus },
    // cpus only when given: a spec without it stays the shape it always had.
    iothreads: { count: iothreadCount, placement: input.iothreads?.placement ?? 'housekeeping', ...(iothreadCpus !== null ? { cpus: iothreadCpus } : {}) },
    extraArgs,
    vcpuScheduler: input.vcpuScheduler ? { policy: input.vcpuScheduler.policy, priority: input.vcpuScheduler.priority ?? 1 } : null,
    guest: completeGuest(input.guest, machine, fail),
  };
}

/**
 * What each guest OS gets unless the spec says otherwise. Windows 11 requires UEFI with secure
 * boot and a TPM 2.0; Hyper-V enlightenments are what Windows uses instead of spinning on locks
 * and polling timers (as Proxmox and virt-install set them); Windows keeps the RTC in local time.
 * Linux and other guests keep today's PC: BIOS, no TPM, RTC in UTC.
 */
const GUEST_DEFAULTS: Record<GuestOs, Omit<VmSpec['guest'], 'os'>> = {
  linux: { firmware: 'bios', secureBoot: false, tpm: false, hyperv: false, clock: 'utc' },
  windows: { firmware: 'uefi', secureBoot: true, tpm: true, hyperv: true, clock: 'localtime' },
  other: { firmware: 'bios', secureBoot: false, tpm: false, hyperv: false, clock: 'utc' },
};

function completeGuest(input: SpecInput['guest'], machine: string, fail: Fail): VmSpec['guest'] {
  const os = input?.os ?? 'linux';
  const defaults = GUEST_DEFAULTS[os];
  const firmware = input?.firmware ?? defaults.firmware;
  // Secure boot is a UEFI feature; asked for explicitly with BIOS it is an error, as a default it follows the firmware.
  if (input?.secureBoot === true && firmware !== 'uefi') fail.at('guest.secureBoot', `needs guest.firmware "uefi" (firmware is ${firmware})`);
  const secureBoot = input?.secureBoot ?? (defaults.secureBoot && firmware === 'uefi');
  // OVMF's secure boot needs SMM, which libvirt (and OVMF's SMM build) support on q35 only.
  if (secureBoot && !/^(q35|pc-q35-[0-9.]+)$/.test(machine)) {
    fail.at('guest.secureBoot', `needs a q35 machine (machine is ${machine}); use "machine": "q35" or "secureBoot": false`);
  }
  return {
    os,
    firmware,
    secureBoot,
    tpm: input?.tpm ?? defaults.tpm,
    hyperv: input?.hyperv ?? defaults.hyperv,
    clock: input?.clock ?? defaults.clock,
  };
}

function completeVcpus(input: SpecInput['vcpus'], fail: Fail): VmSpec['vcpus'] {
  const given = input ?? {};
  const { sockets, dies, cores, threads } = given;
  if (sockets === undefined && dies === undefined && cores === undefined && threads === undefined) {
    const count = given.count ?? 2;
    return { count, sockets: 1, dies: 1, cores: count, threads: 1, autoTopology: true };
  }
  const d = dies ?? 1;
  const t = threads ?? 1;
  let s = sockets;
  let c = cores;
  let count = given.count;
  if (count === undefined) {
    if (s === undefined || c === undefined) fail.at('vcpus.count', 'is needed unless sockets and cores are both given');
    count = s * d * c * t;
  }
  // Fill the one missing factor from the count, so {"count": 16, "threads": 2} works.
  if (s === undefined && c === undefined) s = 1;
  if (s === undefined) {
    if (count % (d * c! * t) !== 0) fail.at('vcpus.sockets', `count ${count} is not a multiple of dies*cores*threads (${d * c! * t})`);
    s = count / (d * c! * t);
  }
  if (c === undefined) {
    if (count % (s * d * t) !== 0) fail.at('vcpus.cores', `count ${count} is not a multiple of sockets*dies*threads (${s * d * t})`);
    c = count / (s * d * t);
  }
  if (s * d * c * t !== count) {
    fail.at('vcpus', `sockets*dies*cores*threads = ${s}*${d}*${c}*${t} = ${s * d * c * t}, but count is ${count}`);
  }
  if (count > MAX_VCPUS) fail.at('vcpus.count', `must be at most ${MAX_VCPUS}`);
  return { count, sockets: s, dies: d, cores: c, threads: t, autoTopology: false };
}

function completeMemory(input: SpecInput['memory'], fail: Fail): VmSpec['memory'] {
  const sizeMiB = input?.size === undefined ? 2048 : parseSizeMiB(input.size);
  if (sizeMiB === null) fail.at('memory.size', 'must be a size like "4G", "4096M" or a whole number of MiB');
  if (sizeMiB < 16) fail.at('memory.size', 'must be at least 16 MiB');
  const backing = input?.backing ?? 'ram';
  const pageMiB = PAGE_MIB[backing];
  if (sizeMiB % pageMiB !== 0) {
    fail.at('memory.size', `${formatSizeMiB(sizeMiB)} is not a whole number of ${backing.slice(10)} pages`);
  }
  return {
    sizeMiB,
    backing,
    // Hugepages are reserved up front anyway; preallocating makes a short pool fail at start
    // instead of at a random guest page fault later.
    prealloc: input?.prealloc ?? backing !== 'ram',
    lock: input?.lock ?? false,
    share: input?.share ?? false,
  };
}

function completeNuma(
  input: SpecInput['numa'],
  vcpuCount: number,
  sizeMiB: number,
  backing: MemoryBacking,
  fail: Fail,
): VmSpec['numa'] {
  if (input === undefined) return [];
  const pageMiB = PAGE_MIB[backing];
  if (!Array.isArray(input)) {
    const nodes = input.nodes;
    if (nodes > vcpuCount) fail.at('numa.nodes', `${nodes} guest nodes need at least ${nodes} vCPUs (have ${vcpuCount})`);
    const pages = sizeMiB / pageMiB;
    if (pages < nodes) fail.at('numa.nodes', `${formatSizeMiB(sizeMiB)} cannot be split into ${nodes} nodes of whole pages`);
    const out: VmSpec['numa'] = [];
    let nextVcpu = 0;
    for (let index = 0; index < nodes; index++) {
      const vcpuShare = Math.floor(vcpuCount / nodes) + (index < vcpuCount % nodes ? 1 : 0);
      const pageShare = Math.floor(pages / nodes) + (index < pages % nodes ? 1 : 0);
      out.push({
        vcpus: Array.from({ length: vcpuShare }, (_, offset) => nextVcpu + offset),
        memMiB: pageShare * pageMiB,
        hostNode: null,
      });
      nextVcpu += vcpuShare;
    }
    return out;
  }
  if (input.length === 0) return [];
  const seen = new Map<number, number>();
  let totalMiB = 0;
  const out = input.map((node, index) => {
    const at = `numa[${index}]`;
    let vcpus: number[];
    if (typeof node.vcpus === 'string') {
      try {
        vcpus = parseCpuList(node.vcpus);
      } catch (error) {
        if (error instanceof CpuListError) fail.at(`${at}.vcpus`, error.message);
        throw error;
      }
    } else {
      vcpus = [...node.vcpus].sort((a, b) => a - b);
    }
    if (vcpus.length === 0) fail.at(`${at}.vcpus`, 'must list at least one vCPU');
    for (const vcpu of vcpus) {
      if (vcpu >= vcpuCount) fail.at(`${at}.vcpus`, `vCPU ${vcpu} does not exist (the VM has ${vcpuCount}: 0-${vcpuCount - 1})`);
      if (seen.has(vcpu)) fail.at(`${at}.vcpus`, `vCPU ${vcpu} is already in numa[${seen.get(vcpu)}]`);
      seen.set(vcpu, index);
    }
    const memMiB = parseSizeMiB(node.memory);
    if (memMiB === null) fail.at(`${at}.memory`, 'must be a size like "4G", "4096M" or a whole number of MiB');
    if (memMiB % pageMiB !== 0) fail.at(`${at}.memory`, `${formatSizeMiB(memMiB)} is not a whole number of ${backing.slice(10)} pages`);
    totalMiB += memMiB;
    return { vcpus, memMiB, hostNode: node.hostNode ?? null };
  });
  if (seen.size !== vcpuCount) {
    const missing = Array.from({ length: vcpuCount }, (_, vcpu) => vcpu).filter((vcpu) => !seen.has(vcpu));
    fail.at('numa', `every vCPU must be in a guest node; missing ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? '...' : ''}`);
  }
  if (totalMiB !== sizeMiB) {
    fail.at('numa', `guest node memory adds up to ${formatSizeMiB(totalMiB)} but memory.size is ${formatSizeMiB(sizeMiB)}`);
  }
  return out;
}

function completeNetwork(input: SpecInput['network'], vcpuCount: number, fail: Fail, host: SpecHostFacts): VmSpec['network'] {
  const mode = input?.mode ?? 'user';
  const ifname = input?.ifname ?? null;
  if (mode === 'tap') {
    if (ifname === null) fail.at('network.ifname', 'tap needs an interface name (tap:IFNAME)');
    const problem = checkIfname(ifname);
    if (problem) fail.at('network.ifname', problem);
  } else if (ifname !== null) {
    fail.at('network.ifname', `only used with mode tap (mode is ${mode})`);
  }
  const asked = input?.vhost ?? 'auto';
  if (asked === true && mode !== 'tap') fail.at('network.vhost', `vhost-net needs mode tap (mode is ${mode})`);
  // auto: vhost-net for a tap wherever /dev/vhost-net is there (the kernel moves the packets).
  const vhost = asked === 'auto' ? mode === 'tap' && host.vhostUsable !== false : asked;
  if (asked === 'auto' && mode === 'tap' && !vhost) host.notes?.push('network vhost auto: this host has no /dev/vhost-net, so QEMU moves the packets itself (slower; modprobe vhost_net)');
  // One queue pair per vCPU is what multiqueue virtio-net scales with; past 8 the returns drop
  // while interrupt vectors (2 per queue) add up.
  const queues = input?.queues === 'auto' ? (mode === 'tap' ? Math.min(vcpuCount, 8) : 1) : (input?.queues ?? 1);
  if (queues > 1 && mode !== 'tap') fail.at('network.queues', `multiqueue needs mode tap (mode is ${mode})`);
  const mac = input?.mac ?? null;
  if (mac !== null) {
    if (!MAC_RE.test(mac)) fail.at('network.mac', 'must look like 52:54:00:12:34:56');
    if (parseInt(mac.slice(0, 2), 16) & 1) fail.at('network.mac', 'must be a unicast address (first octet even)');
  }
  return { mode, ifname, vhost, queues, mac };
}
