/**
 * A list to choose one from (the VM's network): ↑↓ and Enter choose, Esc cancels; the
 * highlighted choice's note (what the host needs first) is shown wrapped below, never cut.
 * While it is open it owns the keyboard (the frame passes it nothing else).
 */
import React, { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import SelectInput from 'ink-select-input';
import { wrapText } from '../../src/shared/text.js';

export interface Choice {
  value: string;
  label: string;
  /** Shown below the list while highlighted. */
  note: string | null;
}

export interface ChoiceListProps {
  title: string;
  choices: readonly Choice[];
  /** The value chosen now (the list opens on it). */
  current: string;
  /** Lines under the title (why the list is short, what is still being read). */
  notes?: readonly string[];
  onChoose: (value: string) => void;
  onCancel: () => void;
  width: number;
  height: number;
}

export function ChoiceList({ title, choices, current, notes = [], onChoose, onCancel, width, height }: ChoiceListProps): React.ReactElement {
  const start = Math.max(0, choices.findIndex((choice) => choice.value === current));
  const [highlighted, setHighlighted] = useState(choices[start]?.value ?? null);
  useInput((_input, key) => {
    if (key.escape) onCancel();
  });
  const wrap = (text: string) => wrapText(text, Math.max(20, width), '  ');
  const noteLines = notes.flatMap(wrap);
  // The highlighted label in full when the list cuts it, and its note.
  const chosen = choices.find((choice) => choice.value === highlighted);
  const cut = chosen !== undefined && chosen.label.length > width - 3;
  const aboutLines = chosen ? [...(cut ? wrap(chosen.label) : []), ...(chosen.note ? wrap(chosen.note) : [])] : [];
  const limit = Math.max(2, height - 1 - noteLines.length - aboutLines.length);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {title}
      </Text>
      {noteLines.map((line, index) => (
        <Text key={`note-${index}`} color="gray" wrap="truncate-end">
          {line}
        </Text>
      ))}
      <SelectInput
        items={choices.map((choice) => ({ key: choice.value, label: choice.label.length > width - 3 ? `${choice.label.slice(0, Math.max(1, width - 4))}…` : choice.label, value: choice.value }))}
        initialIndex={start}
        limit={limit}
        onHighlight={(item) => setHighlighted(item.value)}
        onSelect={(item) => onChoose(item.value)}
      />
      {aboutLines.map((line, index) => (
        <Text key={`about-${index}`} color="yellow" wrap="truncate-end">
          {line}
        </Text>
      ))}
    </Box>
  );
}
