/**
 * `kvm-tui stop NAME [--force] [--timeout SECONDS]`: ACPI power-down (the guest shuts down
 * cleanly) and wait up to the timeout (default 30 s); exit 1 with the way on when the guest does
 * not power off. --force ends QEMU at once (QMP quit; SIGKILL when QMP does not answer). The
 * runtime directory goes with the VM.
 */
import { allowOnly, maxPositionals } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { HostFs } from '../host/host-fs.js';
import { isRecordAlive, removeStaleRunDir } from '../registry/registry.js';
import type { VmRecord } from '../registry/vm-record.js';
import { QmpClient } from '../run/qmp-client.js';
import { runDirPaths } from '../shared/vm-paths.js';
import { refuseCapturedRoot, requireVm } from './live.js';

export const DEFAULT_STOP_TIMEOUT_S = 30;

export async function runStop(ctx: CommandContext): Promise<number> {
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
  if (outcome === 'stopped') {
    ctx.stdout(`VM ${JSON.stringify(name)} stopped\n`);
    return 0;
  }
  ctx.stderr(`kvm-tui: stop: VM ${JSON.stringify(name)} did not power off within ${timeoutMs / 1000} s (the guest may ignore the ACPI power button)\nhint: kvm-tui stop ${JSON.stringify(name)} --force ends it at once\n`);
  return 1;
}

/** Powers the VM down (or ends it with force) and waits; cleans its run dir once it is gone. */
export async function stopVm(ctx: Pick<CommandContext, 'clock' | 'signal' | 'identity'>, record: VmRecord, options: { force: boolean; timeoutMs: number }): Promise<'stopped' | 'still-running'> {
  const procFs = new HostFs('/', { record: false });
  const gone = () => !isRecordAlive(record, procFs);
  const waitGone = async (ms: number) => {
    const deadline = ctx.clock.now() + ms;
    while (!gone() && ctx.clock.now() < deadline) await ctx.clock.sleep(50);
    return gone();
  };
  const socket = runDirPaths(record.runDir).qmpSocket;
  let client: QmpClient | null = null;
  try {
    client = await QmpClient.connect(socket, { clock: ctx.clock, timeoutMs: 3000, retryMs: 50, commandTimeoutMs: 3000 });
    await client.execute(options.force ? 'quit' : 'system_powerdown').catch(() => undefined);
  } catch {
    // QMP unreachable: only force can end it now.
    if (!options.force) {
      client?.close();
      return gone() ? finish(record, ctx) : 'still-running';
    }
  } finally {
    client?.close();
  }
  if (await waitGone(options.force ? 3000 : options.timeoutMs)) return finish(record, ctx);
  if (!options.force) return 'still-running';
  ctx.signal(record.pid, 'SIGKILL');
  return (await waitGone(3000)) ? finish(record, ctx) : 'still-running';
}

function finish(record: VmRecord, ctx: Pick<CommandContext, 'identity'>): 'stopped' {
  removeStaleRunDir(record.runDir, ctx.identity.uid ?? 0);
  return 'stopped';
}
