/**
 * The tiny test guest (scripts/build-test-guest.sh): the directory test-all.sh built and exported
 * as KVM_TUI_TEST_GUEST, or built here now (cached in .test-guest) when a test runs on its own.
 * Never a skip: a guest that cannot be built fails the test that needs it, naming why.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './run-cli.js';

export interface TestGuest {
  dir: string;
  kernel: string;
  initrd: string;
}

let cached: TestGuest | null = null;

export function testGuest(): TestGuest {
  if (cached) return cached;
  const dir = process.env.KVM_TUI_TEST_GUEST || path.join(REPO, '.test-guest');
  const built = spawnSync('bash', [path.join(REPO, 'scripts/build-test-guest.sh'), dir], { encoding: 'utf8', timeout: 300_000 });
  if (built.status !== 0) throw new Error(`cannot build the test guest in ${dir}: ${(built.stderr || built.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`);
  const info = fs.readFileSync(path.join(dir, 'build-info'), 'utf8');
  const kernelFile = /^KERNEL=(\S+)$/m.exec(info)?.[1] ?? 'vmlinuz';
  cached = { dir, kernel: path.join(dir, kernelFile), initrd: path.join(dir, 'initrd.cpio') };
  return cached;
}

/** QEMU arguments that boot the guest (busy: a busy loop on every vCPU). */
export function guestBootArgs(options: { busy?: boolean } = {}): string[] {
  const guest = testGuest();
  return ['-kernel', guest.kernel, '-initrd', guest.initrd, '-append', `console=ttyS0 quiet panic=-1 cryptomgr.notests=1 mitigations=off${options.busy ? ' busy=1' : ''}`, '-no-reboot'];
}
