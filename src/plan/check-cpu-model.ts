/**
 * A named CPU model against what QEMU says this host can give it (src/host/cpu-models.ts). The
 * argv enforces named models (QEMU refuses to start rather than silently drop a feature, which
 * would make the guest CPU differ per host), so a model with unavailable features is a warning
 * for a plan (it may be meant for another host) and an error for `launch`. The warning names the
 * missing features and the models of the same family the host can give.
 */
import type { CpuModelFacts } from '../host/cpu-models.js';
import type { VmSpec } from '../spec/types.js';
import { namedModelVendor, type CpuVendor } from '../spec/cpu-vendor.js';
import type { PlanMessages } from './plan-messages.js';

export type { CpuModelFacts };

const MAX_LISTED = 8;

/** Usable models named like `model` (same first word: Skylake-Server -> Skylake-*), newest spelling last. */
export function usableRelatives(facts: CpuModelFacts, model: string): string[] {
  const family = model.split('-')[0]!.toLowerCase();
  return [...facts.models]
    .filter(([name, info]) => name !== model && info.unavailable.length === 0 && !info.deprecated && info.aliasOf !== null && name.split('-')[0]!.toLowerCase() === family)
    .map(([name]) => name)
    .sort();
}

/**
 * With no usable model of the same family: the usable ones of the host's vendor with the most
 * features first (the newest generations the host can give), when the facts know the features
 * (a capture's do).
 */
function mostCapable(facts: CpuModelFacts, hostVendor: CpuVendor | null): string[] {
  if (facts.source !== 'capture') return [];
  return [...facts.models]
    .filter(([name, info]) => info.unavailable.length === 0 && !info.deprecated && info.aliasOf !== null && (info.features?.length ?? 0) > 0 && (hostVendor === null || namedModelVendor(name) === hostVendor))
    .sort(([a, x], [b, y]) => (y.features?.length ?? 0) - (x.features?.length ?? 0) || a.localeCompare(b))
    .map(([name]) => name);
}

export function checkCpuModel(facts: CpuModelFacts | undefined, spec: VmSpec, messages: PlanMessages, hostVendor: CpuVendor | null = null): void {
  const model = spec.cpu.model;
  if (!facts || facts.accel !== spec.accel || model === 'host' || model === 'max') return;
  const info = facts.models.get(model);
  if (!info) {
    messages.warn('cpu-model-unavailable', `CPU model "${model}" is not one this QEMU knows (qemu-system-x86_64 -cpu help lists them): it would refuse to start`);
    return;
  }
  // Features the spec turns off are not needed from the host.
  const disabled = new Set(spec.cpu.features.filter((feature) => feature.startsWith('-')).map((feature) => feature.slice(1)));
  const missing = info.unavailable.filter((feature) => !disabled.has(feature));
  if (missing.length === 0) return;
  const relatives = usableRelatives(facts, model);
  const fitting = relatives.length > 0 ? relatives : mostCapable(facts, hostVendor);
  const shown = missing.slice(0, MAX_LISTED).join(', ') + (missing.length > MAX_LISTED ? ` and ${missing.length - MAX_LISTED} more` : '');
  const advice = fitting.length > 0
    ? `use a model the host can give (${fitting.slice(0, 4).join(', ')}), or turn the features off (-name in cpu.features)`
    : 'use an older model the host can give (qemu-system-x86_64 -cpu help), or turn the features off (-name in cpu.features)';
  const source = facts.source === 'capture'
    ? `which the captured host's /proc/cpuinfo flags lack (the model's features from QEMU; a kernel older than a flag would not list it)`
    : `which this host cannot give under ${spec.accel} (QEMU's own answer)`;
  messages.warn('cpu-model-unavailable', `CPU model "${model}" needs ${shown}, ${source}: with enforce QEMU refuses to start it; ${advice}`);
}
