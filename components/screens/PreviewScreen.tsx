/**
 * Preview step: the generated QEMU command line, libvirt XML and pin script for the selected
 * plan, one at a time (e/x/s switch), scrollable. Shows why when the plan cannot be generated.
 */
import React, { useState } from 'react';
import { Box, Text, useInput } from 'ink';

export type PreviewFormat = 'qemu' | 'xml' | 'script';

export interface PreviewScreenProps {
  /** Text per format, or the reason nothing can be generated. */
  artefacts: Record<PreviewFormat, string> | { error: string };
  width: number;
  height: number;
}

const KEYS: Record<string, PreviewFormat> = { e: 'qemu', x: 'xml', s: 'script' };

export function PreviewScreen({ artefacts, width, height }: PreviewScreenProps) {
  const [format, setFormat] = useState<PreviewFormat>('qemu');
  const [top, setTop] = useState(0);
  const lines = 'error' in artefacts ? [] : artefacts[format].replace(/\n$/, '').split('\n');
  const rows = Math.max(1, height - 2);
  const maxTop = Math.max(0, lines.length - rows);
  useInput((input, key) => {
    if (KEYS[input]) {
      setFormat(KEYS[input]!);
      setTop(0);
    } else if (key.downArrow || input === 'j') setTop((value) => Math.min(maxTop, value + 1));
    else if (key.upArrow || input === 'k') setTop((value) => Math.max(0, value - 1));
    else if (key.pageDown || input === ' ') setTop((value) => Math.min(maxTop, value + rows));
    else if (key.pageUp) setTop((value) => Math.max(0, value - rows));
  });
  if ('error' in artefacts) {
    return (
      <Box flexDirection="column">
        <Text color="red">Nothing to preview: {artefacts.error}</Text>
        <Text color="gray">Pick another preset on the Plan tab.</Text>
      </Box>
    );
  }
  const start = Math.min(top, maxTop);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        {(['qemu', 'xml', 'script'] as const).map((entry) => (
          <Text key={entry} inverse={entry === format}>
            {/* The shown format in brackets too: inverse video alone is lost without colour. */}
            {`${entry === format ? '[' : ' '}${entry === 'qemu' ? 'e QEMU' : entry === 'xml' ? 'x libvirt XML' : 's pin script'}${entry === format ? ']' : ' '}`}
          </Text>
        ))}
        <Text color="gray">  lines {start + 1}-{Math.min(lines.length, start + rows)}/{lines.length}</Text>
      </Text>
      {lines.slice(start, start + rows).map((line, index) => (
        <Text key={start + index} wrap="truncate-end">
          {line.length > width ? line.slice(0, width - 1) + '…' : line}
        </Text>
      ))}
      <Text color="gray" wrap="truncate-end">kvm-tui generate --preset NAME --format qemu|xml|script --out FILE writes these</Text>
    </Box>
  );
}
