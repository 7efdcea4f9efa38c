/** Helpers for ink-testing-library tests: plain frames, waiting for content, typing keys. */

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;?]*[ -/]*[@-~]/g;

/** A frame without colours. */
export const plain = (frame: string | undefined): string => (frame ?? '').replace(ANSI, '');

export const KEY = { down: '\u001B[B', up: '\u001B[A', enter: '\r', escape: '\u001B' };

/** Waits for content instead of sleeping; fails naming what never came. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Sends keys one at a time, letting Ink process each (keys sent together parse as one). */
export async function press(stdin: { write: (data: string) => void }, ...keys: string[]): Promise<void> {
  for (const key of keys) {
    stdin.write(key);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
