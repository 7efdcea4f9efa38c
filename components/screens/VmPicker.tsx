/**
 * Which VM to watch, when several run: one row per VM (name, pid, vCPUs, started), Enter picks,
 * q or Esc leaves. The list comes from the registry as props.
 */
import React from 'react';
import { Box, Text, useApp, useInput } from 'ink';
import SelectInput from 'ink-select-input';
import type { VmRecord } from '../../src/registry/vm-record.js';

export interface VmPickerProps {
  records: readonly VmRecord[];
  onPick: (record: VmRecord) => void;
  onLeave: () => void;
  /** Ctrl-C: the caller exits with 130. */
  onInterrupt?: () => void;
}

export function VmPicker({ records, onPick, onLeave, onInterrupt }: VmPickerProps): React.ReactElement {
  const { exit } = useApp();
  useInput((input, key) => {
    if (key.ctrl && input === 'c') {
      onInterrupt?.();
      exit();
      return;
    }
    if (input === 'q' || key.escape) {
      onLeave();
      exit();
    }
  });
  const items = records.map((record) => ({
    key: record.name,
    label: `${record.name}  pid ${record.pid}  ${record.plan.spec.vcpus.count} vCPU  ${record.plan.spec.memory.sizeMiB} MiB  ${record.accel}`,
    value: record.name,
  }));
  return (
    <Box flexDirection="column">
      <Text bold>{records.length} VMs started by kvm-tui run here: pick one to watch (Enter), q leaves</Text>
      <SelectInput items={items} onSelect={(item) => onPick(records.find((record) => record.name === item.value)!)} />
    </Box>
  );
}
