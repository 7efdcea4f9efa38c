/**
 * A fake process runner (RunCommand): answers each call with the next scripted reply and records
 * the calls, so a test proves the argv, options and handling of every result without a process.
 */
import type { CommandResult, RunCommand, RunOptions } from '../../src/run/run-command.js';

export interface Call {
  argv: readonly string[];
  options: RunOptions | undefined;
}

export function ok(stdout = ''): CommandResult {
  return { ok: true, stdout, stderr: '', exitCode: 0, timedOut: false, error: null };
}

export function failed(stderr: string, exitCode: number | null = 1, error: string | null = `exit status ${exitCode}`): CommandResult {
  return { ok: false, stdout: '', stderr, exitCode, timedOut: false, error };
}

export function fakeRunner(replies: Array<CommandResult | ((call: Call) => CommandResult)>): { run: RunCommand; calls: Call[] } {
  const calls: Call[] = [];
  const run: RunCommand = async (argv, options) => {
    const call = { argv, options };
    calls.push(call);
    const reply = replies.shift();
    if (!reply) throw new Error(`unexpected call ${argv.join(' ')}`);
    return typeof reply === 'function' ? reply(call) : reply;
  };
  return { run, calls };
}
