/**
 * Captured hosts for tests. The captures live in test/fixtures/topologies as tarballs (a sysfs
 * tree has thousands of tiny files; one tarball per machine keeps the repository readable and
 * preserves empty files and directory shapes exactly). Each tarball is unpacked at most once per
 * test process into one temp dir (see tempBase), removed when the process exits.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticHost } from '../make-synthetic-host.js';

export const TOPOLOGY_FIXTURE_DIR = fileURLToPath(new URL('../fixtures/topologies/', import.meta.url));

/** Names of the captured machines ("hwloc-256ppc-8n8s4t", ...), sorted. */
export function topologyFixtureNames(): string[] {
  return fs
    .readdirSync(TOPOLOGY_FIXTURE_DIR)
    .filter((file) => file.endsWith('.tar.gz'))
    .map((file) => file.slice(0, -'.tar.gz'.length))
    .sort();
}

let extractDir: string | null = null;
const rootByName = new Map<string, string>();

/** Free space a tmpfs must have before we put ~100 MB of unpacked captures on it. */
const TMPFS_MIN_FREE_BYTES = 1024 * 1024 * 1024;

/**
 * Where to unpack: os.tmpdir(), except that without an explicit TMPDIR a roomy /dev/shm is
 * preferred. Creating the ~16k small files of the captures costs ~7 s on some VM disks and
 * ~0.3 s on tmpfs; the room check keeps us off a container's small (64 MB) /dev/shm.
 */
function tempBase(): string {
  if (process.env.TMPDIR) return os.tmpdir();
  try {
    const stats = fs.statfsSync('/dev/shm');
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (stats.bavail * stats.bsize >= TMPFS_MIN_FREE_BYTES) return '/dev/shm';
  } catch {
    // no /dev/shm (not Linux) or not writable: the ordinary temp dir
  }
  return os.tmpdir();
}

function tempDir(): string {
  if (extractDir === null) {
    extractDir = fs.mkdtempSync(path.join(tempBase(), 'kvm-tui-fixtures-'));
    const dir = extractDir;
    const cleanUp = () => fs.rmSync(dir, { recursive: true, force: true });
    // 'exit' handlers must be synchronous; rmSync is. 'exit' does not run on a signal, so the
    // signals a test runner or a user sends clean up too, then die by the same signal.
    process.on('exit', cleanUp);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        cleanUp();
        process.kill(process.pid, signal);
      });
    }
  }
  return extractDir;
}

/** The root of a captured machine (a dir holding sys/, maybe proc/, and expected.json). */
export function fixtureRoot(name: string): string {
  const cached = rootByName.get(name);
  if (cached) return cached;
  const tarball = path.join(TOPOLOGY_FIXTURE_DIR, `${name}.tar.gz`);
  if (!fs.existsSync(tarball)) throw new Error(`no topology fixture ${tarball}`);
  const dir = tempDir();
  execFileSync('tar', ['-xzf', tarball, '-C', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const root = path.join(dir, name);
  if (!fs.existsSync(path.join(root, 'sys'))) throw new Error(`${tarball} did not unpack to ${name}/sys`);
  rootByName.set(name, root);
  return root;
}

/** A fresh empty temp dir for one test's hand-made files, removed at process exit. */
export function scratchDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(tempDir(), `${label}-`));
  return dir;
}

let syntheticRoot: string | null = null;

/**
 * The synthetic 512-thread, 8-node host (test/make-synthetic-host.ts), written at most once per
 * test process into the scratch dir (tmpfs where there is room: its 5,000 small files take
 * seconds to write and remove on a VM's disk). For tests that only read it; files batched into
 * one process share it.
 */
export function syntheticHostRoot(): string {
  if (syntheticRoot === null) {
    syntheticRoot = path.join(scratchDir('synthetic-512'), 'host');
    writeSyntheticHost(syntheticRoot);
  }
  return syntheticRoot;
}
