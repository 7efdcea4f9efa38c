/**
 * `kvm-tui stop NAME [--force] [--timeout SECONDS]`: ACPI power-down (the guest shuts down
 * cleanly) and wait up to the timeout (default 30 s); exit 1 with the way on when the guest does
 * not power off. --force ends QEMU at once (QMP quit; SIGKILL when QMP does not answer). The
 * runtime directory goes with the VM.
 */
import { allowOnly, maxPositionals } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { isRecordAlive, removeStaleRunDir } from '../registry/registry.js';
import type { VmRecord } from '../registry/vm-record.js';
import { QmpClient } from '../run/qmp-client.js';
import { runDirPaths } from '../shared/vm-paths.js';
import { refuseCapturedRoot, requireVm } from './live.js';

export const DEFAULT_STOP_TIMEOUT_S = 30;

export async function runStop(ctx: CommandContext): Promise<number> {
  // --connect: the same command through libvirt (loaded only then).
  if (ctx.connectUri !== null) {
    if (ctx.capturedRoot) throw new UsageError('stop: --root and --connect name two different hosts; give one');
    return (await import('./libvirt-commands.js')).runLibvirtStop(ctx);
  }
  allowOnly(ctx.args, ['force', 'timeout']);
  maxPositionals(ctx.args, 1, 'one VM name');
  refuseCapturedRoot(ctx, 'stop');
  const name = ctx.args.positionals[0];
  if (name === undefined) throw new UsageError('stop: which VM? kvm-tui stop NAME (kvm-tui status lists them)');
  const timeoutText = ctx.args.values.timeout;
  if (timeoutText !== undefined && (typeof timeoutText !== 'string' || !/^\d+(\.\d+)?$/.test(timeoutText) || Number(timeoutText) > 3600)) {
    throw new UsageError(`stop: --timeout must be a number of seconds from 0 to 3600, got ${JSON.stringify(timeoutText)}`);
  }
  const timeoutMs = (timeoutText === undefined ? DEFAULT_STOP_TIMEOUT_S : Number(timeoutText)) * 1000;
  const { record } = requireVm(ctx, 'stop', name);
  const outcome = await stopVm(ctx, record, { force: ctx.args.values.force === true, timeoutMs });
  const quoted = JSON.stringify(name);
  switch (outcome) {
    case 'stopped':
      ctx.stdout(`VM ${quoted} stopped\n`);
      return 0;
    case 'timeout':
      ctx.stderr(`kvm-tui: stop: VM ${quoted} did not power off within ${timeoutMs / 1000} s (the guest may ignore the ACPI power button)\nhint: kvm-tui stop ${quoted} --force ends it at once\n`);
      return 1;
    case 'paused':
      ctx.stderr(`kvm-tui: stop: VM ${quoted} is paused: a paused guest cannot act on the ACPI power button\nhint: resume it (kvm-tui monitor ${quoted}, key p) and stop again, or kvm-tui stop ${quoted} --force\n`);
      return 1;
    case 'no-qmp':
      ctx.stderr(`kvm-tui: stop: VM ${quoted} does not answer on QMP (${runDirPaths(record.runDir).qmpSocket}), so the power button cannot be pressed\nhint: kvm-tui stop ${quoted} --force ends its process\n`);
      return 1;
    case 'still-running':
      ctx.stderr(`kvm-tui: stop: VM ${quoted} (pid ${record.pid}) is still running after QMP quit, SIGTERM and SIGKILL (a process in uninterruptible sleep, or not ours to signal)\n`);
      return 1;
  }
}

export type StopOutcome = 'stopped' | 'timeout' | 'paused' | 'no-qmp' | 'still-running';

/** Powers the VM down (or ends it with force) and waits; cleans its run dir once it is gone. */
export async function stopVm(ctx: Pick<CommandContext, 'clock' | 'signal' | 'identity' | 'procFs'>, record: VmRecord, options: { force: boolean; timeoutMs: number }): Promise<StopOutcome> {
  const procFs = ctx.procFs;
  const uid = ctx.identity.uid ?? 0;
  const gone = () => !isRecordAlive(record, procFs, uid);
  const waitGone = async (ms: number) => {
    const deadline = ctx.clock.now() + ms;
    while (!gone() && ctx.clock.now() < deadline) await ctx.clock.sleep(50);
    return gone();
  };
  const finish = (): 'stopped' => {
    removeStaleRunDir(record.runDir, uid, procFs);
    return 'stopped';
  };
  const socket = runDirPaths(record.runDir).qmpSocket;
  let client: QmpClient | null = null;
  try {
    client = await QmpClient.connect(socket, { clock: ctx.clock, timeoutMs: 3000, retryMs: 50, commandTimeoutMs: 3000 });
    if (!options.force) {
      const status = await client.execute<{ status: string; running: boolean }>('query-status').catch(() => null);
      if (status && !status.running && (status.status === 'paused' || status.status === 'prelaunch')) return 'paused';
    }
    await client.execute(options.force ? 'quit' : 'system_powerdown').catch(() => undefined);
  } catch {
    if (!options.force) return gone() ? finish() : 'no-qmp';
  } finally {
    client?.close();
  }
  if (await waitGone(options.force ? 3000 : options.timeoutMs)) return finish();
  if (!options.force) return 'timeout';
  // QMP did not end it (or did not answer): signals, checked against the record each time.
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    if (gone()) return finish();
    ctx.signal(record.pid, signal);
    if (await waitGone(3000)) return finish();
  }
  return 'still-running';
}
