/**
 * The standalone pane's writer: the first frame and a resize draw the whole screen, later frames
 * only the rows that changed, each row cut at the terminal's edge by cells (wide characters
 * count two), control characters made visible, styles only with colour, and the cursor parked
 * top-left. The frames are also replayed on a small screen model, so what the terminal would
 * show is checked, not only the bytes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventEmitter } from 'node:events';
import chalk from 'chalk';
import { cutToWidth, inkSink, PaneWriter } from '../../components/terminal/pane-writer.js';
import type { MonitorLine } from '../../components/present/monitor-lines.js';

/** What a terminal shows after `writes`: only the sequences the writer sends are understood. */
function screen(writes: string[], columns: number, rows: number): string[] {
  const grid = Array.from({ length: rows }, () => Array<string>(columns).fill(' '));
  let row = 0;
  let col = 0;
  const text = writes.join('');
  let i = 0;
  while (i < text.length) {
    const esc = /^\u001B\[(\??)([0-9;]*)([A-Za-z])/.exec(text.slice(i));
    if (esc) {
      const [all, private_, params, final] = esc;
      i += all.length;
      if (private_ === '?') continue;
      if (final === 'H') {
        const [r = '1', c = '1'] = params!.split(';');
        row = Number(r || 1) - 1;
        col = Number(c || 1) - 1;
      } else if (final === 'J' && params === '2') {
        for (const line of grid) line.fill(' ');
      } else if (final === 'K') {
        for (let c = col; c < columns; c++) grid[row]![c] = ' ';
      } else if (final === 'm') {
        // styles: not drawn
      } else {
        throw new Error(`unexpected sequence ${JSON.stringify(all)}`);
      }
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i)!);
    i += char.length;
    assert.ok(char >= ' ', `a control character reached the terminal: ${JSON.stringify(char)}`);
    assert.ok(col < columns, `row ${row + 1} runs past column ${columns}`);
    grid[row]![col] = char;
    col += 1;
  }
  return grid.map((line) => line.join('').trimEnd());
}

const lines = (...texts: string[]): MonitorLine[] => texts.map((text) => ({ text }));

describe('PaneWriter', () => {
  test('the first frame clears the screen and draws every line; rows past the lines stay blank', () => {
    const writes: string[] = [];
    new PaneWriter((text) => writes.push(text)).draw(lines('header', 'vCPU 0', 'keys'), 20, 5, false);
    assert.equal(writes.length, 1);
    assert.ok(writes[0]!.includes('\u001B[2J'), 'cleared');
    assert.ok(writes[0]!.endsWith('\u001B[H'), 'cursor parked top-left');
    assert.ok(writes[0]!.includes('\u001B[?7l'), 'autowrap off: a row the terminal finds wider is cut there, never wrapped');
    assert.deepEqual(screen(writes, 20, 5), ['header', 'vCPU 0', 'keys', '', '']);
  });

  test('a later frame rewrites only the rows that changed, and nothing when nothing did', () => {
    const writes: string[] = [];
    const writer = new PaneWriter((text) => writes.push(text));
    writer.draw(lines('header', 'vCPU 0  12.0', 'vCPU 1   3.0', 'keys'), 30, 4, false);
    writer.draw(lines('header', 'vCPU 0  99.5', 'vCPU 1   3.0', 'keys'), 30, 4, false);
    assert.equal(writes.length, 2);
    assert.equal(writes[1], '\u001B[2;1HvCPU 0  99.5\u001B[K\u001B[H', 'one cursor move and the row');
    writer.draw(lines('header', 'vCPU 0  99.5', 'vCPU 1   3.0', 'keys'), 30, 4, false);
    assert.equal(writes.length, 2, 'an unchanged frame writes nothing');
    // A shorter frame blanks the rows it no longer has.
    writer.draw(lines('header', 'exited'), 30, 4, false);
    assert.deepEqual(screen(writes, 30, 4), ['header', 'exited', '', '']);
  });

  test('a resize redraws the whole screen at the new size', () => {
    const writes: string[] = [];
    const writer = new PaneWriter((text) => writes.push(text));
    writer.draw(lines('a long header line here', 'b'), 30, 3, false);
    writer.draw(lines('a long header line here', 'b'), 12, 2, false);
    assert.ok(writes[1]!.includes('\u001B[2J'));
    assert.deepEqual(screen(writes.slice(1), 12, 2), ['a long head…', 'b']);
    writer.invalidate();
    writer.draw(lines('a long header line here', 'b'), 12, 2, false);
    assert.equal(writes.length, 3, 'invalidate: the next frame is drawn whole');
  });

  test('a row as wide as the terminal is not followed by an erase (it would erase its last cell)', () => {
    const writes: string[] = [];
    new PaneWriter((text) => writes.push(text)).draw(lines('0123456789', '01234'), 10, 2, false);
    assert.ok(writes[0]!.includes('\u001B[1;1H0123456789\u001B[2;1H'), JSON.stringify(writes[0]));
    assert.deepEqual(screen(writes, 10, 2), ['0123456789', '01234']);
  });

  test('lines are cut by cells: wide characters count two and are never split; control characters show as ?', () => {
    assert.equal(cutToWidth('abcdef', 4), 'abc…');
    assert.equal(cutToWidth('abc', 3), 'abc');
    assert.equal(cutToWidth('▁▂▃▄▅▆▇█ …', 5), '▁▂▃▄…', 'block elements take one cell each');
    assert.equal(cutToWidth('a\u00ADb\u0301c', 3), 'a\u00ADb\u0301c', 'a soft hyphen and a combining mark take no cell');
    assert.equal(cutToWidth('仮想マシン', 6), '仮想…');
    assert.equal(cutToWidth('仮想マシン', 10), '仮想マシン');
    assert.equal(cutToWidth('e\u0301e\u0301e\u0301', 2), 'e\u0301…', 'a combining mark stays with its letter');
    const writes: string[] = [];
    new PaneWriter((text) => writes.push(text)).draw(lines('vm\u001B[31m\nname'), 20, 1, false);
    assert.ok(!writes[0]!.includes('\u001B[31m'), 'an escape in a line never reaches the terminal');
    assert.deepEqual(screen(writes, 20, 1), ['vm?[31m?name']);
  });

  test('styles only with colour on: colour, bold and inverse as chalk draws them, plain text without', () => {
    const level = chalk.level;
    chalk.level = 1;
    try {
      const line: MonitorLine[] = [{ text: 'RUNNING', color: 'green', bold: true }, { text: 'keys', inverse: true }];
      const coloured: string[] = [];
      new PaneWriter((text) => coloured.push(text)).draw(line, 10, 2, true);
      assert.ok(coloured[0]!.includes(chalk.green.bold('RUNNING')));
      assert.ok(coloured[0]!.includes(chalk.inverse('keys')));
      const noColour: string[] = [];
      new PaneWriter((text) => noColour.push(text)).draw(line, 10, 2, false);
      assert.ok(!noColour[0]!.includes('\u001B[32m'), 'no colour when the pane is told colour is off');
      // Colour off in the app (--no-color, NO_COLOR, TERM=dumb) also sets chalk's level to 0, as
      // Ink's own text is drawn: then nothing is styled, and the marks are in the words.
      chalk.level = 0;
      const plain: string[] = [];
      new PaneWriter((text) => plain.push(text)).draw(line, 10, 2, false);
      assert.ok(!/\u001B\[[0-9;]*m/.test(plain[0]!), JSON.stringify(plain[0]));
      assert.deepEqual(screen(plain, 10, 2), ['RUNNING', 'keys']);
    } finally {
      chalk.level = level;
    }
  });

  test("Ink's sink swallows what Ink writes and reports the terminal's size and resizes", () => {
    const terminal = Object.assign(new EventEmitter(), { columns: 100, rows: 30, write: () => assert.fail('Ink wrote on the terminal') }) as unknown as NodeJS.WriteStream;
    const sink = inkSink(terminal);
    sink.stream.write('frame');
    assert.equal(sink.stream.columns, 100);
    assert.equal(sink.stream.rows, 30);
    let resized = 0;
    sink.stream.on('resize', () => resized++);
    (terminal as unknown as { columns: number }).columns = 120;
    terminal.emit('resize');
    assert.equal(sink.stream.columns, 120);
    assert.equal(resized, 1);
    sink.dispose();
    terminal.emit('resize');
    assert.equal(resized, 1, 'disposed: no longer follows the terminal');
    // The writer hears of a resize before Ink does, even one back to the same size.
    const order: string[] = [];
    const again = inkSink(terminal, () => order.push('writer'));
    again.stream.on('resize', () => order.push('ink'));
    terminal.emit('resize');
    assert.deepEqual(order, ['writer', 'ink']);
    again.dispose();
  });
});
