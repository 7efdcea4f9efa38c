/**
 * The one way kvm-tui writes a file the user asked for (generate --out, the fix script, caches,
 * a VM's runtime files): readers see the old content or the new, never a torn one, and nothing
 * but a regular file is ever replaced.
 *
 * - The data goes to a temp file in the same directory (rename is atomic only within one
 *   filesystem), created exclusively with a random name (never following a planted symlink),
 *   fsynced, then moved into place and the directory fsynced.
 * - A target that exists and is not a regular file (a device such as /dev/null, a FIFO, a
 *   directory, a socket, a symlink) is refused: renaming over it would replace the node itself.
 * - Without `overwrite`, an existing target is refused, atomically: the temp file is hard-linked
 *   to the target name, which fails if anything appeared there meanwhile.
 * - A new file gets `mode` less the umask, as any program's would; a replaced file keeps its own
 *   mode (a 0600 file stays 0600) and, for root, its owner.
 * The temp file is removed whenever anything fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError } from '../errors.js';

export interface WriteFileOptions {
  /** Permission bits of a new file, before the umask (default 0644). */
  mode?: number;
  /** Replace an existing regular file (default false: refuse with WriteTargetError "exists"). */
  overwrite?: boolean;
  /** Effective uid; 0 keeps a replaced file's owner. */
  uid?: number | null;
}

export type WriteRefusal = 'exists' | 'not-regular';

/** The target was refused before anything was written (the caller may turn it into a usage error). */
export class WriteTargetError extends ActionError {
  constructor(
    readonly target: string,
    readonly refusal: WriteRefusal,
    detail: string,
  ) {
    super(
      refusal === 'exists' ? `${target} already exists` : `${target} is ${detail}, not a regular file: kvm-tui replaces only regular files`,
      refusal === 'exists' ? 'confirm to overwrite it (--force), or choose another path' : 'choose a regular file path',
    );
  }
}

/** Writes `data` to `target` atomically; returns the absolute path written. */
export function writeFileAtomic(target: string, data: string | Uint8Array, options: WriteFileOptions = {}): string {
  const absolute = path.resolve(target);
  const dir = path.dirname(absolute);
  const existing = lstatOrNull(absolute);
  if (existing) assertReplaceable(absolute, existing, options.overwrite === true);

  // The global Web Crypto loads node:crypto only here, when a file is written (an import of it is
  // 3-8 ms of every start that might write: `generate`, `plan` with its CPU-model cache).
  const temp = path.join(dir, `.${path.basename(absolute)}.${Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(6))).toString('hex')}.tmp`);
  let fd: number | null = null;
  let created = false;
  try {
    fd = fs.openSync(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, options.mode ?? 0o644);
    created = true;
    if (existing) {
      fs.fchmodSync(fd, existing.mode & 0o7777);
      if (options.uid === 0) fs.fchownSync(fd, existing.uid, existing.gid);
    }
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    if (options.overwrite === true) {
      // Checked again just before: something may have been put there since the first look.
      const now = lstatOrNull(absolute);
      if (now) assertReplaceable(absolute, now, true);
      fs.renameSync(temp, absolute);
    } else {
      linkNoClobber(temp, absolute);
    }
    created = false;
    fsyncDir(dir);
    return absolute;
  } catch (error) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    if (created) fs.rmSync(temp, { force: true });
    if (error instanceof WriteTargetError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && !options.overwrite) throw new WriteTargetError(absolute, 'exists', '');
    throw new ActionError(
      `cannot write ${absolute}: ${(error as Error).message}`,
      code === 'ENOENT' ? `create the directory ${dir} first` : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? `check write permission on ${dir}` : undefined,
    );
  }
}

function assertReplaceable(target: string, stat: fs.Stats, overwrite: boolean): void {
  if (!stat.isFile()) throw new WriteTargetError(target, 'not-regular', describeNode(stat));
  if (!overwrite) throw new WriteTargetError(target, 'exists', '');
}

function describeNode(stat: fs.Stats): string {
  if (stat.isSymbolicLink()) return 'a symlink';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

/** Puts temp at target only if nothing is there (link(2) fails with EEXIST), then drops temp. */
function linkNoClobber(temp: string, target: string): void {
  try {
    fs.linkSync(temp, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Filesystems without hard links (vfat, some FUSE): fall back to a checked rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw error;
    if (lstatOrNull(target)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    fs.renameSync(temp, target);
    return;
  }
  fs.rmSync(temp, { force: true });
}

function lstatOrNull(file: string): fs.Stats | null {
  try {
    return fs.lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ActionError(`cannot write ${file}: ${(error as Error).message}`);
  }
}

/** Makes the rename itself durable; best effort (some filesystems refuse fsync on a directory). */
function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    fs.fsyncSync(fd);
  } catch {
    // the data is written and renamed; only its durability across a crash is weaker
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
