/**
 * Named CPU models against a captured host (`--root`): what each model is made of comes from
 * QEMU (QMP query-cpu-model-expansion, type static: the model's feature list, which does not
 * depend on the machine QEMU runs on), what the capture's CPU has from its /proc/cpuinfo flags.
 * This machine's QEMU and KVM say nothing about the capture's CPU, so the live answer
 * (cpu-models.ts) cannot be used there; this comparison can, for the features whose flag names
 * are known for certain.
 *
 * Only ISA features are compared (CHECKED_FEATURES): features KVM emulates whatever the host has
 * (x2apic, tsc-deadline, tsc-adjust, arat, umip on VMX, hypervisor, kvm*), the speculation-control bits (spec-ctrl,
 * ssbd, the arch-capabilities MSR's *-no bits: /proc/cpuinfo hides or renames them) and the
 * nested-virtualization features (vmx-* sub-features, svm, npt, nrip-save: KVM gives or drops
 * them by its nested setting, not by the host's flags; an AMD model with svm starts on an Intel
 * host) are left out, and so is sep: Linux drops
 * it from an AMD host's flags (no SYSENTER in long mode) while KVM still gives it, as every AMD
 * host running qemu64 shows. Two ISA features are left out for the same reason: la57, which
 * Linux clears from the flags when it runs with 4-level paging while KVM reads the hardware's CPUID
 * for it (kvm_set_cpu_caps: "Set LA57 based on hardware capability"), and topoext, which QEMU
 * turns on under KVM whatever the kernel says (kvm_arch_get_supported_cpuid: "safe to enable
 * TOPOEXT even if it's not returned by GET_SUPPORTED_CPUID"); a host whose flags lack both was
 * seen giving both to Icelake-Server and EPYC. A feature that cannot be read for certain is never
 * reported missing.
 */
import type { RunCommand } from '../run/run-command.js';
import type { Accel } from '../spec/types.js';
import type { CpuModelFacts, CpuModelInfo } from './cpu-models.js';

/** QEMU feature name -> /proc/cpuinfo flag, where they are not the same with "-"/"." as "_". */
const FLAG_NAME: Record<string, string> = {
  'cr8legacy': 'cr8_legacy',
  'avx512vnni': 'avx512_vnni',
  'avx512bitalg': 'avx512_bitalg',
  'avx512vbmi2': 'avx512_vbmi2',
  'tsx-ldtrk': 'tsxldtrk',
};

/** The features compared: QEMU's canonical names (as static expansion gives them). */
export const CHECKED_FEATURES: ReadonlySet<string> = new Set([
  // base x86 and SSE generations
  'fpu', 'vme', 'de', 'pse', 'tsc', 'msr', 'pae', 'mce', 'cx8', 'apic', 'mtrr', 'pge', 'mca', 'cmov', 'pat', 'pse36', 'clflush', 'mmx', 'fxsr', 'sse', 'sse2', 'ss', 'ht',
  'pni', 'pclmulqdq', 'ssse3', 'fma', 'cx16', 'sse4.1', 'sse4.2', 'movbe', 'popcnt', 'aes', 'xsave', 'avx', 'f16c', 'rdrand',
  'syscall', 'nx', 'pdpe1gb', 'rdtscp', 'lm', 'lahf-lm', 'abm', '3dnowprefetch',
  // Haswell .. Ice Lake / Sapphire Rapids
  'fsgsbase', 'bmi1', 'hle', 'avx2', 'smep', 'bmi2', 'erms', 'invpcid', 'rtm', 'avx512f', 'avx512dq', 'rdseed', 'adx', 'smap',
  'avx512ifma', 'clflushopt', 'clwb', 'avx512cd', 'sha-ni', 'avx512bw', 'avx512vl', 'avx512vbmi', 'pku', 'avx512vbmi2', 'gfni', 'vaes',
  'vpclmulqdq', 'avx512vnni', 'avx512bitalg', 'avx512-vpopcntdq', 'rdpid', 'cldemote', 'movdiri', 'movdir64b', 'fsrm', 'serialize', 'tsx-ldtrk',
  'amx-bf16', 'avx512-fp16', 'amx-tile', 'amx-int8', 'avx-vnni', 'avx512-bf16', 'waitpkg', 'xsaveopt', 'xsavec', 'xgetbv1', 'xsaves', 'wbnoinvd',
  // AMD
  'mmxext', 'fxsr-opt', '3dnowext', '3dnow', 'cmp-legacy', 'extapic', 'cr8legacy', 'sse4a', 'misalignsse', 'osvw', 'ibs', 'xop', 'skinit', 'wdt',
  'lwp', 'fma4', 'tce', 'nodeid-msr', 'tbm', 'perfctr-core', 'perfctr-nb', 'clzero', 'xsaveerptr',
]);

export function cpuinfoFlagOf(feature: string): string {
  return FLAG_NAME[feature] ?? feature.replace(/[-.]/g, '_');
}

/** Per model, the CHECKED_FEATURES its definition turns on. */
export type ModelFeatures = ReadonlyMap<string, readonly string[]>;

/** QMP answer lines (query-cpu-model-expansion replies with ids "m:NAME") -> features per model. */
export function parseModelExpansions(output: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of output.split('\n')) {
    let message: { id?: unknown; return?: { model?: { props?: Record<string, unknown> } } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      continue;
    }
    if (typeof message.id !== 'string' || !message.id.startsWith('m:')) continue;
    const props = message.return?.model?.props;
    if (!props || typeof props !== 'object') continue;
    out.set(message.id.slice(2), Object.keys(props).filter((name) => props[name] === true && CHECKED_FEATURES.has(name)).sort());
  }
  return out;
}

export const MODEL_FEATURE_PROBE_TIMEOUT_MS = 20_000;

/**
 * Asks QEMU (`binary`, TCG, no machine) for the static expansion of every model in `models`: one
 * QEMU start, one QMP command per model. The answer does not depend on this machine's CPU.
 */
export async function probeModelFeatures(run: RunCommand, binary: string, models: readonly string[]): Promise<{ features: Map<string, string[]>; raw: string } | { error: string }> {
  const commands = ['{"execute":"qmp_capabilities"}'];
  for (const model of models) commands.push(JSON.stringify({ execute: 'query-cpu-model-expansion', arguments: { type: 'static', model: { name: model } }, id: `m:${model}` }));
  commands.push('{"execute":"quit"}');
  const result = await run([binary, '-machine', 'none', '-accel', 'tcg', '-nodefaults', '-no-user-config', '-display', 'none', '-S', '-qmp', 'stdio'], {
    input: commands.join('\n') + '\n',
    timeoutMs: MODEL_FEATURE_PROBE_TIMEOUT_MS,
  });
  const features = parseModelExpansions(result.stdout ?? '');
  if (features.size > 0) return { features, raw: [...features].map(([name, list]) => JSON.stringify({ id: `m:${name}`, return: { model: { props: Object.fromEntries(list.map((f) => [f, true])) } } })).join('\n') };
  const said = `${result.stderr ?? ''}`.split('\n').find((line) => line.trim() !== '')?.trim();
  return { error: said || result.error || 'no answer to query-cpu-model-expansion' };
}

/**
 * The planner's CpuModelFacts for a captured host: a model's unavailable features are the checked
 * features it has that the capture's flags lack. `definitions` gives the models' names, aliases
 * and deprecation (QEMU's query-cpu-definitions); models QEMU could not expand are left out.
 */
export function captureModelFacts(definitions: CpuModelFacts, features: ModelFeatures, flags: ReadonlySet<string>, accel: Accel): CpuModelFacts {
  const models = new Map<string, CpuModelInfo>();
  for (const [name, info] of definitions.models) {
    const list = features.get(name);
    if (!list) continue;
    models.set(name, { ...info, features: list, unavailable: list.filter((feature) => !flags.has(cpuinfoFlagOf(feature))) });
  }
  return { accel, models, source: 'capture' };
}
