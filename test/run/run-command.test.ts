/** The real process runner: argument arrays, results as data, and timeouts that end the whole process group. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runCommand } from '../../src/run/run-command.js';
import { scratchDir } from '../helpers/fixture-root.js';

describe('runCommand', () => {
  it('passes hostile words as single arguments (no shell)', async () => {
    const word = '$(touch /tmp/kvm-tui-pwned); `id` "a b"';
    const result = await runCommand(['printf', '%s', word]);
    assert.equal(result.ok, true);
    assert.equal(result.stdout, word);
  });

  it('reports exit status, missing programs and timeouts as data', async () => {
    assert.match((await runCommand(['sh', '-c', 'echo oops >&2; exit 3'])).error ?? '', /^exit status 3: oops$/);
    assert.match((await runCommand(['kvm-tui-no-such-program'])).error ?? '', /not found/);
    const slow = await runCommand(['sleep', '5'], { timeoutMs: 200 });
    assert.equal(slow.timedOut, true);
    assert.match(slow.error ?? '', /timed out after 200 ms/);
  });

  it('a command that ignores SIGTERM and leaves children holding its output ends at the timeout, children too', async () => {
    const dir = scratchDir('run-command');
    const pidFile = path.join(dir, 'child.pid');
    // The wrapper ignores TERM; its child (holding stdout) would outlive it for a minute.
    const script = `trap '' TERM; sleep 60 & echo $! > ${JSON.stringify(pidFile)}; wait`;
    const started = Date.now();
    const result = await runCommand(['sh', '-c', script], { timeoutMs: 300 });
    const took = Date.now() - started;
    assert.equal(result.timedOut, true);
    assert.ok(took < 3000, `returned after ${took} ms`);
    const child = Number(fs.readFileSync(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    let childAlive = true;
    try {
      process.kill(child, 0);
      const state = fs.readFileSync(`/proc/${child}/stat`, 'utf8');
      childAlive = !/\) [ZX] /.test(state);
    } catch {
      childAlive = false;
    }
    assert.equal(childAlive, false, 'the child was killed with its group');
  });
});
