/**
 * Preview step: the generated QEMU command line, libvirt XML and pin script for the selected
 * plan, one at a time (e/x/s switch), scrollable both ways. A cursor (↑↓ j k, shown as ">") picks
 * a line and the line under the view says why that option or element is there (the reasons come
 * from the owner, src/generate/explain.ts). ←→ (h l) scroll sideways so long options can be read
 * at 80 columns; y copies the shown text to the terminal's clipboard (OSC 52, through Ink's
 * stdout); w writes it to a file. Shows why when the plan cannot be generated.
 */
import React, { useLayoutEffect, useRef, useState } from 'react';
import { Box, Text, useInput, useStdout } from 'ink';
import { osc52Copy } from '../../src/shared/osc52.js';
import { widestThatFits, wrapText } from '../../src/shared/text.js';

export type PreviewFormat = 'qemu' | 'xml' | 'script';

export interface PreviewScreenProps {
  /** Text per format, the reason nothing can be generated, or pending (the generators still load). */
  artefacts: Record<PreviewFormat, string> | { error: string; hint?: string } | { pending: true };
  /** Why each line is there, per format (one entry per line; null: no note). */
  reasons?: Partial<Record<PreviewFormat, ReadonlyArray<string | null>>>;
  width: number;
  height: number;
  /** The shown format, scroll and cursor, kept by the wizard so that they outlive a step change. */
  view?: PreviewView;
  onView?: (view: PreviewView) => void;
  /** w: write the shown text to a file (the wizard asks where, and before overwriting). */
  onWrite?: (format: PreviewFormat) => void;
}

export interface PreviewView {
  format: PreviewFormat;
  top: number;
  /** The line the cursor is on (null/absent: none yet; the first ↑↓ puts it on the top line). */
  cursor?: number | null;
  /** Columns scrolled sideways (absent: 0). */
  left?: number;
}

const KEYS: Record<string, PreviewFormat> = { e: 'qemu', x: 'xml', s: 'script' };
const FORMAT_NAME: Record<PreviewFormat, string> = { qemu: 'the QEMU command', xml: 'the libvirt XML', script: 'the pin script' };
/** How far ← and → move: enough to get through a long option in a few presses. */
const SIDE_STEP = 20;

export function PreviewScreen({ artefacts, reasons = {}, width, height, view: given, onView, onWrite }: PreviewScreenProps) {
  const [own, setOwn] = useState<PreviewView>({ format: 'qemu', top: 0 });
  const view = given ?? own;
  const { stdout } = useStdout();
  // What y did, until the next key: the terminal gives no answer, so it says it may be ignored.
  const [note, setNote] = useState<string | null>(null);
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
  const cursor = view.cursor ?? null;
  const left = view.left ?? 0;
  const texts = previewTexts(artefacts);
  const textOf = (which: PreviewFormat) => texts?.[which] ?? '';
  const linesOf = (which: PreviewFormat) => (texts ? textOf(which).replace(/\n$/, '').split('\n') : []);
  const lines = linesOf(format);
  const reasonRows = height >= 12 ? 2 : 1;
  const rows = Math.max(1, height - 2 - reasonRows);
  const maxTop = Math.max(0, lines.length - rows);
  const longest = Math.max(0, ...lines.map((line) => line.length));
  const maxLeft = Math.max(0, longest - width + 2);
  /** The cursor moved to `next` (clamped), the view scrolled to keep it shown. */
  const moveCursor = (state: PreviewView, next: number): PreviewView => {
    const count = linesOf(state.format).length;
    const line = Math.max(0, Math.min(count - 1, next));
    const stateTop = Math.min(state.top, Math.max(0, count - rows));
    const shownTop = line < stateTop ? line : line >= stateTop + rows ? line - rows + 1 : stateTop;
    return { ...state, cursor: line, top: shownTop };
  };
  useInput((input, key) => {
    if (note) setNote(null);
    const current = latest.current;
    const at = current.cursor ?? null;
    if (KEYS[input]) setView({ format: KEYS[input]!, top: 0, cursor: null, left: 0 });
    else if (!texts) return; // nothing shown to write, copy, scroll or point at
    else if (input === 'w' && onWrite) onWrite(current.format);
    else if (input === 'y') {
      const text = textOf(current.format);
      // Through Ink's stdout (the app's terminal): the sequence draws nothing on the screen.
      stdout.write(osc52Copy(text));
      const count = text.replace(/\n$/, '').split('\n').length;
      setNote(`copied: ${FORMAT_NAME[current.format]}, ${count} lines (OSC 52; the terminal may ignore it)`);
    } else if (key.downArrow || input === 'j') setView(moveCursor(current, at === null ? current.top : at + 1));
    else if (key.upArrow || input === 'k') setView(moveCursor(current, at === null ? current.top : at - 1));
    else if (key.pageDown || input === ' ') {
      const nextTop = Math.min(maxTop, current.top + rows);
      setView(at === null ? { ...current, top: nextTop } : { ...moveCursor(current, at + rows), top: nextTop });
    } else if (key.pageUp) {
      const nextTop = Math.max(0, current.top - rows);
      setView(at === null ? { ...current, top: nextTop } : { ...moveCursor(current, at - rows), top: nextTop });
    } else if (key.rightArrow || input === 'l') setView({ ...current, left: Math.min(maxLeft, (current.left ?? 0) + SIDE_STEP) });
    else if (key.leftArrow || input === 'h') setView({ ...current, left: Math.max(0, (current.left ?? 0) - SIDE_STEP) });
    else if (input === '0') setView({ ...current, left: 0 });
  });
  if ('error' in artefacts) {
    return (
      <Box flexDirection="column">
        <Text color="red">Nothing to preview: {artefacts.error}</Text>
        <Text color="gray">{artefacts.hint ?? 'Pick another preset on the Plan tab.'}</Text>
      </Box>
    );
  }
  if ('pending' in artefacts) return <Text color="gray">Preparing the QEMU command line, the libvirt XML and the pin script…</Text>;
  const start = Math.min(top, maxTop);
  const shownLeft = Math.min(left, maxLeft);
  const shown = cursor === null ? null : Math.min(cursor, lines.length - 1);
  const reason = shown === null ? null : format === 'script' ? "the pin script: its comments say what each step does" : (reasons[format]?.[shown] ?? 'no note for this line');
  // y's note takes the place of the reason until the next key, wrapped: its end is the warning.
  const about = note
    ? wrapText(note, Math.max(20, width), '  ')
    : shown === null
      ? [widestThatFits([CURSOR_HINT, '↑↓ jk: why a line is there · ←→ hl: sideways'], width)]
      : wrapText(`line ${shown + 1}: ${reason}`, Math.max(20, width), '  ');
  // Always reasonRows rows, so the text above does not jump as the cursor moves.
  const cut = about.length > reasonRows ? [...about.slice(0, reasonRows - 1), about[reasonRows - 1]!.slice(0, Math.max(1, width - 1)) + '…'] : about;
  const aboutLines = [...cut, ...Array.from({ length: reasonRows - cut.length }, () => ' ')];
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        {(['qemu', 'xml', 'script'] as const).map((entry) => (
          <Text key={entry} inverse={entry === format}>
            {/* The shown format in brackets too: inverse video alone is lost without colour. */}
            {`${entry === format ? '[' : ' '}${entry === 'qemu' ? 'e QEMU' : entry === 'xml' ? 'x libvirt XML' : 's pin script'}${entry === format ? ']' : ' '}`}
          </Text>
        ))}
        <Text color="gray">
          {'  '}lines {start + 1}-{Math.min(lines.length, start + rows)}/{lines.length}
          {shownLeft > 0 ? ` · col ${shownLeft + 1}+` : ''}
        </Text>
      </Text>
      {lines.slice(start, start + rows).map((line, index) => (
        <Text key={start + index} wrap="truncate-end" bold={start + index === shown}>
          {drawLine(line, width, shownLeft, start + index === shown)}
        </Text>
      ))}
      {aboutLines.map((line, index) => (
        <Text key={`about-${index}`} color={note ? 'yellow' : 'cyan'} wrap="truncate-end">
          {line}
        </Text>
      ))}
      <Text color="gray" wrap="truncate-end">
        {copyKeysLine(width, onWrite !== undefined)}
      </Text>
    </Box>
  );
}

const CURSOR_HINT = '↑↓ j k put the cursor on a line to see why it is there · ←→ h l scroll sideways';

/** The copy and write keys, and the command that writes the same files, in the widest form that fits. */
function copyKeysLine(width: number, canWrite: boolean): string {
  const forms = [
    `y copy (OSC 52)${canWrite ? ' · w write to a file' : ''} · kvm-tui generate --format qemu|xml|script --out FILE`,
    `y copy (OSC 52)${canWrite ? ' · w write to a file' : ''} · or: kvm-tui generate --out FILE`,
    `y copy (OSC 52)${canWrite ? ' · w write to a file' : ''}`,
  ];
  return widestThatFits(forms, width);
}

/**
 * One line of the text at `width`, from column `left`: "…" where it goes on to the right or was
 * scrolled past on the left; the cursor's line starts with ">" (over its indent when it has one,
 * so the columns stay where they were).
 */
export function drawLine(line: string, width: number, left: number, cursor: boolean): string {
  // A line that ends before `left` still takes its row (an empty Text would take none).
  let text = left > 0 ? (line.length > left ? '…' + line.slice(left + 1) : ' ') : line;
  if (cursor) text = text.startsWith(' ') ? '>' + text.slice(1) : '>' + text;
  return text.length > width ? text.slice(0, width - 1) + '…' : text;
}

/** The texts of the artefacts, or null when there are none (an error, or still pending). */
export function previewTexts(artefacts: PreviewScreenProps['artefacts']): Record<PreviewFormat, string> | null {
  return 'error' in artefacts || 'pending' in artefacts ? null : artefacts;
}
