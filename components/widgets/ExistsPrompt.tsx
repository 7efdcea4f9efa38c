/** "FILE exists": o overwrites, n goes back to the path to choose another, Esc cancels. */
import React from 'react';
import { Text, useInput } from 'ink';

export interface ExistsPromptProps {
  file: string;
  onOverwrite: () => void;
  onRename: () => void;
  onCancel: () => void;
}

export function ExistsPrompt({ file, onOverwrite, onRename, onCancel }: ExistsPromptProps): React.ReactElement {
  useInput((input, key) => {
    if (input === 'o' || input === 'O') onOverwrite();
    else if (input === 'n' || input === 'N') onRename();
    else if (key.escape) onCancel();
  });
  return (
    <Text color="yellow" wrap="truncate-end">
      {file} exists: o overwrite it · n another name · Esc cancel
    </Text>
  );
}
