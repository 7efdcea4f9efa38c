/**
 * A full-screen pane drawn straight to the terminal, line by line, for the standalone live pane
 * (`kvm-tui monitor`): it redraws once a second for as long as the user watches, and Ink's
 * output stage (every line tokenised into graphemes and styles on every frame, and the whole
 * screen cleared and rewritten because the frame is as tall as the terminal) cost about 8 ms of
 * CPU per tick, several times what htop spends. The pane's content is already plain lines
 * (components/present/monitor-lines.ts), so this writes only the rows that changed since the
 * last frame, each with one cursor move, and the whole screen after a resize.
 *
 * Ink still runs the screen (keys, state, effects) but draws into a sink (`inkSink`), so the two
 * never write over each other. Styles go through chalk, as Ink's do: with colour off (chalk level
 * 0) there is no colour, bold or inverse, and every mark is in the text.
 */
import { Writable } from 'node:stream';
import chalk, { type ChalkInstance } from 'chalk';
import stringWidth from 'string-width';
import type { MonitorLine } from '../present/monitor-lines.js';
import { printable } from '../../src/shared/text.js';

const CSI = '\u001B[';
/** Erase from the cursor to the end of the line (only after a row shorter than the terminal). */
const ERASE_LINE_END = `${CSI}K`;
const CLEAR_SCREEN = `${CSI}2J`;
const HOME = `${CSI}H`;
const HIDE_CURSOR = `${CSI}?25l`;
/**
 * Autowrap off while the pane owns the screen (ALT_SCREEN_OFF turns it back on): a row that the
 * terminal measures wider than string-width did (an ambiguous-width character, an emoji with a
 * variation selector) is then cut by the terminal at its edge instead of wrapping onto the next
 * row or scrolling the screen from the bottom one.
 */
const AUTOWRAP_OFF = `${CSI}?7l`;

/**
 * Text of one cell per character: printable ASCII and Latin, general punctuation ("…", "·"),
 * arrows, box drawing and block elements (the sparklines). The pane's rows nearly always are;
 * measuring them with string-width every second cost more than the rest of the frame.
 */
const ONE_CELL_RE = /^[\u0020-\u007e\u00a0-\u00ac\u00ae-\u02ff\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2500-\u259f]*$/;

/** Terminal cells `text` takes. */
function cells(text: string): number {
  return ONE_CELL_RE.test(text) ? text.length : stringWidth(text);
}

/** Graphemes, for cutting a line that is not plain ASCII without splitting a character. */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** `text` cut to at most `columns` terminal cells (wide characters count two), with "…" when cut. */
export function cutToWidth(text: string, columns: number): string {
  if (ONE_CELL_RE.test(text)) return text.length > columns ? `${text.slice(0, Math.max(0, columns - 1))}${columns > 0 ? '…' : ''}` : text;
  if (stringWidth(text) <= columns) return text;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const width = stringWidth(segment);
    if (used + width > columns - 1) break;
    out += segment;
    used += width;
  }
  return columns > 0 ? `${out}…` : '';
}

function styled(line: MonitorLine, text: string, color: boolean): string {
  let style: ChalkInstance = chalk;
  if (color && line.color) style = style[line.color];
  if (line.bold) style = style.bold;
  if (line.inverse) style = style.inverse;
  return style === chalk ? text : style(text);
}

export class PaneWriter {
  private rows: string[] = [];
  private size: string | null = null;

  constructor(private readonly write: (text: string) => void) {}

  /**
   * Draws `lines` on a `columns` x `rows` terminal: the rows that differ from the last frame, or
   * all of them after the size changed (and on the first frame). Rows past the last line are
   * blank. The cursor is left hidden at the top-left corner.
   */
  draw(lines: readonly MonitorLine[], columns: number, rows: number, color: boolean): void {
    const size = `${columns}x${rows}`;
    const full = size !== this.size;
    const next: string[] = [];
    for (let row = 0; row < rows; row++) {
      const line = lines[row];
      if (line === undefined) {
        next.push('');
        continue;
      }
      const text = cutToWidth(printable(line.text), columns);
      // A row as wide as the terminal leaves the cursor on its last cell: erasing to the line's
      // end there would erase that cell, so only shorter rows are erased after.
      const narrow = cells(text) < columns;
      next.push(styled(line, text, color) + (narrow ? ERASE_LINE_END : ''));
    }
    let out = full ? HIDE_CURSOR + AUTOWRAP_OFF + CLEAR_SCREEN : '';
    for (let row = 0; row < rows; row++) {
      if (!full && next[row] === this.rows[row]) continue;
      if (full && (next[row] === '' || next[row] === ERASE_LINE_END)) continue;
      out += `${CSI}${row + 1};1H${next[row] || ERASE_LINE_END}`;
    }
    this.rows = next;
    this.size = size;
    if (out === '') return;
    try {
      this.write(out + HOME);
    } catch (error) {
      // What the terminal shows is unknown now: the next frame is drawn whole.
      this.invalidate();
      throw error;
    }
  }

  /** The next frame is drawn whole (after a resize, Ctrl-L, or anything else written on the terminal). */
  invalidate(): void {
    this.size = null;
  }
}

/**
 * The stream Ink draws into while a PaneWriter owns the terminal: it swallows Ink's output and
 * reports the real terminal's size, and its resize events, so the screen still lays out for it.
 * `onResize` runs first (the writer redraws whole after any resize, even one back to the same size).
 */
export function inkSink(terminal: NodeJS.WriteStream, onResize: () => void = () => undefined): { stream: NodeJS.WriteStream; dispose: () => void } {
  const sink = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  Object.defineProperties(sink, {
    isTTY: { get: () => true },
    columns: { get: () => terminal.columns },
    rows: { get: () => terminal.rows },
  });
  const resized = () => {
    onResize();
    sink.emit('resize');
  };
  terminal.on('resize', resized);
  return { stream: sink as unknown as NodeJS.WriteStream, dispose: () => void terminal.off('resize', resized) };
}
