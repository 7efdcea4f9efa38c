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
import { readTopology, TopologyError } from '../host/topology.js';
import { collectProbeReads } from '../audit/probe-all.js';

export async function runDumpHost(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, []);
  const [dir, extra] = ctx.args.positionals;
  if (!dir) throw new UsageError('dump-host: missing DIR (where to write the capture)');
  if (extra !== undefined) throw new UsageError(`dump-host: unexpected argument "${extra}"`);
  let target = path.resolve(dir);
  // DIR may be a symlink to the (empty) folder to fill: write into the folder it names, so the
  // rename of the finished capture replaces that folder, not the link.
  try {
    if (fs.lstatSync(target).isSymbolicLink()) target = fs.realpathSync(target);
  } catch {
    // absent or a dangling link: checkTarget names the problem
  }
  checkTarget(dir, target);
  const recorder = new HostFs(ctx.hostFs.root);
  try {
    readTopology(recorder);
  } catch (error) {
    if (error instanceof TopologyError) throw new UsageError(`dump-host: ${error.message}`);
    throw error;
  }
  await collectProbeReads(recorder, ctx.clock);

  const parent = path.dirname(target);
  let staging: string | null = null;
  let files = 0;
  try {
    makeDirs(parent);
    // A fresh directory of a random name, made exclusively (mkdtemp): nothing planted at a
    // predictable name beside DIR (a shared /tmp) is ever removed, followed or written into.
    // Its mode (0700) stays with the capture: host files are its maker's to share.
    staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.dump-`));
    for (const hostPath of [...recorder.touched].sort()) {
      const isDir = hostPath.endsWith('/');
      const clean = isDir ? hostPath.slice(0, -1) : hostPath;
      // A path from host text (a mount point in /proc/mounts) may hold ".." or be odd: only
      // plain absolute paths are copied, and only to inside the staging dir.
      if (clean === '' || path.posix.normalize(clean) !== clean || clean.split('/').includes('..')) continue;
      const source = recorder.resolve(clean);
      const destination = path.join(staging, clean);
      if (path.relative(staging, destination).startsWith('..')) continue;
      // Through the recorder: under a captured root nothing outside it is stat'ed or read.
      const stat = recorder.stat(clean);
      if (stat === null) continue; // a path the probes asked for but the host lacks: its absence is the fact
      if (stat.isDirectory()) {
        fs.mkdirSync(destination, { recursive: true });
        // A listed directory's subdirectories are facts too: an offline cpuN with nothing read
        // inside still counts as a CPU the host has. Files in it are copied only if read.
        // Not under /proc: a listing there is of processes, whose dirs matter only if read.
        if (isDir && !clean.startsWith('/proc')) copySubdirectories(source, destination);
        continue;
      }
      if (!stat.isFile() && !stat.isCharacterDevice()) continue;
      fs.mkdirSync(path.dirname(destination), { recursive: true });
      if (stat.isCharacterDevice()) {
        // Device nodes cannot be copied as data; an empty marker file records that it exists.
        fs.writeFileSync(destination, '');
      } else {
        // Bounded and non-blocking, as the probes read it; unreadable (permission, too large):
        // left out, as the probe saw no content either.
        const content = recorder.readBytes(clean);
        if (content === null) continue;
        fs.writeFileSync(destination, content);
      }
      files++;
    }
    if (fs.existsSync(target)) fs.rmdirSync(target);
    fs.renameSync(staging, target);
  } catch (error) {
    if (staging !== null) fs.rmSync(staging, { recursive: true, force: true });
    throw new ActionError(`dump-host: could not write ${dir}: ${(error as Error).message}`);
  }
  ctx.stdout(`wrote ${files} files to ${target}\nreplay with: kvm-tui --root ${JSON.stringify(target)} topology\n`);
  return 0;
}

/** DIR must be absent or an empty directory: a capture never mixes with other files. */
function checkTarget(dir: string, target: string): void {
  let stat: fs.Stats | null = null;
  try {
    stat = fs.statSync(target);
  } catch {
    // absent: it will be created
  }
  if (stat && !stat.isDirectory()) throw new UsageError(`dump-host: ${dir} exists and is not a directory`);
  if (stat && fs.readdirSync(target).length > 0) throw new UsageError(`dump-host: ${dir} exists and is not empty`);
}

/**
 * mkdir -p without Node's recursive mkdir, which on Node 20 spins forever on paths under /proc
 * (mkdir there fails with ENOENT even though the parent exists). One level at a time, so the
 * first level that cannot be made throws.
 */
function makeDirs(dir: string): void {
  if (fs.existsSync(dir)) return;
  const parent = path.dirname(dir);
  if (parent !== dir) makeDirs(parent);
  fs.mkdirSync(dir);
}

function copySubdirectories(source: string, destination: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(source, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    // sysfs links (cpu0/node0 -> ../../node/node0, cpu0/subsystem) are not copied: following
    // them would pull in unrelated trees, and no probe lists through them.
    if (entry.isDirectory()) fs.mkdirSync(path.join(destination, entry.name), { recursive: true });
  }
}
