/**
 * The one door to host state: every read of sysfs, procfs or /dev goes through a HostFs, whose
 * root is "/" on a live host or a captured tree (`--root DIR`) in tests and bug reports.
 *
 * Reads never throw for a missing or unreadable file: they return null (the caller turns that
 * into an "unknown" with a reason via `why`). By default every path asked for is recorded, so
 * `dump-host` can copy exactly what the probes read; a long-running reader (the 1 Hz sampler)
 * passes `record: false` so nothing grows with time.
 *
 * A captured root is a boundary: a path that resolves outside it (`..` in a captured
 * /proc/mounts, an absolute symlink inside the capture) reads as missing, never as the real
 * host's file. A read takes only regular files (a FIFO or a device in a capture would hang it or
 * never end), opened non-blocking, and at most MAX_READ_BYTES of them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** More than any real sysfs/procfs file kvm-tui reads (a 512-thread /proc/cpuinfo is ~1 MiB). */
export const MAX_READ_BYTES = 16 * 1024 * 1024;

export interface HostFsOptions {
  /** Record every path asked for in `touched` (default true; false for long-running readers). */
  record?: boolean;
  /**
   * On a live root, keep up to this many of the sampler's /proc counter files (KERNEL_TEXT_RE)
   * open between reads and read them again from offset 0 (default 0: open and close each time).
   * See KeptDescriptors; `endPass` and `closeKept` release them.
   */
  keepOpen?: number;
}

class HostReadError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Opened, but not a regular file (a FIFO, a device, a directory): never read. */
class NotRegularFile extends HostReadError {
  constructor(readonly stat: fs.Stats) {
    super(stat.isDirectory() ? 'is a directory' : 'not a regular file');
  }
}

export class HostFs {
  readonly root: string;
  /** Host paths (absolute, as on the host) that a probe tried to read, in first-read order. */
  readonly touched = new Set<string>();
  private readonly lastError = new Map<string, string>();
  private readonly record: boolean;
  private realRoot: string | null = null;
  /** Real paths of the directories of a captured root resolved so far (see realPath). */
  private readonly realDirs = new Map<string, string>();

  private readonly kept: KeptDescriptors | null;

  constructor(root = '/', options: HostFsOptions = {}) {
    this.root = path.resolve(root);
    this.record = options.record ?? true;
    this.kept = this.root === '/' && (options.keepOpen ?? 0) > 0 ? new KeptDescriptors(options.keepOpen!) : null;
  }

  /**
   * A reader of the same root for a long-running sampler: unrecorded, and on a live root keeping
   * up to `max` counter files open between reads (its owner calls `endPass` after each pass and
   * `closeKept` when done). Under a captured root, a plain unrecorded HostFs.
   */
  keptOpen(max = defaultKeptOpen()): HostFs {
    return new HostFs(this.root, { record: false, keepOpen: max });
  }

  /** After a pass of reads: closes the kept files that this pass did not read (threads that ended). */
  endPass(): void {
    this.kept?.endPass();
  }

  /** Closes every kept file (the sampler stopped). The next read opens afresh. */
  closeKept(): void {
    this.kept?.closeAll();
  }

  /** How many files are kept open now (tests). */
  get keptCount(): number {
    return this.kept?.size ?? 0;
  }

  /** The real path of a host path under this root (not yet checked against the boundary). */
  resolve(hostPath: string): string {
    if (!hostPath.startsWith('/')) throw new Error(`host path must be absolute: ${hostPath}`);
    return this.root === '/' ? hostPath : path.join(this.root, hostPath);
  }

  /** Whole file as text, or null when missing/unreadable (see `why`). */
  read(hostPath: string): string | null {
    if (this.root === '/' && KERNEL_TEXT_RE.test(hostPath)) {
      this.note(hostPath);
      try {
        return this.kept ? this.kept.read(hostPath) : readKernelText(hostPath);
      } catch (error) {
        this.fail(hostPath, error);
        return null;
      }
    }
    return this.readBytes(hostPath)?.toString('utf8') ?? null;
  }

  /** Whole file as bytes (regular files only, bounded), or null when missing/unreadable. */
  readBytes(hostPath: string): Buffer | null {
    this.note(hostPath);
    try {
      if (this.root === '/') return readBounded(this.resolve(hostPath));
      // Under a captured root: the file in its directory's real path (checked inside the root),
      // opened without following a symlink there, so the common case costs one open and no
      // lstat; a symlink (ELOOP) is resolved whole and checked, as for any other read.
      const resolved = this.resolve(hostPath);
      // The root itself ("/" under it): the whole check below, which says what it is.
      const leaf = path.resolve(resolved) === this.root ? null : this.leafInside(resolved);
      if (leaf !== null) {
        try {
          return readBounded(leaf, MAX_READ_BYTES, true);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw error;
        }
      }
      return readBounded(this.confined(hostPath));
    } catch (error) {
      this.fail(hostPath, error);
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
    this.note(hostPath + '/');
    try {
      return fs.readdirSync(this.confined(hostPath)).sort(naturalCompare);
    } catch (error) {
      this.fail(hostPath, error);
      return [];
    }
  }

  exists(hostPath: string): boolean {
    this.note(hostPath);
    try {
      return fs.existsSync(this.confined(hostPath));
    } catch {
      return false;
    }
  }

  /** stat without following the final symlink's absence into a throw. */
  stat(hostPath: string): fs.Stats | null {
    this.note(hostPath);
    try {
      return fs.statSync(this.confined(hostPath));
    } catch (error) {
      this.fail(hostPath, error);
      return null;
    }
  }

  /** Whether this process may open the path with the given mode (fs.constants.R_OK|W_OK...). */
  canAccess(hostPath: string, mode: number): boolean {
    this.note(hostPath);
    try {
      fs.accessSync(this.confined(hostPath), mode);
      return true;
    } catch {
      return false;
    }
  }

  readLink(hostPath: string): string | null {
    this.note(hostPath);
    try {
      // The link itself is inside the root when its directory is; its text is only text.
      const resolved = this.resolve(hostPath);
      if (this.root !== '/') this.assertInside(path.dirname(resolved));
      return fs.readlinkSync(resolved);
    } catch (error) {
      this.fail(hostPath, error);
      return null;
    }
  }

  private note(hostPath: string): void {
    if (this.record) this.touched.add(hostPath);
  }

  private fail(hostPath: string, error: unknown): void {
    // Unrecorded readers keep one reason, not one per path ever read (tids come and go).
    if (!this.record) this.lastError.clear();
    this.lastError.set(hostPath, error instanceof HostReadError ? error.reason : describeFsError(error));
  }

  /** The path to open: under a captured root, its real path must stay inside the root. */
  private confined(hostPath: string): string {
    const resolved = this.resolve(hostPath);
    if (this.root === '/') return resolved;
    this.assertInside(resolved);
    return resolved;
  }

  /** `resolved`'s last component joined to its directory's real path, that directory checked inside the root. */
  private leafInside(resolved: string): string {
    const realDir = this.realDir(path.dirname(resolved));
    this.checkInside(realDir);
    return path.join(realDir, path.basename(resolved));
  }

  private assertInside(resolved: string): void {
    this.checkInside(this.realPath(resolved));
  }

  private checkInside(real: string): void {
    this.realRoot ??= fs.realpathSync(this.root);
    if (real !== this.realRoot && !real.startsWith(this.realRoot + path.sep)) throw new HostReadError('outside the captured root');
  }

  /**
   * fs.realpathSync (the same path, the same errors), with each directory resolved once per
   * HostFs: a captured topology reads thousands of files in a few hundred directories, and a
   * whole-path realpath costs an lstat per component of every one (a 512-CPU capture, ~50,000).
   * Only the last component is looked at afresh: a symlink there is resolved whole.
   */
  private realPath(resolved: string): string {
    const dir = path.dirname(resolved);
    if (dir === resolved) return fs.realpathSync(resolved);
    const candidate = path.join(this.realDir(dir), path.basename(resolved));
    return fs.lstatSync(candidate).isSymbolicLink() ? fs.realpathSync(candidate) : candidate;
  }

  /** A directory's real path, resolved once per HostFs. */
  private realDir(dir: string): string {
    let real = this.realDirs.get(dir);
    if (real === undefined) {
      real = this.realPath(dir);
      this.realDirs.set(dir, real);
    }
    return real;
  }
}

const SCRATCH = Buffer.allocUnsafe(65536);

/** A spec file or user preset is small: anything larger is not one. */
export const MAX_SPEC_BYTES = 1024 * 1024;

export interface RegularFileOptions {
  /** Refuse a symlink as the last component (O_NOFOLLOW): for kvm-tui's own files (its caches). */
  noFollow?: boolean;
}

/**
 * A user-named file (--spec, a user preset, kvm-tui's caches) as text: regular files only,
 * opened non-blocking and bounded, so a FIFO, a device or /dev/zero behind the name is refused at
 * once instead of hanging or filling memory. One open: what is checked is what is read. Throws an
 * Error whose message says what is wrong.
 */
export function readRegularFile(file: string, maxBytes = MAX_SPEC_BYTES, options: RegularFileOptions = {}): string {
  try {
    return readBounded(file, maxBytes, options.noFollow === true).toString('utf8');
  } catch (error) {
    if (error instanceof NotRegularFile) throw new Error(error.stat.isDirectory() ? 'is a directory' : error.stat.isFIFO() ? 'is a FIFO, not a regular file' : 'is not a regular file');
    if (error instanceof HostReadError) throw new Error(error.reason);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' && options.noFollow) throw new Error('is a symlink, not a regular file');
    throw new Error(code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message);
  }
}

/**
 * The live host's per-process and per-thread counters the 1 Hz sampler reads (stat, status,
 * schedstat, sched, and /proc/stat): files procfs makes itself, never a FIFO, device or symlink
 * (unlike /proc/PID/fd/N or /proc/PID/cwd), each generated whole on the first read. On a live
 * root these are read by `readKernelText`.
 */
const KERNEL_TEXT_RE = /^\/proc\/(?:stat|\d+\/(?:stat|status)|\d+\/task\/\d+\/(?:stat|status|schedstat|sched))$/;

/**
 * One of KERNEL_TEXT_RE's files as text, at one open and one read: procfs builds such a file
 * whole when it is first read and hands over what fits, so a read that does not fill the buffer
 * has it all (no fstat, no second read to see EOF, no copy). The sampler reads four of these per
 * thread per second. A file that fills the buffer is read on, as any other, to MAX_READ_BYTES.
 */
function readKernelText(file: string): string {
  const fd = fs.openSync(file, KERNEL_TEXT_FLAGS);
  try {
    return readWholeAt(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const KERNEL_TEXT_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW;

/** An open KERNEL_TEXT_RE file read whole from offset 0 (pread: its file position is not used). */
function readWholeAt(fd: number): string {
  const n = fs.readSync(fd, SCRATCH, 0, SCRATCH.length, 0);
  if (n < SCRATCH.length) return SCRATCH.toString('utf8', 0, n);
  const chunks = [Buffer.from(SCRATCH)];
  let total = n;
  for (;;) {
    const more = fs.readSync(fd, SCRATCH, 0, SCRATCH.length, total);
    if (more === 0) break;
    total += more;
    if (total > MAX_READ_BYTES) throw new HostReadError(tooLarge(MAX_READ_BYTES));
    chunks.push(Buffer.from(SCRATCH.subarray(0, more)));
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/**
 * Counter files a sampler keeps open: 4 per thread of a 256-thread VM (more are opened per read),
 * and never more than a quarter of this process's limit on open files (Node raises its soft limit
 * to the hard one; a hard limit of 1024 leaves room for everything else).
 */
function defaultKeptOpen(): number {
  let limit = 1024;
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    if (line) limit = line[1] === 'unlimited' ? 1 << 30 : Number(line[1]);
  } catch {
    // No /proc/self/limits: keep the 1024-file assumption.
  }
  return Math.max(0, Math.min(1024, Math.floor(limit / 4)));
}

/**
 * The sampler's counter files (KERNEL_TEXT_RE) kept open between passes: each is a seq_file that
 * procfs builds afresh on a read from offset 0, so a pread of a kept descriptor reads what an
 * open would, without the open and close (about half of a 64-vCPU VM's reading cost). A kept
 * descriptor belongs to the task it was opened on: once that task has been reaped its reads fail
 * (ESRCH), never another task's figures, even when its id is reused. Then the path is
 * opened afresh, so the answer is whatever a fresh open gives (the new task, or missing).
 */
class KeptDescriptors {
  private readonly open = new Map<string, { fd: number; pass: number }>();
  private pass = 0;

  constructor(private max: number) {}

  get size(): number {
    return this.open.size;
  }

  read(file: string): string {
    const kept = this.open.get(file);
    if (kept !== undefined) {
      kept.pass = this.pass;
      try {
        const text = readWholeAt(kept.fd);
        if (text.length > 0) return text;
      } catch {
        // The task has ended (ESRCH) or the read failed: open the path afresh below.
      }
      this.drop(file, kept.fd);
    }
    if (this.open.size >= this.max) return this.plain(file);
    let fd: number;
    try {
      fd = fs.openSync(file, KERNEL_TEXT_FLAGS);
    } catch (error) {
      if (!outOfDescriptors(error)) throw error;
      return this.plain(file);
    }
    try {
      const text = readWholeAt(fd);
      this.open.set(file, { fd, pass: this.pass });
      return text;
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /**
   * A read without keeping. Out of descriptors (EMFILE, ENFILE): every kept one is given back and
   * none is kept again for this reader's life, so the process stays below its limit for the rest
   * (QMP, the re-pin's taskset).
   */
  private plain(file: string): string {
    try {
      return readKernelText(file);
    } catch (error) {
      if (!outOfDescriptors(error)) throw error;
    }
    this.closeAll();
    this.max = 0;
    return readKernelText(file);
  }

  endPass(): void {
    for (const [file, kept] of this.open) if (kept.pass !== this.pass) this.drop(file, kept.fd);
    this.pass += 1;
  }

  closeAll(): void {
    for (const [file, kept] of this.open) this.drop(file, kept.fd);
  }

  private drop(file: string, fd: number): void {
    this.open.delete(file);
    try {
      fs.closeSync(fd);
    } catch {
      // Already closed: nothing to release.
    }
  }
}

function outOfDescriptors(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/** A regular file's bytes, read non-blocking and bounded; anything else is refused. */
function readBounded(file: string, maxBytes = MAX_READ_BYTES, noFollow = false): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (noFollow ? fs.constants.O_NOFOLLOW : 0));
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new NotRegularFile(stat);
    // A regular file that says it is too large is not read at all (procfs and sysfs say 0 or
    // 4096, so the loop below still bounds what they give).
    if (stat.size > maxBytes) throw new HostReadError(tooLarge(maxBytes));
    const chunks: Buffer[] = [];
    let total = 0;
    // procfs and sysfs files report size 0 (or 4096): read to EOF through one reused buffer
    // (the sampler reads hundreds of small files a second), keeping copies of what was read.
    for (;;) {
      const n = fs.readSync(fd, SCRATCH, 0, SCRATCH.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new HostReadError(tooLarge(maxBytes));
      chunks.push(Buffer.from(SCRATCH.subarray(0, n)));
      // A file on disk (a capture's) says its size: once that much is read, a read more would
      // only return 0. procfs and sysfs say 0 or 4096, more than they give: read on to EOF.
      if (stat.size > 0 && total === stat.size && n < SCRATCH.length) break;
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    fs.closeSync(fd);
  }
}

function tooLarge(maxBytes: number): string {
  return maxBytes >= 1024 * 1024 ? `larger than ${maxBytes / (1024 * 1024)} MiB` : `larger than ${maxBytes} bytes`;
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

/**
 * "cpu2" < "cpu10", "node1" < "node33": ICU's order for `localeCompare(b, 'en', { numeric: true })`.
 * Names of letters, digits, "_", "-" and "." (all of /sys and /proc that kvm-tui lists) are ordered
 * here, as ICU orders them: by primary weight ("_" < "-" < "." < numbers, by value < letters,
 * either case), then lowercase before uppercase at the first difference. ICU's collator is built
 * only for other names: building it costs 6-9 ms, most of a `plan`'s sorting of its /sys listings.
 * test/host/natural-compare.test.ts checks both agree.
 */
export function naturalCompare(a: string, b: string): number {
  if (isSimpleName(a) && isSimpleName(b)) return simpleNameCompare(a, b);
  collator ??= new Intl.Collator('en', { numeric: true });
  return Math.sign(collator.compare(a, b));
}

let collator: Intl.Collator | null = null;

/** A leading zero or over 15 digits in a row (where ICU's numeric weights get subtle) is not simple. */
const SIMPLE_NAME = /^[A-Za-z0-9_.-]*$/;
const SUBTLE_NUMBER = /(?:^|[^0-9])0[0-9]|[0-9]{16}/;

export function isSimpleName(name: string): boolean {
  return SIMPLE_NAME.test(name) && !SUBTLE_NUMBER.test(name);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Primary rank of a character that is not a digit: "_", "-", ".", (numbers: 3), then a-z either case. */
function primaryRank(code: number): number {
  if (code === 95) return 0;
  if (code === 45) return 1;
  if (code === 46) return 2;
  return 10 + (code >= 97 ? code - 97 : code - 65);
}

function simpleNameCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const digitA = isDigit(a.charCodeAt(i));
    const digitB = isDigit(b.charCodeAt(j));
    if (digitA && digitB) {
      // Runs of digits compare by value; without leading zeros the longer run is the larger.
      let endA = i + 1;
      while (endA < a.length && isDigit(a.charCodeAt(endA))) endA++;
      let endB = j + 1;
      while (endB < b.length && isDigit(b.charCodeAt(endB))) endB++;
      if (endA - i !== endB - j) return endA - i < endB - j ? -1 : 1;
      for (; i < endA; i++, j++) {
        const x = a.charCodeAt(i);
        const y = b.charCodeAt(j);
        if (x !== y) return x < y ? -1 : 1;
      }
      continue;
    }
    const rankA = digitA ? 3 : primaryRank(a.charCodeAt(i));
    const rankB = digitB ? 3 : primaryRank(b.charCodeAt(j));
    if (rankA !== rankB) return rankA < rankB ? -1 : 1;
    i++;
    j++;
  }
  if (i < a.length) return 1;
  if (j < b.length) return -1;
  // The same but for case (so the same length): lowercase first, at the first difference.
  for (let k = 0; k < a.length; k++) {
    const x = a.charCodeAt(k);
    const y = b.charCodeAt(k);
    if (x !== y) return x > y ? -1 : 1;
  }
  return 0;
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
