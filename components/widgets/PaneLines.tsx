/**
 * A pane drawn from pure lines (components/present/*-lines.ts): one Text per line, colour only
 * when asked (the lines carry their meaning in words), each cut at the terminal's edge.
 */
import React from 'react';
import { Box, Text } from 'ink';
import type { MonitorLine } from '../present/monitor-lines.js';

export function PaneLines({ lines, color }: { lines: readonly MonitorLine[]; color: boolean }): React.ReactElement {
  return (
    <Box flexDirection="column">
      {lines.map((line, index) => (
        <Text key={index} color={color ? line.color : undefined} bold={line.bold} inverse={line.inverse} wrap="truncate">
          {line.text}
        </Text>
      ))}
    </Box>
  );
}
