/**
 * How a check's status is shown, everywhere it is shown (the text audit, the Audit screen): a
 * word first, so the status reads without colour (--no-color, TERM=dumb, a log), then the colour
 * as an Ink name and as the ANSI SGR code for printed text.
 */
import type { CheckStatus } from './types.js';

export interface StatusBadge {
  label: string;
  color: 'green' | 'yellow' | 'red' | 'cyan' | 'gray';
  sgr: string;
}

export const STATUS_BADGE: Record<CheckStatus, StatusBadge> = {
  pass: { label: 'PASS', color: 'green', sgr: '32' },
  warn: { label: 'WARN', color: 'yellow', sgr: '33' },
  fail: { label: 'FAIL', color: 'red', sgr: '31' },
  info: { label: 'INFO', color: 'cyan', sgr: '36' },
  skip: { label: 'SKIP', color: 'gray', sgr: '90' },
};
