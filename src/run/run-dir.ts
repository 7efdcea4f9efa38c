/**
 * Creates and checks a VM's runtime directory (the paths themselves: src/shared/vm-paths.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError } from '../errors.js';
import { assertSocketPathFits, runDirPaths, type RunDirPaths } from '../shared/vm-paths.js';

/**
 * Creates the run dir (private: the QMP socket inside is full control of the VM). The dir and
 * its two parents (vms/ and kvm-tui*) must be real directories owned by us (or root): in the
 * /tmp fallback another user could otherwise pre-create them, or plant a symlink, and own or
 * redirect our sockets.
 */
export function ensureRunDir(dir: string, uid: number): RunDirPaths {
  const paths = runDirPaths(dir);
  // The longest socket name decides.
  assertSocketPathFits(paths.monitorSocket);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new ActionError(`cannot create run dir ${dir}: ${(error as Error).message}`, 'check the permissions of its parent directory');
  }
  for (const checked of [dir, path.dirname(dir), path.dirname(path.dirname(dir))]) {
    const stat = fs.lstatSync(checked);
    if (stat.isSymbolicLink() || !stat.isDirectory()) {
      throw new ActionError(`run dir path ${checked} is a symlink or not a directory`, 'remove it; kvm-tui recreates its run dirs');
    }
    if (stat.uid !== uid && stat.uid !== 0) {
      throw new ActionError(`run dir path ${checked} belongs to uid ${stat.uid}, not to you`, 'remove it, or set XDG_RUNTIME_DIR to a directory of your own');
    }
  }
  fs.chmodSync(dir, 0o700);
  return paths;
}
