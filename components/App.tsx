/**
 * The wizard frame: a title bar with the host summary, the step bar (the current step in
 * brackets; Enter/c on, Esc back, 1..n or Tab/Shift-Tab to jump, q to quit), an error banner
 * when there is one, the active screen below, sized to the terminal, and a footer with the keys
 * that move between steps. Which screen is active is app state: keys go to the reducer as
 * `nav/key`.
 */
import React, { useState } from 'react';
import { Box, Text, useApp, useInput } from 'ink';
import type { Banner } from '../src/state/app-state.js';
import type { KeyPress } from '../src/state/keys.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { stepBar } from './present/step-bar.js';
import { widestThatFits, wrapText } from '../src/shared/text.js';

export interface ScreenSize {
  width: number;
  height: number;
}

export interface WizardScreen {
  id: string;
  title: string;
  /** Rendered only while active; `size` is what is left below the tab bar. */
  render: (size: ScreenSize) => React.ReactNode;
  /** Whether Enter goes on to the next step here (false where Enter has a job of its own). */
  enterGoesOn?: boolean;
}

export interface AppProps {
  /** The host in one line, or in forms from the longest to the shortest: the title shows the longest that fits. */
  hostSummary: string | readonly string[];
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
  /** A screen is taking typed text (a filter): q and ? are letters, only Ctrl-C is the frame's. */
  keysOwned?: boolean;
  /** What the footer says while something inside the screen is open (its keys), instead of the steps' keys. */
  footer?: string | null;
}

/** A help line ("  keys      what they do") wrapped with its text continuing under its text column. */
export function wrapHelpLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  // The text column: the end of the first run of 2+ spaces that reaches column 16 ("  h  a  r" has
  // shorter runs inside its key column).
  const leading = /^\s*/.exec(line)![0].length;
  const run = [...line.matchAll(/ {2,}/g)].find((match) => match.index! > leading && match.index! + match[0].length >= 16);
  const textColumn = run ? run.index! + run[0].length : 0;
  if (textColumn === 0 || textColumn > width / 2) return wrapText(line, width, '    ');
  return wrapText(line.slice(textColumn), width - textColumn).map((text, index) => (index === 0 ? line.slice(0, textColumn) : ' '.repeat(textColumn)) + text);
}

const TITLE = 'kvm-tui';
const TITLE_SEPARATOR = ' · ';

/** The title line's host summary: the longest of `forms` that fits `width` after the title (else the shortest, cut). */
export function titleSummary(forms: string | readonly string[], width: number): string {
  const list = typeof forms === 'string' ? [forms] : forms;
  const room = width - TITLE.length - TITLE_SEPARATOR.length;
  return widestThatFits(list, room);
}

/** The footer: how to move between steps from `index` of `count` (what the keys do here). */
export function stepKeysLine(index: number, count: number, enterGoesOn: boolean): string {
  return [
    index < count - 1 ? `${enterGoesOn ? 'Enter/c' : 'c'} next` : null,
    index > 0 ? 'Esc back' : null,
    `1-${count} jump`,
    '? help',
    'q quit',
  ]
    .filter(Boolean)
    .join(' · ');
}

export function App({ hostSummary, screens, screen: activeId, onNavigationKey, banner, size, onExit, help, overlay, notice, keysOwned = false, footer = null }: AppProps) {
  const { exit } = useApp();
  const [showHelp, setShowHelp] = useState(false);
  const [helpTop, setHelpTop] = useState(0);
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
    if (keysOwned) return onNavigationKey({ input, ...key }, screenIds);
    if (showHelp) {
      // A help longer than the pane scrolls; any other key closes it.
      if (helpScrolls && (key.downArrow || input === 'j' || input === ' ')) return setHelpTop((top) => Math.min(helpMaxTop, top + (input === ' ' ? height - 1 : 1)));
      if (helpScrolls && (key.upArrow || input === 'k')) return setHelpTop((top) => Math.max(0, top - 1));
      setShowHelp(false);
      return;
    }
    if (input === 'q') {
      onExit?.(0);
      exit();
      return;
    }
    if (input === '?' && help) {
      setHelpTop(0);
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
  // The help wraps (a key's text continues under its text column), and scrolls when taller.
  const helpLines = (help ?? []).flatMap((line) => wrapHelpLine(line, width));
  const helpScrolls = helpLines.length > height;
  const helpMaxTop = Math.max(0, helpLines.length - height);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold color="cyan">{TITLE}</Text>
        <Text color="gray">
          {TITLE_SEPARATOR}
          {titleSummary(hostSummary, width)}
        </Text>
      </Text>
      {/* One line that never wraps: on a narrow terminal the other steps show their number only.
          Brackets mark the current step in text; colour only adds to them. */}
      <Text wrap="truncate-end">
        {stepBar(
          screens.map((entry) => entry.title),
          index,
          width,
        ).map((segment, position) => (
          <Text key={position} inverse={segment.current} color={segment.current ? 'cyan' : 'gray'} bold={segment.current}>
            {segment.text}
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
          ? helpLines.slice(Math.min(helpTop, helpMaxTop), Math.min(helpTop, helpMaxTop) + height).map((line, position) => (
              <Text key={position} wrap="truncate-end">
                {line}
              </Text>
            ))
          : screen.render({ width, height })}
      </Box>
      <Text color="gray" wrap="truncate-end">
        {overlay ? 'Esc closes this · Ctrl-C quits' : showHelp ? (helpScrolls ? `help ${Math.min(helpTop, helpMaxTop) + 1}-${Math.min(helpLines.length, Math.min(helpTop, helpMaxTop) + height)}/${helpLines.length}: ↑↓ Space scroll · other keys close` : 'any key closes the help') : footer ?? stepKeysLine(index, screens.length, screen.enterGoesOn ?? true)}
      </Text>
    </Box>
  );
}
