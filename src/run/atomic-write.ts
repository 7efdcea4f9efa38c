/**
 * Writes a file so readers see either the old content or the new, never a torn one: a temp file
 * in the same directory (rename is only atomic within one filesystem), fsync, then rename over
 * the target. The temp file is removed when anything fails.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError } from '../errors.js';

export function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o644): void {
  const dir = path.dirname(path.resolve(target));
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    // "wx": never follow or reuse something already at the temp name.
    fd = fs.openSync(temp, 'wx', mode);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    // openSync's mode is filtered by the umask; the caller asked for this mode exactly.
    fs.chmodSync(temp, mode);
    fs.renameSync(temp, target);
  } catch (error) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    fs.rmSync(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw new ActionError(
      `cannot write ${target}: ${(error as Error).message}`,
      code === 'ENOENT' ? `create the directory ${dir} first` : code === 'EACCES' || code === 'EPERM' ? `check write permission on ${dir}` : undefined,
    );
  }
}
