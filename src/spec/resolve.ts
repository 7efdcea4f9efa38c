/**
 * From command-line arguments to a validated VmSpec: a preset or a spec file, then the override
 * flags. Overrides are merged into the spec as written (before defaults) and the result is
 * validated once, so derived values follow: --vcpus recomputes the guest topology, the guest NUMA
 * split and the tap queue count; --accel tcg turns a host-passthrough CPU into "max".
 */
import { readRegularFile } from '../host/host-fs.js';
import { UsageError } from '../errors.js';
import { findPreset, type PresetOptions } from './presets.js';
import { parseSizeMiB } from './size.js';
import type { Preset, VmSpec } from './types.js';
import { checkVmName, MAX_VCPUS, parseNetShorthand, parseVmSpec, SpecError, type SpecHostFacts } from './vm-spec.js';
import { backingOfPageOption } from '../shared/page-sizes.js';

export interface ResolveOptions extends PresetOptions {
  /** Whether this host has /dev/kvm: what accel auto resolves by (absent: auto means kvm). */
  kvmUsable?: boolean;
  /** Whether this host has /dev/vhost-net: what network vhost auto resolves by (absent: yes). */
  vhostUsable?: boolean;
  /** Reads a spec file (tests inject one); default node:fs. */
  readFile?: (file: string) => string;
}

type Raw = Record<string, unknown>;

/**
 * The overrides as typed (the CLI's flags, the wizard's fields): text, validated here so every
 * caller gets the same one-line errors. `disks` replaces the spec's disks when given.
 */
export interface SpecOverrides {
  name?: string;
  vcpus?: string;
  memory?: string;
  hugepages?: string;
  accel?: string;
  disks?: readonly string[];
  net?: string;
  strategy?: string;
  /** The guest OS (linux, windows, other): its platform defaults replace the spec's guest section. */
  guest?: string;
  /**
   * A manual vCPU -> host CPU map (the core map's edits), one entry per vCPU; null: automatic
   * placement. Given with `strategy`, the map wins (the strategy is what x returns to).
   */
  map?: readonly number[] | null;
  /** Host CPUs for the emulator threads (the core map's E), or null: placed by emulator.placement. */
  emulatorCpus?: readonly number[] | null;
  /** Host CPUs for the iothreads (the core map's I), or null: placed by iothreads.placement. */
  iothreadCpus?: readonly number[] | null;
}

/** What to resolve: exactly one of a preset name or a spec file, then overrides. */
export interface SpecRequest {
  /** Names the command in errors ("plan: give exactly one of..."). */
  command?: string;
  preset?: string;
  specFile?: string;
  overrides?: SpecOverrides;
}

/**
 * Resolves --preset/--spec plus overrides.
 * @throws UsageError naming the flag ("--memory: expected a size like 4G or 4096M") or SpecError
 *   naming the field of the spec.
 */
export function resolveSpec(request: SpecRequest, opts: ResolveOptions = {}): VmSpec {
  return resolveSpecWithSource(request, opts).spec;
}

/**
 * resolveSpec, also saying where the spec came from: `source` ("preset balanced", "vm.json") and
 * `label`, which adds " with overrides" when flags changed it.
 */
export function resolveSpecWithSource(request: SpecRequest, opts: ResolveOptions = {}): { spec: VmSpec; source: string; label: string; notes: string[] } {
  const command = request.command ?? 'kvm-tui';
  const { preset, specFile } = request;
  if ((preset === undefined) === (specFile === undefined)) {
    throw new UsageError(`${command}: give exactly one of --preset NAME or --spec FILE`);
  }

  let raw: Raw;
  let source: string;
  if (preset !== undefined) {
    const found = findPreset(preset, opts);
    raw = structuredClone(found.input ?? {}) as Raw;
    source = `preset ${found.name}`;
  } else {
    source = specFile!;
    let text: string;
    try {
      text = (opts.readFile ?? ((file) => readRegularFile(file)))(specFile!);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(`--spec ${specFile}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new SpecError(specFile!, '', `not valid JSON (${(error as Error).message})`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SpecError(specFile!, '', 'must be a JSON object');
  }

  const notes: string[] = [];
  const overrides = { ...request.overrides };
  const overridden = applyOverrides(raw, overrides);
  const label = overridden.any ? `${source} with overrides` : source;
  // accel and vhost "auto" (and left out) are decided by what this host's devices allow.
  const spec = parseVmSpec(overridden.raw, label, { kvmUsable: opts.kvmUsable, vhostUsable: opts.vhostUsable, notes });
  return { spec, source, label, notes };
}

/**
 * A spec file as a preset of its own (the wizard's `--spec FILE`): named after the file, with
 * its text as the input overrides are merged into. Same reading and errors as `--spec`.
 */
export function presetFromSpecFile(file: string): Preset {
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (error) {
    throw new UsageError(`--spec ${file}: ${(error as Error).message}`);
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new SpecError(file, '', `not valid JSON (${(error as Error).message})`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SpecError(file, '', 'must be a JSON object');
  const spec = parseVmSpec(input, file);
  return { name: `spec:${file.split('/').pop()}`, description: `the spec file ${file}`, reasoning: '', source: file, spec, input: input as Record<string, unknown> };
}

/**
 * A preset already loaded (the wizard's) with overrides applied, validated once: the same rules
 * and the same one-line errors as the command line's flags.
 * @throws UsageError naming the override, or SpecError naming the field.
 */
export function applyPresetOverrides(preset: Preset, overrides: SpecOverrides, host: SpecHostFacts = {}): VmSpec {
  const overridden = applyOverrides(structuredClone(preset.input ?? {}) as Raw, overrides);
  return parseVmSpec(overridden.raw, overridden.any ? `preset ${preset.name} with changes` : `preset ${preset.name}`, host);
}

/**
 * The spec as written (the preset's own text with the overrides merged in, before defaults), for
 * saving to a file that `kvm-tui --spec FILE` and `plan --spec FILE` read back to the same VM.
 */
export function specInputWithOverrides(preset: Preset, overrides: SpecOverrides): Record<string, unknown> {
  const raw = applyOverrides(structuredClone(preset.input ?? {}) as Raw, overrides).raw;
  // Checked the same way before it is written: a saved spec always reads back.
  parseVmSpec(raw, `preset ${preset.name}`);
  return raw;
}

function section(raw: Raw, key: string): Raw {
  const value = raw[key];
  // Shorthands ("memory": "4G", "vcpus": 8, "cpu": "host") are expanded here so one field can be
  // replaced without losing the others.
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { ...(value as Raw) };
  if (key === 'memory' && value !== undefined) return { size: value };
  if (key === 'vcpus' && value !== undefined) return { count: value };
  if (key === 'cpu' && value !== undefined) return { model: value };
  return {};
}

function applyOverrides(input: Raw, overrides: SpecOverrides): { raw: Raw; any: boolean } {
  const raw: Raw = { ...input };
  let any = false;

  const name = overrides.name;
  if (name !== undefined) {
    const problem = checkVmName(name);
    if (problem) throw new UsageError(`--name: ${problem}`);
    raw.name = name;
    any = true;
  }

  const vcpus = overrides.vcpus;
  if (vcpus !== undefined) {
    if (!/^\d+$/.test(vcpus) || Number(vcpus) < 1 || Number(vcpus) > MAX_VCPUS) {
      throw new UsageError(`--vcpus: expected a whole number from 1 to ${MAX_VCPUS}, got "${vcpus}"`);
    }
    // A new count invalidates a written sockets/cores/threads split: let the planner choose again.
    raw.vcpus = { count: Number(vcpus) };
    any = true;
  }

  const memory = overrides.memory;
  if (memory !== undefined) {
    const sizeMiB = parseSizeMiB(memory);
    if (sizeMiB === null) {
      throw new UsageError(`--memory: expected a size like 4G or 4096M, got "${memory}"`);
    }
    raw.memory = { ...section(raw, 'memory'), size: sizeMiB };
    any = true;
  }

  const hugepages = overrides.hugepages;
  if (hugepages !== undefined) {
    const backing = backingOfPageOption(hugepages);
    if (!backing) throw new UsageError(`--hugepages: expected none, 2M or 1G, got "${hugepages}"`);
    const mem = section(raw, 'memory');
    // prealloc follows the backing unless the spec set it: hugepages want it, RAM does not.
    if (mem.backing !== backing && typeof mem.prealloc === 'boolean' && backing === 'ram') delete mem.prealloc;
    raw.memory = { ...mem, backing };
    any = true;
  }

  const accel = overrides.accel;
  if (accel !== undefined) {
    if (accel !== 'kvm' && accel !== 'tcg' && accel !== 'auto') throw new UsageError(`--accel: expected auto, kvm or tcg, got "${accel}"`);
    raw.accel = accel;
    const cpu = section(raw, 'cpu');
    if (accel === 'tcg' && (cpu.model === undefined || cpu.model === 'host')) {
      // -cpu host does not exist under TCG; "max" is its closest equivalent, and host cache info
      // only applies to host passthrough.
      raw.cpu = { ...cpu, model: 'max', cachePassthrough: false };
    }
    any = true;
  }

  const guest = overrides.guest;
  if (guest !== undefined) {
    if (guest !== 'linux' && guest !== 'windows' && guest !== 'other') throw new UsageError(`--guest: expected linux, windows or other, got "${guest}"`);
    // The OS chooses the platform (firmware, secure boot, TPM, Hyper-V, clock): what the spec said
    // for another OS does not carry over; for the same OS (o cycled back to it) the spec's stays.
    const current = typeof raw.guest === 'string' ? raw.guest : (section(raw, 'guest').os ?? 'linux');
    if (current !== guest) raw.guest = { os: guest };
    any = true;
  }

  const list = overrides.disks;
  if (list !== undefined) {
    list.forEach((disk) => {
      if (typeof disk !== 'string' || disk === '') throw new UsageError('--disk: expected a file path');
    });
    // The flags give the VM's disks (not additions): what you type is what it gets. The spec's
    // diskDefaults still apply to them.
    raw.disks = list.map((disk) => ({ path: disk }));
    any = true;
  }

  const net = overrides.net;
  if (net !== undefined) {
    const parsed = parseNetShorthand(net);
    if (!parsed) throw new UsageError(`--net: expected user, none or tap:IFNAME, got "${net}"`);
    const current = section(raw, 'network');
    if (typeof raw.network === 'string') Object.assign(current, parseNetShorthand(raw.network) ?? {});
    if (parsed.mode === 'tap') {
      const ifname = parsed.ifname ?? (current.mode === 'tap' ? current.ifname : undefined);
      if (typeof ifname !== 'string' || ifname === '') throw new UsageError('--net: tap needs an interface name: tap:IFNAME');
      // Keep the spec's vhost/queues/mac choices when it was already a tap.
      raw.network = current.mode === 'tap' ? { ...current, ifname } : { mode: 'tap', ifname, queues: 'auto' };
    } else {
      raw.network = { mode: parsed.mode };
    }
    any = true;
  }

  const strategy = overrides.strategy;
  if (strategy !== undefined) {
    if (strategy !== 'compact' && strategy !== 'spread' && strategy !== 'none') {
      throw new UsageError(`--strategy: expected compact, spread or none, got "${strategy}"`);
    }
    const pinning = section(raw, 'pinning');
    // A strategy on the command line means "plan it that way": a written map would win otherwise.
    raw.pinning = { ...pinning, strategy, map: null };
    any = true;
  }

  // After the strategy: the wizard's map edits made since an auto-assign are kept.
  if (overrides.map !== undefined) {
    raw.pinning = { ...section(raw, 'pinning'), map: overrides.map === null ? null : [...overrides.map] };
    any = true;
  }

  if (overrides.emulatorCpus !== undefined) {
    raw.emulator = { ...section(raw, 'emulator'), cpus: overrides.emulatorCpus === null ? null : [...overrides.emulatorCpus] };
    any = true;
  }
  if (overrides.iothreadCpus !== undefined) {
    raw.iothreads = { ...section(raw, 'iothreads'), cpus: overrides.iothreadCpus === null ? null : [...overrides.iothreadCpus] };
    any = true;
  }
  return { raw, any };
}
