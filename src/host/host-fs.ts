/**
 * The one door to host state: every read of sysfs, procfs or /dev goes through a HostFs, whose
 * root is "/" on a live host or a captured tree (`--root DIR`) in tests and bug reports.
 *
 * Reads never throw for a missing or unreadable file: they return null (the caller turns that
 * into an "unknown" with a reason via `why`). Every path asked for is recorded, so `dump-host`
 * can copy exactly what the probes read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class HostFs {
  readonly root: string;
  /** Host paths (absolute, as on the host) that a probe tried to read, in first-read order. */
  readonly touched = new Set<string>();
  private readonly lastError = new Map<string, string>();

  constructor(root = '/') {
    this.root = path.resolve(root);
  }

  /** The real path of a host path under this root. */
  resolve(hostPath: string): string {
    if (!hostPath.startsWith('/')) throw new Error(`host path must be absolute: ${hostPath}`);
    return this.root === '/' ? hostPath : path.join(this.root, hostPath);
  }

  /** Whole file as text, or null when missing/unreadable (see `why`). */
  read(hostPath: string): string | null {
    this.touched.add(hostPath);
    try {
      return fs.readFileSync(this.resolve(hostPath), 'utf8');
    } catch (error) {
      this.lastError.set(hostPath, describeFsError(error));
      return null;
    }
  }

  /** First line, trimmed; null when missing or unreadable. */
  readLine(hostPath: string): string | null {
    const text = this.read(hostPath);
    if (text === null) return null;
    const newline = text.indexOf('\n');
    // Some captures (and some kernels' buffers) carry trailing NULs: they are not content.
    return (newline === -1 ? text : text.slice(0, newline)).replace(/\0+/g, '').trim();
  }

  /** Integer content (decimal), or null when missing, unreadable or not a number. */
  readInt(hostPath: string): number | null {
    const line = this.readLine(hostPath);
    if (line === null || !/^-?\d+$/.test(line)) return null;
    return Number.parseInt(line, 10);
  }

  /** Why the last read of this path failed ("missing", "permission denied", ...). */
  why(hostPath: string): string {
    return this.lastError.get(hostPath) ?? 'unreadable';
  }

  /** Directory entries sorted naturally (cpu2 before cpu10); [] when missing. */
  list(hostPath: string): string[] {
    this.touched.add(hostPath + '/');
    try {
      return fs.readdirSync(this.resolve(hostPath)).sort(naturalCompare);
    } catch (error) {
      this.lastError.set(hostPath, describeFsError(error));
      return [];
    }
  }

  exists(hostPath: string): boolean {
    this.touched.add(hostPath);
    return fs.existsSync(this.resolve(hostPath));
  }

  /** stat without following the final symlink's absence into a throw. */
  stat(hostPath: string): fs.Stats | null {
    this.touched.add(hostPath);
    try {
      return fs.statSync(this.resolve(hostPath));
    } catch (error) {
      this.lastError.set(hostPath, describeFsError(error));
      return null;
    }
  }

  /** Whether this process may open the path with the given mode (fs.constants.R_OK|W_OK...). */
  canAccess(hostPath: string, mode: number): boolean {
    this.touched.add(hostPath);
    try {
      fs.accessSync(this.resolve(hostPath), mode);
      return true;
    } catch {
      return false;
    }
  }

  readLink(hostPath: string): string | null {
    this.touched.add(hostPath);
    try {
      return fs.readlinkSync(this.resolve(hostPath));
    } catch (error) {
      this.lastError.set(hostPath, describeFsError(error));
      return null;
    }
  }
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'missing';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EINVAL':
      return 'not readable (EINVAL)';
    default:
      return code ? code : String(error);
  }
}

/** "cpu2" < "cpu10", "node1" < "node33". */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * A root given with --root must look like a host: it needs sys/devices/system/cpu.
 * Returns an error message (one line) or null.
 */
export function checkHostRoot(root: string): string | null {
  const resolved = path.resolve(root);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch (error) {
    return `--root ${root}: ${describeFsError(error)}`;
  }
  if (!stat.isDirectory()) return `--root ${root}: not a directory`;
  if (!fs.existsSync(path.join(resolved, 'sys/devices/system/cpu'))) {
    return `--root ${root}: no sys/devices/system/cpu under it (not a host root or a capture made by dump-host)`;
  }
  return null;
}
