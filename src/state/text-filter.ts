/**
 * The `/` filter of the wizard's lists (audit rows, presets), as pure functions: what matches,
 * and how a key edits the filter while it is typed. Every word typed must appear (any case) in
 * one of a row's fields, so "huge 1g" finds the 1G huge page rows whatever their order.
 */
import type { KeyPress } from './keys.js';

/** Whether every word of `filter` appears in one of `fields` (ignoring case); an empty filter matches all. */
export function matchesFilter(filter: string, fields: ReadonlyArray<string | null | undefined>): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = fields.filter((field): field is string => typeof field === 'string').map((field) => field.toLowerCase());
  return words.every((word) => haystack.some((field) => field.includes(word)));
}

/**
 * A key typed into the filter: printable characters add, Backspace deletes, Ctrl-U clears;
 * Enter keeps the filter and goes back to the list (`done: 'keep'`), Esc drops it (`'clear'`).
 * Null for keys that do nothing here (arrows, Tab).
 */
export function editFilter(text: string, key: KeyPress): { text: string; done?: 'keep' | 'clear' } | null {
  if (key.escape) return { text: '', done: 'clear' };
  if (key.return) return { text, done: 'keep' };
  if (key.backspace || key.delete) return { text: text.slice(0, -1) };
  if (key.ctrl && key.input === 'u') return { text: '' };
  if (key.ctrl || key.meta || key.tab) return null;
  // Pasted text arrives as one chunk; control characters never enter the filter.
  const printable = key.input.replace(/[\u0000-\u001f\u007f]/g, '');
  return printable ? { text: (text + printable).slice(0, 60) } : null;
}
