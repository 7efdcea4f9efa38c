/**
 * Root-only host preparation for the real-QEMU tests, each with its undo: reserving huge pages
 * and creating tap devices. Failures say what is missing instead of skipping.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { HYPERV, HYPERV_CLOCK } from '../../src/generate/vm-facts.js';

function poolDir(pageKiB: number): string {
  return `/sys/kernel/mm/hugepages/hugepages-${pageKiB}kB`;
}

const readInt = (file: string) => Number(fs.readFileSync(file, 'utf8').trim());

/**
 * Adds `pages` huge pages of `pageKiB` to the pool; returns the undo, which takes them back out.
 * Both steps are relative to the pool's size at that moment, not absolute: another test file
 * (the libvirt tests) may grow or shrink the same pool meanwhile. Throws (after giving back what
 * it got) when the kernel could not find the memory.
 */
export function reserveHugepages(pageKiB: number, pages: number): () => void {
  const file = `${poolDir(pageKiB)}/nr_hugepages`;
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: this kernel has no ${pageKiB} kB huge pages`);
  const before = readInt(file);
  try {
    fs.writeFileSync(file, String(before + pages));
  } catch (error) {
    throw new Error(`cannot grow the ${pageKiB} kB huge page pool (needs root): ${(error as Error).message}`);
  }
  const added = readInt(file) - before;
  const release = () => fs.writeFileSync(file, String(Math.max(0, readInt(file) - added)));
  if (added < pages) {
    release();
    throw new Error(`asked the kernel for ${pages} more ${pageKiB} kB huge pages, it found memory for ${added}`);
  }
  return release;
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

/**
 * Whether QEMU starts a `-cpu host` guest with every Hyper-V enlightenment kvm-tui gives on this
 * KVM (tried, paused, then quit): TCG refuses them, and some KVMs (kvm_pvm) cannot give them.
 * With `smm`, SMM too (secure boot needs it; kvm_pvm has none either).
 */
export function probeHyperv(smm = false): { usable: boolean; reason: string } {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
  } catch (error) {
    return { usable: false, reason: `/dev/kvm does not open (${(error as NodeJS.ErrnoException).code})` };
  }
  const cpu = ['host', `${HYPERV_CLOCK.qemu}=on`, ...HYPERV.map((entry) => `${entry.qemu}=${entry.value}`)].join(',');
  const probe = spawnSync('qemu-system-x86_64', ['-S', '-nodefaults', '-display', 'none', '-M', smm ? 'q35,smm=on' : 'q35', '-m', '64', '-accel', 'kvm', '-cpu', cpu, '-qmp', 'stdio'], {
    input: '{"execute":"qmp_capabilities"}\n{"execute":"query-kvm"}\n{"execute":"quit"}\n',
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (probe.status === 0 && /"enabled": true/.test(probe.stdout)) return { usable: true, reason: '' };
  const said = `${probe.stderr ?? ''}`.split('\n').find((line) => line.trim() !== '') ?? `exit ${probe.status ?? probe.signal}`;
  return { usable: false, reason: `QEMU cannot start a Hyper-V-enlightened -cpu host guest${smm ? ' with SMM' : ''} on this KVM: ${said.trim()}` };
}
