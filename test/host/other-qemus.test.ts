import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { qemuGuestName, readOtherQemus } from '../../src/host/other-qemus.js';
import { scratchDir } from '../helpers/fixture-root.js';

/** A /proc with processes: pid -> comm, cmdline words, each thread's allowed CPUs. */
function fakeProc(processes: Record<number, { comm: string; cmdline: string[]; threads: Record<number, string>; state?: string }>): HostFs {
  const root = scratchDir('other-qemus');
  for (const [pid, proc] of Object.entries(processes)) {
    const dir = path.join(root, 'proc', pid);
    fs.mkdirSync(path.join(dir, 'task'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'comm'), `${proc.comm}\n`);
    fs.writeFileSync(path.join(dir, 'cmdline'), proc.cmdline.join('\0') + '\0');
    // As in /proc: the process's status is its main thread's.
    fs.writeFileSync(path.join(dir, 'status'), `Name:\t${proc.comm}\nState:\t${proc.state ?? 'S (sleeping)'}\nTgid:\t${pid}\nPid:\t${pid}\nCpus_allowed_list:\t${proc.threads[Number(pid)] ?? '0-3'}\n`);
    for (const [tid, cpus] of Object.entries(proc.threads)) {
      fs.mkdirSync(path.join(dir, 'task', tid));
      fs.writeFileSync(path.join(dir, 'task', tid, 'status'), `Name:\t${proc.comm}\nTgid:\t${pid}\nPid:\t${tid}\nCpus_allowed_list:\t${cpus}\nMems_allowed_list:\t0\n`);
    }
  }
  fs.mkdirSync(path.join(root, 'proc', 'self'), { recursive: true });
  return new HostFs(root, { record: false });
}

test('other QEMUs: pinned threads hold their CPUs under the guest name; unpinned ones float; kvm-tui\'s own, zombies and non-QEMU processes are not counted', () => {
  const procFs = fakeProc({
    100: { comm: 'qemu-system-x86', cmdline: ['/usr/bin/qemu-system-x86_64', '-name', 'guest=web,debug-threads=on'], threads: { 100: '0-3', 101: '2', 102: '3' } },
    200: { comm: 'bash', cmdline: ['bash'], threads: { 200: '1' } },
    300: { comm: 'qemu-system-x86', cmdline: ['qemu-system-x86_64', '-name', 'loose'], threads: { 300: '0-3', 301: '0-3' } },
    400: { comm: 'qemu-system-x86', cmdline: ['qemu-system-x86_64', '-name', 'ours'], threads: { 400: '1' } },
    500: { comm: 'qemu-kvm', cmdline: ['qemu-kvm'], threads: { 500: '1' } },
    // Killed, not reaped: its status still says where it may run.
    600: { comm: 'qemu-system-x86', cmdline: [], threads: { 600: '0' }, state: 'Z (zombie)' },
  });
  const found = readOtherQemus(procFs, [0, 1, 2, 3], new Set([400]));
  assert.deepEqual([...found.held].sort((a, b) => a[0] - b[0]), [
    [1, 'qemu-kvm (QEMU pid 500)'],
    [2, 'web (QEMU pid 100)'],
    [3, 'web (QEMU pid 100)'],
  ]);
  assert.deepEqual(found.floating, ['loose (QEMU pid 300)']);
});

test('the guest name from a QEMU command line, as QEMU parses -name', () => {
  assert.equal(qemuGuestName(['qemu', '-name', 'guest=web,debug-threads=on'].join('\0')), 'web');
  assert.equal(qemuGuestName(['qemu', '-name', 'db,process=qemu:db'].join('\0')), 'db');
  assert.equal(qemuGuestName(['qemu', '-name', 'a,,b'].join('\0')), 'a,b');
  assert.equal(qemuGuestName(['qemu', '-name', 'process=x'].join('\0')), null);
  assert.equal(qemuGuestName(['qemu', '-m', '1G'].join('\0')), null);
  assert.equal(qemuGuestName(['qemu', '-name', 'guest=x\u001b[2Jy'].join('\0')), 'x?[2Jy');
});

test('on an isolcpus host the default affinity (init\'s, without the isolated CPUs) is not a pin', () => {
  const procFs = fakeProc({
    1: { comm: 'init', cmdline: ['/sbin/init'], threads: { 1: '0-1,4-5' } },
    700: { comm: 'qemu-system-x86', cmdline: ['qemu', '-name', 'hand'], threads: { 700: '0-1,4-5', 701: '0-1,4-5' } },
    800: { comm: 'qemu-system-x86', cmdline: ['qemu', '-name', 'pinned'], threads: { 800: '0-1,4-5', 801: '2' } },
  });
  const found = readOtherQemus(procFs, [0, 1, 2, 3, 4, 5, 6, 7], new Set());
  assert.deepEqual([...found.held], [[2, 'pinned (QEMU pid 800)']]);
  assert.deepEqual(found.floating, ['hand (QEMU pid 700)']);
});
