/**
 * Plan step: pick a preset, see where its vCPUs, emulator and iothreads land on the core map,
 * with the planner's warnings and errors. `p` opens the preset picker (ink-select-input).
 */
import React, { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import SelectInput from 'ink-select-input';
import type { Topology } from '../../src/host/topology.js';
import { formatCpuList } from '../../src/host/cpulist.js';
import type { Plan, Preset } from '../../src/spec/types.js';
import { CoreMap } from '../widgets/CoreMap.js';
import { planMarks } from '../present/plan-marks.js';
import { SIZING_KEYS } from '../../src/state/vm-sizing.js';
import { wrapText } from '../../src/shared/text.js';
import { assignVcpu, cursorOrder, mapOfPlan } from '../../src/state/core-map-edit.js';

export interface PlanScreenProps {
  topology: Topology;
  presets: Preset[];
  selected: string;
  plan: Plan;
  /** A preset was chosen in the picker; the owner closes the picker. */
  onSelect: (name: string) => void;
  /** Whether the preset picker is open (owned by the wizard: it locks screen switching). */
  picking: boolean;
  onPickingChange: (open: boolean) => void;
  /** A key that may size the VM (+ - ] [ h a n r); the owner decides. */
  onSizingKey?: (input: string) => void;
  /** Why the last sizing change was refused (the spec's own rule), or null. */
  sizingError?: string | null;
  /** A manual vCPU -> host CPU map from the core-map editor; null returns to automatic placement. */
  onMap?: (map: number[] | null) => void;
  width: number;
  height: number;
}

export function PlanScreen({ topology, presets, selected, plan, onSelect, picking, onPickingChange: setPicking, onSizingKey, sizingError = null, onMap, width, height }: PlanScreenProps) {
  const order = cursorOrder(topology);
  const [editing, setEditing] = useState(false);
  const [cursorIndex, setCursorIndex] = useState(0);
  const [vcpu, setVcpu] = useState(0);
  const cursorCpu = order[Math.min(cursorIndex, order.length - 1)] ?? null;
  const vcpuCount = plan.spec.vcpus.count;
  const selectedVcpu = Math.min(vcpu, Math.max(0, vcpuCount - 1));
  useInput(
    (input, key) => {
      if (editing) {
        if (key.escape || input === 'e') setEditing(false);
        else if (key.rightArrow || input === 'l') setCursorIndex((index) => Math.min(order.length - 1, index + 1));
        else if (key.leftArrow) setCursorIndex((index) => Math.max(0, index - 1));
        else if (input === '.') setVcpu((index) => (index + 1) % Math.max(1, vcpuCount));
        else if (input === ',') setVcpu((index) => (index + Math.max(1, vcpuCount) - 1) % Math.max(1, vcpuCount));
        else if ((key.return || input === ' ') && cursorCpu !== null) onMap?.(assignVcpu(mapOfPlan(plan, order), selectedVcpu, cursorCpu));
        else if (input === 'x') onMap?.(null);
        return;
      }
      if (input === 'p') setPicking(true);
      else if (input === 'e' && onMap) {
        // Start on the selected vCPU's CPU.
        const at = order.indexOf(plan.vcpus[selectedVcpu]?.hostCpu ?? -1);
        if (at >= 0) setCursorIndex(at);
        setEditing(true);
      } else if (input.length > 0 && [...input].every((char) => '+=-[]hanr'.includes(char))) {
        // Keys typed fast (or pasted) arrive as one chunk: each counts.
        for (const char of input) onSizingKey?.(char);
      }
    },
    { isActive: !picking },
  );
  useInput(
    (_input, key) => {
      if (key.escape) setPicking(false);
    },
    { isActive: picking },
  );
  const preset = presets.find((entry) => entry.name === selected);
  if (picking) {
    const items = presets.map((entry) => ({ key: entry.name, label: `${entry.name.padEnd(22)} ${entry.description}`.slice(0, width - 4), value: entry.name }));
    return (
      <Box flexDirection="column">
        <Text bold>Choose a preset (↑↓ and Enter, or its number; Esc cancels)</Text>
        <SelectInput
          items={items}
          initialIndex={Math.max(0, presets.findIndex((entry) => entry.name === selected))}
          limit={Math.max(3, height - 2)}
          onSelect={(item) => {
            onSelect(item.value);
          }}
        />
      </Box>
    );
  }
  const pinned = plan.vcpus.filter((vcpu) => vcpu.hostCpu !== null);
  const summary = [
    `${plan.spec.vcpus.count} vCPUs (${plan.spec.vcpus.sockets}s/${plan.spec.vcpus.cores}c/${plan.spec.vcpus.threads}t)`,
    pinned.length ? `on ${formatCpuList(pinned.map((vcpu) => vcpu.hostCpu!))}` : 'unpinned',
    plan.emulator.length ? `emulator ${formatCpuList(plan.emulator)}` : null,
    plan.iothreads.length ? `io ${plan.iothreads.map((io) => formatCpuList(io.hostCpus) || '-').join('/')}` : null,
    `${plan.memory.sizeMiB} MiB ${plan.memory.backing} node ${plan.memory.hostNodes.join(',') || '-'}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const messages = [
    ...(sizingError ? [{ color: 'red', text: `refused: ${sizingError}` }] : []),
    ...plan.errors.map((entry) => ({ color: 'red', text: `error: ${entry.message}` })),
    ...plan.warnings.map((entry) => ({ color: 'yellow', text: `warn: ${entry.message}` })),
  ];
  // Warnings wrap (their end is often the advice), within a third of the pane; what does not fit
  // is counted, never silently cut.
  const messageLines = messages.flatMap((entry) => wrapText(entry.text, Math.max(20, width), '  ').map((text) => ({ color: entry.color, text })));
  const messageRows = Math.min(messageLines.length, Math.max(2, Math.floor(height / 3)));
  const hidden = messageLines.length - messageRows;
  const mapHeight = Math.max(3, height - 4 - messageRows - (hidden > 0 ? 1 : 0));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>preset {selected}</Text>
        <Text color="gray"> (p: change) · {preset?.description ?? ''}</Text>
      </Text>
      <Text wrap="truncate-end">{summary}</Text>
      {editing ? (
        <Text color="cyan" wrap="truncate-end">
          edit vCPU {selectedVcpu} (,/.) → CPU {cursorCpu ?? '-'} (←/→) · Enter assign (swaps) · x auto · Esc done
        </Text>
      ) : (
        <Text color="gray" wrap="truncate-end">
          size: {SIZING_KEYS}{onMap ? '  e edit the map' : ''}
        </Text>
      )}
      {messageLines.slice(0, messageRows).map((entry, index) => (
        <Text key={index} color={entry.color} wrap="truncate-end">
          {entry.text}
        </Text>
      ))}
      {hidden > 0 ? <Text color="gray">… {hidden} more line{hidden === 1 ? '' : 's'} of warnings (kvm-tui plan shows them all)</Text> : null}
      <Text color="gray" wrap="truncate-end">
        map: <Text color="green">vN vCPU</Text> <Text color="yellow">E emulator</Text> <Text color="blue">IN iothread</Text>{' '}
        <Text color="magenta">N* isolated</Text>
      </Text>
      <CoreMap topology={topology} width={width} height={mapHeight} marks={planMarks(plan)} cursor={editing ? cursorCpu : null} active={!editing} />
    </Box>
  );
}
