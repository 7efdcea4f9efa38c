/**
 * QEMU's answer on the named CPU models this host can give (src/host/cpu-models.ts), for the
 * commands that plan against this host. Not asked for host/max (nothing to check) nor for a
 * captured host (--root: this machine's QEMU and KVM say nothing about the capture's CPU).
 */
import type { CommandContext } from '../context.js';
import { DEFAULT_QEMU_BINARY } from '../generate/qemu-argv.js';
import { probeCpuModels, type CpuModelFacts } from '../host/cpu-models.js';
import { findExecutable } from '../run/run-command.js';
import type { VmSpec } from '../spec/types.js';

export async function cpuModelFacts(ctx: CommandContext, spec: VmSpec): Promise<CpuModelFacts | undefined> {
  if (ctx.capturedRoot || spec.cpu.model === 'host' || spec.cpu.model === 'max') return undefined;
  const binary = findExecutable(DEFAULT_QEMU_BINARY, ctx.env.PATH);
  if (binary === null) return undefined;
  const answer = await probeCpuModels(ctx.run, binary, spec.accel);
  if ('facts' in answer) return answer.facts;
  ctx.stderr(`kvm-tui: note: CPU model ${JSON.stringify(spec.cpu.model)} not checked against this host: ${DEFAULT_QEMU_BINARY} did not say which models it can give (${answer.error})\n`);
  return undefined;
}
