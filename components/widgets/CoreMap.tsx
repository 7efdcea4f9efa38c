/** Scrollable core map (node > package > L3 > core > threads). Data in, keys scroll it. */
import React, { useEffect, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import type { Topology } from '../../src/host/topology.js';
import { buildCoreMapLines, type CoreMapLine, type CpuMark, type SegmentTone } from '../present/core-map-lines.js';

export const TONE_COLOR: Record<SegmentTone, string | undefined> = {
  plain: undefined,
  dim: 'gray',
  heading: 'cyan',
  isolated: 'magenta',
  vcpu: 'green',
  emulator: 'yellow',
  iothread: 'blue',
  taken: 'red',
  warn: 'yellow',
};

export interface CoreMapProps {
  topology: Topology;
  width: number;
  height: number;
  marks?: Map<number, CpuMark[]>;
  active?: boolean;
  /** The editor's cursor (a host CPU), or null. */
  cursor?: number | null;
  /** The host's housekeeping CPUs (the plan's), marked "h". */
  housekeeping?: ReadonlySet<number>;
  /** Lines drawn above the map that scroll with it (the Topology step's host summary and held CPUs). */
  header?: readonly CoreMapLine[];
}

/** One line of coloured segments, cut at the pane's edge (the layout already fits it). */
export function SegmentLine({ line }: { line: CoreMapLine }) {
  return (
    <Text wrap="truncate-end">
      {line.map((segment, segmentIndex) => (
        <Text key={segmentIndex} color={TONE_COLOR[segment.tone]} bold={segment.tone === 'heading'}>
          {segment.text}
        </Text>
      ))}
    </Text>
  );
}

export function CoreMap({ topology, width, height, marks, active = true, cursor = null, housekeeping, header = [] }: CoreMapProps) {
  const lines = [...header, ...buildCoreMapLines(topology, width, marks, cursor, housekeeping)];
  const [top, setTop] = useState(0);
  // When the map is taller than the pane, one row goes to the position footer.
  const scrolling = lines.length > height;
  const rowsForLines = scrolling ? Math.max(1, height - 1) : height;
  const maxTop = Math.max(0, lines.length - rowsForLines);
  // Keep the editor's cursor in view on a map taller than the pane.
  const cursorLine = cursor === null ? -1 : lines.findIndex((line) => line.some((segment) => segment.cpu !== undefined && segment.text.startsWith('>')));
  useEffect(() => {
    if (cursorLine < 0) return;
    setTop((value) => (cursorLine < value ? cursorLine : cursorLine >= value + rowsForLines ? Math.min(maxTop, cursorLine - rowsForLines + 1) : value));
  }, [cursorLine, rowsForLines, maxTop]);
  useInput(
    (input, key) => {
      if (key.downArrow || input === 'j') setTop((value) => Math.min(maxTop, value + 1));
      if (key.upArrow || input === 'k') setTop((value) => Math.max(0, value - 1));
      if (key.pageDown || input === ' ') setTop((value) => Math.min(maxTop, value + rowsForLines));
      if (key.pageUp) setTop((value) => Math.max(0, value - rowsForLines));
      if (input === 'g') setTop(0);
      if (input === 'G') setTop(maxTop);
    },
    { isActive: active },
  );
  const start = Math.min(top, maxTop);
  const visible = lines.slice(start, start + rowsForLines);
  return (
    <Box flexDirection="column">
      {visible.map((line, index) => (
        <SegmentLine key={start + index} line={line} />
      ))}
      {scrolling ? (
        <Text color="gray">
          lines {start + 1}-{Math.min(lines.length, start + rowsForLines)} of {lines.length} (↑↓ PgUp PgDn g G)
        </Text>
      ) : null}
    </Box>
  );
}
