/**
 * Preview step: the generated QEMU command line, libvirt XML and pin script for the selected
 * plan, one at a time (e/x/s switch), scrollable. Shows why when the plan cannot be generated.
 */
import React, { useLayoutEffect, useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';

export type PreviewFormat = 'qemu' | 'xml' | 'script';

export interface PreviewScreenProps {
  /** Text per format, or the reason nothing can be generated. */
  artefacts: Record<PreviewFormat, string> | { error: string };
  width: number;
  height: number;
  /** The shown format and scroll, kept by the wizard so that they outlive a step change. */
  view?: PreviewView;
  onView?: (view: PreviewView) => void;
  /** w: write the shown text to a file (the wizard asks where, and before overwriting). */
  onWrite?: (format: PreviewFormat) => void;
}

export interface PreviewView {
  format: PreviewFormat;
  top: number;
}

const KEYS: Record<string, PreviewFormat> = { e: 'qemu', x: 'xml', s: 'script' };

export function PreviewScreen({ artefacts, width, height, view: given, onView, onWrite }: PreviewScreenProps) {
  const [own, setOwn] = useState<PreviewView>({ format: 'qemu', top: 0 });
  const view = given ?? own;
  // Keys read the view as drawn last (a ref the commit updates), not a handler's closure: Ink can
  // deliver a key before it re-subscribes the handler of the latest render.
  const latest = useRef(view);
  useLayoutEffect(() => {
    latest.current = view;
  });
  const setView = (next: PreviewView) => {
    latest.current = next;
    if (onView) onView(next);
    else setOwn(next);
  };
  const { format, top } = view;
  const setFormat = (next: PreviewFormat) => setView({ format: next, top: 0 });
  const setTop = (next: (value: number) => number) => setView({ format: latest.current.format, top: next(latest.current.top) });
  const lines = 'error' in artefacts ? [] : artefacts[format].replace(/\n$/, '').split('\n');
  const rows = Math.max(1, height - 2);
  const maxTop = Math.max(0, lines.length - rows);
  useInput((input, key) => {
    if (KEYS[input]) setFormat(KEYS[input]!);
    else if (input === 'w' && onWrite && !('error' in artefacts)) onWrite(latest.current.format);
    else if (key.downArrow || input === 'j') setTop((value) => Math.min(maxTop, value + 1));
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
      <Text color="gray" wrap="truncate-end">{onWrite ? 'w writes the shown text to a file · ' : ''}kvm-tui generate ... --format qemu|xml|script --out FILE writes these</Text>
    </Box>
  );
}
