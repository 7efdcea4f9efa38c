/**
 * Golden files: `expectGolden(file, text)` compares text with the committed golden. A missing
 * golden is written for review (and the test still fails, so CI never passes on an unreviewed
 * file); UPDATE_GOLDEN=1 rewrites every golden for a reviewed change. `staleGoldens` finds
 * goldens with no case behind them any more (and removes them under UPDATE_GOLDEN=1).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

export function expectGolden(goldenPath: string, text: string): void {
  const name = path.basename(goldenPath);
  if (UPDATE_GOLDEN) {
    fs.mkdirSync(path.dirname(goldenPath), { recursive: true });
    fs.writeFileSync(goldenPath, text);
    return;
  }
  if (!fs.existsSync(goldenPath)) {
    fs.mkdirSync(path.dirname(goldenPath), { recursive: true });
    fs.writeFileSync(goldenPath, text);
    assert.fail(`${goldenPath} was missing: written now from this run; review it (git diff) and commit it`);
  }
  assert.equal(text, fs.readFileSync(goldenPath, 'utf8'), `${name} changed: if intended, rerun with UPDATE_GOLDEN=1 and review the diff`);
}

/** Goldens in `dir` ending in `extension` that no case produced; removed under UPDATE_GOLDEN=1. */
export function staleGoldens(dir: string, extension: string, expected: ReadonlySet<string>): string[] {
  const present = fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith(extension)) : [];
  const stale = present.filter((name) => !expected.has(name));
  if (UPDATE_GOLDEN) for (const name of stale) fs.rmSync(path.join(dir, name));
  return UPDATE_GOLDEN ? [] : stale;
}
