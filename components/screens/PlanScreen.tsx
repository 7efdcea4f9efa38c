/**
 * Plan step (the VM): pick a preset (`p`, with a `/` filter), size the VM (vCPUs, memory, huge
 * pages, accel), name it, give it a disk image and a network from what the host offers (the
 * lines come from the owner: free space, interfaces, free memory per node), and see where its
 * vCPUs, emulator and iothreads land on the core map, with the planner's warnings and errors.
 * `e` edits the map: the cursor moves on the grid (arrows, hjkl), Enter puts the chosen vCPU
 * under it, u clears one vCPU, E / I place the emulator / iothreads by hand, a / s rebuild the
 * map with the compact / spread strategy, x returns it all to automatic. Which of these is open
 * is the owner's state, so Esc closes only it.
 */
import React, { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import SelectInput from 'ink-select-input';
import type { Topology } from '../../src/host/topology.js';
import { formatCpuList } from '../../src/host/cpulist.js';
import type { Plan, Preset } from '../../src/spec/types.js';
import { CoreMap, SegmentLine } from '../widgets/CoreMap.js';
import { mapLegendLines } from '../present/map-legend.js';
import { planMarks } from '../present/plan-marks.js';
import type { VmLine } from '../present/vm-lines.js';
import { SIZING_KEYS } from '../../src/state/vm-sizing.js';
import { widestThatFits, wrapText } from '../../src/shared/text.js';
import { assignVcpu, cursorOrder, mapOfPlan } from '../../src/state/core-map-edit.js';
import { buildCoreMapLines, cursorStep } from '../present/core-map-lines.js';
import { editFilter, matchesFilter } from '../../src/state/text-filter.js';

/** The VM's fields that open a prompt or a list in the owner: N name, d disk image, n network. */
export type VmField = 'name' | 'disk' | 'net';
const FIELD_KEYS: Record<string, VmField> = { N: 'name', d: 'disk', n: 'net' };

export interface PlanScreenProps {
  topology: Topology;
  /** CPUs other VMs hold (cpu -> who): drawn as X, named under the map. */
  taken?: ReadonlyMap<number, string>;
  presets: Preset[];
  selected: string;
  plan: Plan;
  /** A preset was chosen in the picker; the owner closes the picker. */
  onSelect: (name: string) => void;
  /** Whether the preset picker is open (owned by the wizard: it locks screen switching). */
  picking: boolean;
  onPickingChange: (open: boolean) => void;
  /** The picker's `/` filter and whether it is being typed (owned by the wizard). */
  presetFilter?: { text: string; typing: boolean };
  onPresetFilter?: (text: string, typing: boolean) => void;
  /** A key that may size the VM (+ - ] [ h a r); the owner decides. */
  onSizingKey?: (input: string) => void;
  /** Why the last sizing change was refused (the spec's own rule), or null. */
  sizingError?: string | null;
  /** A manual vCPU -> host CPU map from the core-map editor; null returns to automatic placement. */
  onMap?: (map: number[] | null) => void;
  /** u: clear vCPU N's hand placement (the owner puts it back where the strategy would). */
  onClearVcpu?: (vcpu: number) => void;
  /** E / I: the emulator / the iothreads onto the CPU under the cursor, or off it (the owner toggles). */
  onHelperCpu?: (helper: 'emulator' | 'iothread', cpu: number) => void;
  /** a / s: the map from the planner's compact / spread placement. */
  onAutoMap?: (strategy: 'compact' | 'spread') => void;
  /** Whether the core-map editor is open (owned by the wizard: Esc closes it, not the step). */
  editing?: boolean;
  onEditingChange?: (open: boolean) => void;
  /** The VM's name, network, disk and memory lines (what the host offers), already wrapped. */
  vmLines?: readonly VmLine[];
  /** N, d or n: the owner opens that field's prompt or list. */
  onField?: (field: VmField) => void;
  width: number;
  height: number;
}

export function PlanScreen(props: PlanScreenProps) {
  const { topology, taken, presets, selected, plan, onSelect, picking, onPickingChange: setPicking, onSizingKey, sizingError = null, onMap, width, height } = props;
  const [localEditing, setLocalEditing] = useState(false);
  const editing = props.editing ?? localEditing;
  const setEditing = props.onEditingChange ?? setLocalEditing;
  const [localFilter, setLocalFilter] = useState({ text: '', typing: false });
  const presetFilter = props.presetFilter ?? localFilter;
  const setPresetFilter = props.onPresetFilter ?? ((text: string, typing: boolean) => setLocalFilter({ text, typing }));
  const order = cursorOrder(topology);
  const [cursorIndex, setCursorIndex] = useState(0);
  const [vcpu, setVcpu] = useState(0);
  const [highlighted, setHighlighted] = useState<string | null>(null);
  const cursorCpu = order[Math.min(cursorIndex, order.length - 1)] ?? null;
  const vcpuCount = plan.spec.vcpus.count;
  const selectedVcpu = Math.min(vcpu, Math.max(0, vcpuCount - 1));
  const marks = planMarks(plan, taken);
  const housekeeping = new Set(plan.host.housekeeping);
  useInput(
    (input, key) => {
      if (editing) {
        if (key.escape || input === 'e') setEditing(false);
        else if (key.rightArrow || input === 'l') setCursorIndex((index) => Math.min(order.length - 1, index + 1));
        else if (key.leftArrow || input === 'h') setCursorIndex((index) => Math.max(0, index - 1));
        else if ((key.upArrow || input === 'k' || key.downArrow || input === 'j') && cursorCpu !== null) {
          // Up and down follow the grid as drawn (same width, same marks), to the nearest column.
          const next = cursorStep(buildCoreMapLines(topology, width, marks, cursorCpu, housekeeping), cursorCpu, key.upArrow || input === 'k' ? 'up' : 'down');
          setCursorIndex(Math.max(0, order.indexOf(next)));
        }
        else if (input === '.') setVcpu((index) => (index + 1) % Math.max(1, vcpuCount));
        else if (input === ',') setVcpu((index) => (index + Math.max(1, vcpuCount) - 1) % Math.max(1, vcpuCount));
        else if ((key.return || input === ' ') && cursorCpu !== null) onMap?.(assignVcpu(mapOfPlan(plan, order), selectedVcpu, cursorCpu));
        else if (input === 'x') onMap?.(null);
        else if ((input === 'u' || key.backspace || key.delete) && props.onClearVcpu) props.onClearVcpu(selectedVcpu);
        else if ((input === 'E' || input === 'I') && cursorCpu !== null && props.onHelperCpu) props.onHelperCpu(input === 'E' ? 'emulator' : 'iothread', cursorCpu);
        else if ((input === 'a' || input === 's') && props.onAutoMap) props.onAutoMap(input === 'a' ? 'compact' : 'spread');
        return;
      }
      if (input === 'p') setPicking(true);
      else if (input === 'e' && onMap) {
        // Start on the selected vCPU's CPU.
        const at = order.indexOf(plan.vcpus[selectedVcpu]?.hostCpu ?? -1);
        if (at >= 0) setCursorIndex(at);
        setEditing(true);
      } else if (FIELD_KEYS[input] && props.onField) props.onField(FIELD_KEYS[input]!);
      else if (input.length > 0 && [...input].every((char) => '+=-[]haor'.includes(char))) {
        // Keys typed fast (or pasted) arrive as one chunk: each counts.
        for (const char of input) onSizingKey?.(char);
      }
    },
    { isActive: !picking },
  );
  useInput(
    (input, key) => {
      if (presetFilter.typing) {
        const edited = editFilter(presetFilter.text, { input, ...key });
        if (edited) setPresetFilter(edited.text, !edited.done);
        return;
      }
      if (input === '/') setPresetFilter(presetFilter.text, true);
      // Esc drops a filter first, then closes the picker.
      else if (key.escape) presetFilter.text ? setPresetFilter('', false) : setPicking(false);
    },
    { isActive: picking },
  );
  const preset = presets.find((entry) => entry.name === selected);
  if (picking) {
    const shown = presets.filter((entry) => matchesFilter(presetFilter.text, [entry.name, entry.description]));
    const items = shown.map((entry) => ({ key: entry.name, label: `${entry.name.padEnd(22)} ${entry.description}`.slice(0, Math.max(10, width - 4)), value: entry.name }));
    // The highlighted preset's whole description, wrapped: the list cuts it at the width.
    const current = shown.find((entry) => entry.name === highlighted) ?? shown.find((entry) => entry.name === selected) ?? shown[0];
    const about = current ? wrapText(`${current.name}: ${current.description}`, Math.max(20, width), '  ') : [];
    const filterLine = presetFilter.typing
      ? `/${presetFilter.text}█  (Enter keeps the filter, Esc drops it)`
      : presetFilter.text
      ? `filter "${presetFilter.text}": ${shown.length} of ${presets.length} (/ changes it, Esc drops it)`
      : null;
    const listRows = Math.max(3, height - 2 - (filterLine ? 1 : 0) - about.length);
    return (
      <Box flexDirection="column">
        <Text bold wrap="truncate-end">
          Preset: ↑↓ Enter or its number · / filter · Esc cancels
        </Text>
        {filterLine ? (
          <Text color="cyan" wrap="truncate-end">
            {filterLine}
          </Text>
        ) : null}
        {items.length === 0 ? (
          <Text color="yellow">no preset matches "{presetFilter.text}"</Text>
        ) : (
          <SelectInput
            items={items}
            isFocused={!presetFilter.typing}
            initialIndex={Math.max(0, shown.findIndex((entry) => entry.name === selected))}
            limit={listRows}
            onHighlight={(item) => setHighlighted(item.value)}
            onSelect={(item) => {
              onSelect(item.value);
            }}
          />
        )}
        {about.map((line, index) => (
          <Text key={`about-${index}`} color="gray" wrap="truncate-end">
            {line}
          </Text>
        ))}
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
  const keyLines = wrapText(editing ? EDIT_KEYS(selectedVcpu, cursorCpu) : `size: ${SIZING_KEYS} · ${props.onField ? 'N name d disk n net · ' : ''}${onMap ? 'e edit map · ' : ''}p preset`, Math.max(20, width), '  ');
  // The VM's fields come before the map, which scrolls in what is left (3 rows at least); what
  // of them does not fit is counted.
  const vmLines = props.vmLines ?? [];
  // The placement summary wraps too: its end (memory, iothreads) is not less important.
  const summaryLines = wrapText(summary, Math.max(20, width), '  ');
  // The map's legend wraps, in a sixth of the pane (2 rows at least: at 60x20 the VM's lines keep
  // theirs); the VMs that hold X CPUs past those rows are counted (the Topology step lists them all).
  const legendLines = mapLegendLines(taken ?? new Map(), Math.max(20, width), Math.max(2, Math.floor(height / 6)));
  const fixedRows = 1 + legendLines.length + summaryLines.length + keyLines.length + messageRows + (hidden > 0 ? 1 : 0);
  const vmRoom = Math.max(1, height - fixedRows - 4);
  const vmRows = vmLines.length <= vmRoom ? vmLines.length : Math.max(1, vmRoom - 1);
  const vmHidden = vmLines.length - vmRows;
  const mapHeight = Math.max(3, height - fixedRows - vmRows - (vmHidden > 0 ? 1 : 0));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>preset {selected}</Text>
        <Text color="gray"> (p: change) · {preset?.description ?? ''}</Text>
      </Text>
      {vmLines.slice(0, vmRows).map((line, index) => (
        <Text key={`vm-${index}`} color={line.color} wrap="truncate-end">
          {line.text}
        </Text>
      ))}
      {vmHidden > 0 ? (
        <Text color="gray" wrap="truncate-end">
          {vmHiddenNote(vmHidden, width)}
        </Text>
      ) : null}
      {summaryLines.map((line, index) => (
        <Text key={`summary-${index}`} wrap="truncate-end">
          {line}
        </Text>
      ))}
      {keyLines.map((line, index) => (
        <Text key={`keys-${index}`} color={editing ? 'cyan' : 'gray'} wrap="truncate-end">
          {line}
        </Text>
      ))}
      {messageLines.slice(0, messageRows).map((entry, index) => (
        <Text key={index} color={entry.color} wrap="truncate-end">
          {entry.text}
        </Text>
      ))}
      {hidden > 0 ? (
        <Text color="gray" wrap="truncate-end">
          … {hidden} more line{hidden === 1 ? '' : 's'} of warnings (5 Launch and kvm-tui plan show them all)
        </Text>
      ) : null}
      {legendLines.map((line, index) => (
        <SegmentLine key={`legend-${index}`} line={line} />
      ))}
      <CoreMap topology={topology} width={width} height={mapHeight} marks={marks} housekeeping={housekeeping} cursor={editing ? cursorCpu : null} active={!editing} />
    </Box>
  );
}

/** The editor's key line: which vCPU goes where. */
function EDIT_KEYS(vcpu: number, cpu: number | null): string {
  return `edit vCPU ${vcpu} (,/.) → CPU ${cpu ?? '-'} (arrows/hjkl) · Enter assign (swaps) · u clear vCPU · E emulator · I iothreads here/off · a/s auto compact/spread · x all auto · Esc done`;
}

/** What the VM lines that did not fit say where to find them, in the widest form that fits. */
export function vmHiddenNote(count: number, width: number): string {
  const lines = `line${count === 1 ? '' : 's'}`;
  const forms = [`… ${count} more ${lines} about the VM (a taller terminal shows them; 5 Launch sums up)`, `… ${count} more VM ${lines}: a taller terminal, or 5 Launch`];
  return widestThatFits(forms, width);
}
