/**
 * The wizard frame: a title bar with the host summary, numbered tabs (1..n or Tab/Shift-Tab to
 * move, q to quit), an error banner when there is one, and the active screen below, sized to the
 * terminal. Which screen is active is app state: keys go to the reducer as `nav/key`.
 */
import React, { useState } from 'react';
import { Box, Text, useApp, useInput } from 'ink';
import type { Banner } from '../src/state/app-state.js';
import type { KeyPress } from '../src/state/keys.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';

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
  /** The active screen's id. */
  screen: string;
  /** Every key that is not q / Ctrl-C, for the reducer to decide (digits, Tab). */
  onNavigationKey: (key: KeyPress, screenIds: readonly string[]) => void;
  banner?: Banner | null;
  /** Fixed terminal size (tests); default: the real terminal's, following resizes. */
  size?: { columns: number; rows: number };
  /** Called with the exit status before the app ends: 0 for q, 130 for Ctrl-C. */
  onExit?: (code: number) => void;
  /** Lines of the ? overlay. */
  help?: readonly string[];
  /** Drawn instead of the screen while set (a prompt): it owns every key but Ctrl-C. */
  overlay?: React.ReactNode;
  /** A one-line note (what the last action did), or null. */
  notice?: string | null;
}

export function App({ hostSummary, screens, screen: activeId, onNavigationKey, banner, size, onExit, help, overlay, notice }: AppProps) {
  const { exit } = useApp();
  const [showHelp, setShowHelp] = useState(false);
  const terminal = useTerminalSize();
  const { columns, rows } = size ?? terminal;
  const index = Math.max(0, screens.findIndex((entry) => entry.id === activeId));
  const screenIds = screens.map((entry) => entry.id);
  useInput((input, key) => {
    if (key.ctrl && input === 'c') {
      onExit?.(130);
      exit();
      return;
    }
    if (overlay) return;
    if (showHelp) {
      setShowHelp(false);
      return;
    }
    if (input === 'q') {
      onExit?.(0);
      exit();
      return;
    }
    if (input === '?' && help) {
      setShowHelp(true);
      return;
    }
    onNavigationKey({ input, ...key }, screenIds);
  });
  const screen = screens[index]!;
  const width = Math.max(20, columns);
  const bannerLines = (banner ? 1 : 0) + (notice ? 1 : 0);
  // Title, tab bar and help line take three rows; a banner one more.
  const height = Math.max(3, rows - 3 - bannerLines);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold color="cyan">kvm-tui</Text>
        <Text color="gray"> · {hostSummary}</Text>
      </Text>
      {/* One line, cut rather than wrapped on a narrow terminal; below 64 columns the tabs other
          than the active one show their number only. Brackets mark the active tab in text. */}
      <Text wrap="truncate-end">
        {screens.map((entry, position) => (
          <Text key={entry.id} inverse={position === index} color={position === index ? 'cyan' : undefined}>
            {position === index ? `[${position + 1} ${entry.title}]` : width < 64 ? ` ${position + 1} ` : ` ${position + 1} ${entry.title} `}
          </Text>
        ))}
      </Text>
      {banner ? (
        <Text color="red" wrap="truncate-end">
          {banner.text}
          {banner.hint ? <Text color="gray"> · {banner.hint}</Text> : null}
        </Text>
      ) : null}
      {notice ? (
        <Text color="cyan" wrap="truncate-end">
          {notice}
        </Text>
      ) : null}
      <Box flexDirection="column" height={height}>
        {overlay
          ? overlay
          : showHelp && help
          ? help.slice(0, height).map((line, position) => (
              <Text key={position} wrap="truncate-end">
                {line}
              </Text>
            ))
          : screen.render({ width, height })}
      </Box>
      <Text color="gray" wrap="truncate-end">
        {showHelp ? 'any key closes the help' : `1-${screens.length}/Tab switch · ? help · q quit`}
      </Text>
    </Box>
  );
}
