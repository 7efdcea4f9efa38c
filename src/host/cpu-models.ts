/**
 * Which named CPU models QEMU can give a guest on this host, and what each lacks: QEMU's own
 * answer (QMP query-cpu-definitions, the `unavailable-features` of every model for the chosen
 * accelerator), as libvirt reads it for `virsh domcapabilities` (usable='yes'/'no'). With
 * `enforce` on the command line (src/generate/vm-facts.ts), a model with unavailable features
 * does not start at all; the planner warns before that (src/plan/check-cpu-model.ts).
 *
 * The probe starts QEMU with no machine (`-machine none`: no guest RAM, no devices) and quits it
 * at once; it is asked only for a named model, never for host/max.
 */
import type { RunCommand } from '../run/run-command.js';
import type { Accel } from '../spec/types.js';

export interface CpuModelInfo {
  /** QEMU's feature names the host (with this accelerator) cannot give; empty = usable. */
  unavailable: string[];
  /** For an alias ("Skylake-Server"), the versioned model it stands for ("Skylake-Server-v1"). */
  aliasOf: string | null;
  deprecated: boolean;
  /** The model's compared features, when known (a captured host's facts carry them). */
  features?: readonly string[];
}

export interface CpuModelFacts {
  accel: Accel;
  models: ReadonlyMap<string, CpuModelInfo>;
  /**
   * Where `unavailable` comes from: QEMU's live answer for this host (the default), or a captured
   * host's /proc/cpuinfo flags against the models' feature lists (cpu-model-features.ts).
   */
  source?: 'qemu' | 'capture';
}

/** The QMP answer lines (one JSON object per line) -> the facts; null when there is no answer. */
export function parseCpuDefinitions(output: string, accel: Accel): CpuModelFacts | null {
  for (const line of output.split('\n')) {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      continue;
    }
    const answer = (message as { return?: unknown } | null)?.return;
    if (!Array.isArray(answer) || !answer.every((entry) => typeof entry?.name === 'string')) continue;
    const models = new Map<string, CpuModelInfo>();
    for (const entry of answer as Array<Record<string, unknown>>) {
      const unavailable = Array.isArray(entry['unavailable-features']) ? (entry['unavailable-features'] as unknown[]).filter((name): name is string => typeof name === 'string') : [];
      models.set(entry.name as string, {
        unavailable: [...new Set(unavailable)],
        aliasOf: typeof entry['alias-of'] === 'string' ? (entry['alias-of'] as string) : null,
        deprecated: entry.deprecated === true,
      });
    }
    return { accel, models };
  }
  return null;
}

export const CPU_MODEL_PROBE_TIMEOUT_MS = 10_000;

/** Asks QEMU (`binary`) for its models under `accel`; null when it cannot answer (with why). */
export async function probeCpuModels(run: RunCommand, binary: string, accel: Accel): Promise<{ facts: CpuModelFacts; raw: string } | { error: string }> {
  const result = await run(
    [binary, '-machine', 'none', '-accel', accel, '-nodefaults', '-no-user-config', '-display', 'none', '-S', '-qmp', 'stdio'],
    { input: '{"execute":"qmp_capabilities"}\n{"execute":"query-cpu-definitions"}\n{"execute":"quit"}\n', timeoutMs: CPU_MODEL_PROBE_TIMEOUT_MS },
  );
  const facts = parseCpuDefinitions(result.stdout ?? '', accel);
  if (facts) return { facts, raw: result.stdout };
  const said = `${result.stderr ?? ''}`.split('\n').find((line) => line.trim() !== '')?.trim();
  return { error: said || result.error || 'no answer to query-cpu-definitions' };
}
