/**
 * A one-line text prompt (a file path): printable keys type, Backspace deletes, Enter submits,
 * Esc cancels. While it is open it owns the keyboard (the frame passes it nothing else).
 */
import React, { useState } from 'react';
import { Text, useInput } from 'ink';

export interface TextPromptProps {
  label: string;
  initial: string;
  onSubmit: (value: string) => void;
  onCancel: () => void;
  width: number;
}

export function TextPrompt({ label, initial, onSubmit, onCancel, width }: TextPromptProps): React.ReactElement {
  const [value, setValue] = useState(initial);
  useInput((input, key) => {
    if (key.escape) return onCancel();
    if (key.return) return onSubmit(value);
    if (key.backspace || key.delete) return setValue((text) => text.slice(0, -1));
    // Ctrl-U clears the line, as in a shell.
    if (key.ctrl && input === 'u') return setValue('');
    if (key.ctrl || key.meta || key.tab) return;
    // Pasted text arrives as one chunk; control characters never enter a path typed here.
    const printable = input.replace(/[\u0000-\u001f\u007f]/g, '');
    if (printable) setValue((text) => text + printable);
  });
  const shown = `${label}${value}█`;
  return <Text wrap="truncate-start">{shown.length > width ? `…${shown.slice(shown.length - width + 1)}` : shown}</Text>;
}
