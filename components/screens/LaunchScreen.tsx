/**
 * The Launch step: what will start (name, vCPU pins, memory, accel, the plan's warnings), then on
 * Enter or L the launch itself, step by step (paused start, pins, verification, resume), or the
 * failed step with QEMU's words. On success the wizard moves to the live monitor.
 */
import React from 'react';
import { Box, Text, useInput } from 'ink';
import { formatCpuList } from '../../src/host/cpulist.js';
import type { LaunchState } from '../../src/state/app-state.js';
import type { Plan } from '../../src/spec/types.js';
import { LAUNCH_BLOCKING_CODES } from '../../src/plan/codes.js';
import { fit, wrapText } from '../../src/shared/text.js';

export interface LaunchScreenProps {
  plan: Plan;
  launch: LaunchState;
  /** Null when this host cannot launch (a captured --root): the reason instead. */
  disabledReason: string | null;
  onLaunch: () => void;
  width: number;
  height: number;
}

export function LaunchScreen({ plan, launch, disabledReason, onLaunch, width, height }: LaunchScreenProps): React.ReactElement {
  useInput((input, key) => {
    if ((key.return || input === 'L') && (launch.status === 'idle' || launch.status === 'failed') && disabledReason === null && plan.errors.length === 0) onLaunch();
  });
  const spec = plan.spec;
  const lines: Array<{ text: string; color?: string; bold?: boolean }> = [];
  const pins = plan.vcpus.map((vcpu) => `${vcpu.vcpu}->${vcpu.hostCpu ?? 'any'}`).join(' ');
  lines.push({ text: `VM "${spec.name}": ${spec.vcpus.count} vCPUs (${pins}), ${spec.memory.sizeMiB} MiB ${plan.memory.backing} on node ${formatCpuList(plan.memory.hostNodes)}, accel ${spec.accel}`, bold: true });
  lines.push({ text: `emulator threads on CPUs ${plan.emulator.length ? formatCpuList(plan.emulator) : 'any'}${plan.iothreads.length ? `; iothreads ${plan.iothreads.map((io) => `${io.id}->${formatCpuList(io.hostCpus)}`).join(' ')}` : ''}` });
  for (const warning of plan.warnings) lines.push({ text: `warning: ${warning.message} [${warning.code}]`, color: 'yellow' });
  for (const error of plan.errors) lines.push({ text: `cannot launch: ${error.message} [${error.code}]`, color: 'red' });
  lines.push({ text: '' });
  if (disabledReason) {
    lines.push({ text: `Launch is off here: ${disabledReason}.`, color: 'gray' });
  } else if (launch.status === 'idle' && plan.errors.length === 0) {
    const refused = plan.warnings.filter((warning) => LAUNCH_BLOCKING_CODES.has(warning.code));
    if (refused.length > 0) lines.push({ text: `launch will refuse this plan as it stands: ${refused.map((warning) => warning.code).join(', ')} (see the warnings above)`, color: 'yellow' });
    lines.push({ text: 'Enter (or L) launches it: QEMU starts paused in its own session, every thread is pinned and checked in /proc, then the guest runs. It keeps running when you quit.' });
  }
  if (launch.status !== 'idle') {
    for (const line of launch.lines) lines.push({ text: `launch: ${line}`, color: 'gray' });
    if (launch.status === 'running') lines.push({ text: 'launching...', color: 'cyan' });
    if (launch.status === 'done' && launch.record) {
      lines.push({ text: `VM "${launch.record.name}" runs (pid ${launch.record.pid}): 6 Monitor watches it. It is the one this wizard launches; kvm-tui stop ${JSON.stringify(launch.record.name)} stops it.`, color: 'green' });
    }
    if (launch.status === 'failed') {
      for (const text of (launch.error ?? '').split('\n')) lines.push({ text, color: 'red' });
      lines.push({ text: 'Nothing was left running. Enter tries again.', color: 'gray' });
    }
  }
  const wrapped = lines.flatMap((line) => wrapText(line.text, width, '  ').map((text) => ({ ...line, text })));
  return (
    <Box flexDirection="column">
      {wrapped.slice(Math.max(0, wrapped.length - height)).map((line, index) => (
        <Text key={index} color={line.color} bold={line.bold}>
          {fit(line.text, width).trimEnd()}
        </Text>
      ))}
    </Box>
  );
}
