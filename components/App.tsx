/**
 * The wizard frame: a title bar with the host summary, numbered tabs (1..n or Tab/Shift-Tab to
 * move, q to quit) and the active screen below, sized to the terminal.
 */
import React from 'react';
import { Box, Text, useApp, useInput } from 'ink';
import { useTerminalSize } from './use-terminal-size.js';

export interface ScreenSize {
  width: number;
  height: number;
}

export interface WizardScreen {
  id: string;
  title: string;
  /** Rendered only while active; `size` is what is left below the tab bar. */
  render: (size: ScreenSize) => React.ReactNode;
}

export interface AppProps {
  hostSummary: string;
  screens: WizardScreen[];
  /** The active screen's id (controlled, so a screen can move the wizard on). */
  screen: string;
  onScreenChange: (id: string) => void;
  /** Fixed terminal size (tests); default: the real terminal's, following resizes. */
  size?: { columns: number; rows: number };
  /** While a screen shows a modal (a picker that takes digits), digits and Tab stay with it. */
  navigationLocked?: boolean;
}

export function App({ hostSummary, screens, screen: activeId, onScreenChange, size, navigationLocked = false }: AppProps) {
  const { exit } = useApp();
  const terminal = useTerminalSize();
  const { columns, rows } = size ?? terminal;
  const index = Math.max(0, screens.findIndex((entry) => entry.id === activeId));
  const setIndex = (next: number | ((value: number) => number)) => {
    const value = typeof next === 'function' ? next(index) : next;
    onScreenChange(screens[value]!.id);
  };
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) {
      exit();
      return;
    }
    if (navigationLocked) return;
    const digit = Number.parseInt(input, 10);
    if (digit >= 1 && digit <= screens.length) setIndex(digit - 1);
    else if (key.tab && key.shift) setIndex((value) => (value + screens.length - 1) % screens.length);
    else if (key.tab) setIndex((value) => (value + 1) % screens.length);
  });
  const screen = screens[index]!;
  const width = Math.max(20, columns);
  // Title, tab bar and help line take three rows.
  const height = Math.max(3, rows - 3);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold color="cyan">kvm-tui</Text>
        <Text color="gray"> · {hostSummary}</Text>
      </Text>
      <Box>
        {screens.map((entry, position) => (
          <Text key={entry.id} inverse={position === index} color={position === index ? 'cyan' : undefined}>
            {` ${position + 1} ${entry.title} `}
          </Text>
        ))}
      </Box>
      <Box flexDirection="column" height={height}>
        {screen.render({ width, height })}
      </Box>
      <Text color="gray" wrap="truncate-end">
        1-{screens.length}/Tab switch · ↑↓ move · q quit
      </Text>
    </Box>
  );
}
