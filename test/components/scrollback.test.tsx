/**
 * The user's scrollback survives the full-screen apps: Ink clears the terminal with ESC[3J
 * ("erase saved lines") whenever a frame is as tall as the terminal, and runFullScreen's writer
 * drops it. The same tall frame drawn without the filter does carry it (the test can fail).
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import React from 'react';

// On a terminal kvm-tui drops CI and CONTINUOUS_INTEGRATION before Ink loads (src/bin.ts): with
// either set, Ink takes its output for a build log and draws only the last frame, so it never
// clears anything. This test is about the terminal, so it does the same before importing Ink (a
// CI job sets CI=true).
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
const { Box, render, Text } = await import('ink');
const { CLEAR_SCROLLBACK, keepScrollback } = await import('../../components/terminal/full-screen.js');

class FakeTty extends EventEmitter {
  columns = 40;
  rows = 5;
  isTTY = true;
  out = '';
  write(chunk: string | Uint8Array): boolean {
    this.out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  setRawMode(): void {}
  setEncoding(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  read(): null {
    return null;
  }
}

function Tall({ n }: { n: number }) {
  return (
    <Box flexDirection="column">
      {Array.from({ length: 8 }, (_, i) => (
        <Text key={i}>line {i} of frame {n}</Text>
      ))}
    </Box>
  );
}

async function draw(filter: boolean): Promise<string> {
  const stdout = new FakeTty();
  const restore = filter ? keepScrollback(stdout as unknown as NodeJS.WriteStream) : () => undefined;
  const instance = render(<Tall n={1} />, { stdout: stdout as unknown as NodeJS.WriteStream, stdin: new FakeStdin() as unknown as NodeJS.ReadStream, exitOnCtrlC: false, patchConsole: false });
  instance.rerender(<Tall n={2} />);
  await new Promise((resolve) => setTimeout(resolve, 50));
  instance.unmount();
  restore();
  return stdout.out;
}

test('a frame taller than the terminal: Ink erases the scrollback unless the writer drops ESC[3J', async () => {
  const raw = await draw(false);
  assert.ok(raw.includes(CLEAR_SCROLLBACK), 'Ink sends ESC[3J for a full-height frame (else this test proves nothing)');
  const kept = await draw(true);
  assert.ok(!kept.includes(CLEAR_SCROLLBACK), 'no ESC[3J reaches the terminal');
  assert.match(kept, /line 7 of frame 2/, 'the frame is still drawn');
});

test('keepScrollback puts the stream\'s own write back', () => {
  const stdout = new FakeTty();
  const own = stdout.write;
  const restore = keepScrollback(stdout as unknown as NodeJS.WriteStream);
  assert.notEqual(stdout.write, own);
  stdout.write(`a${CLEAR_SCROLLBACK}b`);
  assert.equal(stdout.out, 'ab');
  restore();
  assert.equal(stdout.write, own);
});
