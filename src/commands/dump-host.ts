/**
 * dump-host DIR: runs every file probe against the live host (or --root), recording each path
 * read, then copies those files into DIR so the capture replays with --root DIR. The copy goes
 * to a temporary sibling directory first and is renamed into place, so a failure leaves nothing
 * half-written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allowOnly } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { ActionError, UsageError } from '../errors.js';
import { HostFs } from '../host/host-fs.js';
import { readTopology } from '../host/topology.js';
import { collectProbeReads } from '../host/probe-all.js';

export async function runDumpHost(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, []);
  const [dir, extra] = ctx.args.positionals;
  if (!dir) throw new UsageError('dump-host: missing DIR (where to write the capture)');
  if (extra !== undefined) throw new UsageError(`dump-host: unexpected argument "${extra}"`);
  const target = path.resolve(dir);
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0) {
    throw new UsageError(`dump-host: ${dir} exists and is not empty`);
  }
  const recorder = new HostFs(ctx.hostFs.root);
  readTopology(recorder);
  await collectProbeReads(recorder);

  const staging = path.join(path.dirname(target), `.${path.basename(target)}.dump-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  let files = 0;
  try {
    for (const hostPath of [...recorder.touched].sort()) {
      const isDir = hostPath.endsWith('/');
      const clean = isDir ? hostPath.slice(0, -1) : hostPath;
      const source = recorder.resolve(clean);
      const destination = path.join(staging, clean);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(source);
      } catch {
        continue; // a path the probes asked for but the host lacks: its absence is the fact
      }
      if (stat.isDirectory()) {
        fs.mkdirSync(destination, { recursive: true });
        continue;
      }
      if (!stat.isFile() && !stat.isCharacterDevice()) continue;
      fs.mkdirSync(path.dirname(destination), { recursive: true });
      if (stat.isCharacterDevice()) {
        // Device nodes cannot be copied as data; an empty marker file records that it exists.
        fs.writeFileSync(destination, '');
      } else {
        let content: Buffer;
        try {
          content = fs.readFileSync(source);
        } catch {
          continue; // unreadable (permission): leave it out, as the probe saw no content either
        }
        fs.writeFileSync(destination, content);
      }
      files++;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (fs.existsSync(target)) fs.rmdirSync(target);
    fs.renameSync(staging, target);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new ActionError(`dump-host: could not write ${dir}: ${(error as Error).message}`);
  }
  ctx.stdout(`wrote ${files} files to ${target}\nreplay with: kvm-tui --root ${JSON.stringify(target)} topology\n`);
  return 0;
}
