/**
 * Root-only host preparation for the real-QEMU tests, each with its undo: reserving huge pages
 * and creating tap devices. Failures say what is missing instead of skipping.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

function poolDir(pageKiB: number): string {
  return `/sys/kernel/mm/hugepages/hugepages-${pageKiB}kB`;
}

const readInt = (file: string) => Number(fs.readFileSync(file, 'utf8').trim());

/**
 * Adds `pages` free huge pages of `pageKiB` to the pool; returns the undo, which puts the pool
 * back to the size it had. Throws (after undoing) when the kernel could not find the memory.
 */
export function reserveHugepages(pageKiB: number, pages: number): () => void {
  const dir = poolDir(pageKiB);
  if (!fs.existsSync(dir)) throw new Error(`${dir} is missing: this kernel has no ${pageKiB} kB huge pages`);
  const before = readInt(`${dir}/nr_hugepages`);
  const freeBefore = readInt(`${dir}/free_hugepages`);
  const restore = () => fs.writeFileSync(`${dir}/nr_hugepages`, String(before));
  try {
    fs.writeFileSync(`${dir}/nr_hugepages`, String(before + pages));
  } catch (error) {
    throw new Error(`cannot grow the ${pageKiB} kB huge page pool (needs root): ${(error as Error).message}`);
  }
  const free = readInt(`${dir}/free_hugepages`);
  if (free < freeBefore + pages) {
    restore();
    throw new Error(`asked the kernel for ${pages} more ${pageKiB} kB huge pages, it found memory for ${free - freeBefore}`);
  }
  return restore;
}

/** Creates a multiqueue tap device (needs root and /dev/net/tun); returns the undo. */
export function createTap(name: string): () => void {
  const add = spawnSync('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap', 'multi_queue'], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`ip tuntap add dev ${name} failed (root and /dev/net/tun needed): ${add.stderr.trim()}`);
  return () => {
    spawnSync('ip', ['link', 'del', 'dev', name], { encoding: 'utf8' });
  };
}

export function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}
