/**
 * cgroups: libvirt confines each VM in cgroups (CPU shares, memory limits, device access) and
 * uses cpuset for runtime pinning and isolation without a reboot.
 */
import { appendLineOnce, makeFix, mountOnce, writeLineTo } from '../fix.js';
import { readMounts, unknownOutcome, type MountEntry } from '../probe-helpers.js';
import { quoteShellWord } from '../../shared/shell-quote.js';
import type { Check, ProbeContext } from '../types.js';

/** The controllers virt-host-validate checks for QEMU (libvirt's names, v1 style). */
export const LIBVIRT_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'blkio'] as const;

const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'blkio', 'freezer', 'pids', 'net_cls', 'net_prio',
  'perf_event', 'hugetlb', 'rdma', 'misc',
]);

interface CgroupFacts {
  version: 'v2' | 'v1' | 'hybrid' | 'none';
  v1: Map<string, string>; // controller -> mount point
  v2Mount: string | null;
  /** This process's v2 cgroup path ("/user.slice/..."), from /proc/self/cgroup. */
  v2Path: string | null;
  /** Controllers available in this process's v2 cgroup (cgroup.controllers); null when unreadable. */
  v2Controllers: string[] | null;
  v2File: string | null;
}

function cgroupFacts(ctx: ProbeContext, mounts: MountEntry[]): CgroupFacts {
  const v1 = new Map<string, string>();
  for (const mount of mounts.filter((entry) => entry.fsType === 'cgroup')) {
    for (const option of mount.options) if (V1_CONTROLLERS.has(option) && !v1.has(option)) v1.set(option, mount.target);
  }
  const v2Entry = mounts.find((entry) => entry.fsType === 'cgroup2') ?? null;
  const v2Mount = v2Entry?.target ?? null;
  let v2Path: string | null = null;
  let v2Controllers: string[] | null = null;
  let v2File: string | null = null;
  if (v2Mount) {
    const self = ctx.hostFs.read('/proc/self/cgroup');
    v2Path = /^0::(.*)$/m.exec(self ?? '')?.[1]?.trim() ?? '/';
    // A process in a cgroup namespace may see a path its mount does not have: fall back to the root.
    for (const candidate of [`${v2Mount}${v2Path === '/' ? '' : v2Path}/cgroup.controllers`, `${v2Mount}/cgroup.controllers`]) {
      const text = ctx.hostFs.readLine(candidate);
      if (text !== null) {
        v2Controllers = text.split(/\s+/).filter(Boolean);
        v2File = candidate;
        break;
      }
    }
  }
  const version = v2Mount === '/sys/fs/cgroup' && v1.size === 0 ? 'v2' : v1.size > 0 ? (v2Mount ? 'hybrid' : 'v1') : v2Mount ? 'v2' : 'none';
  return { version, v1, v2Mount, v2Path, v2Controllers, v2File };
}

/** Whether a libvirt controller is usable, and where from. */
function controllerSource(facts: CgroupFacts, name: (typeof LIBVIRT_CONTROLLERS)[number]): string | null {
  if (facts.v1.has(name)) return `v1 ${facts.v1.get(name)}`;
  const v2 = facts.v2Controllers ?? [];
  // cgroup v2 folds cpuacct into cpu and blkio into io; devices is a BPF program, always there.
  const v2Name = name === 'cpuacct' ? 'cpu' : name === 'blkio' ? 'io' : name;
  if (name === 'devices' && facts.version === 'v2') return 'v2 (BPF)';
  if (v2.includes(v2Name)) return `v2 ${v2Name}`;
  return null;
}

const version: Check = {
  id: 'cgroups.version',
  title: 'cgroup hierarchy (v1 / v2)',
  category: 'cgroups',
  needsRoot: true,
  why: 'libvirt places every VM in cgroups for CPU, memory and device limits; the unified v2 hierarchy is where current systemd and libvirt put their work.',
  run(ctx) {
    const mounts = readMounts(ctx.hostFs);
    if (mounts === null) return unknownOutcome(ctx.hostFs, '/proc/mounts');
    const facts = cgroupFacts(ctx, mounts);
    const v1Text = facts.v1.size > 0 ? `v1 controllers ${[...facts.v1.keys()].join(',')}` : null;
    const v2Text = facts.v2Mount ? `cgroup2 at ${facts.v2Mount}${facts.v2Controllers ? ` (${facts.v2Controllers.join(' ') || 'no controllers'})` : ''}` : null;
    const evidence = `/proc/mounts: ${[v2Text, v1Text].filter(Boolean).join('; ') || 'no cgroup filesystem'}`;
    switch (facts.version) {
      case 'v2':
        return { status: 'pass', evidence: `${evidence}: unified v2`, fix: null };
      case 'hybrid':
        return { status: 'info', evidence: `${evidence}: hybrid (controllers on v1)`, fix: null };
      case 'v1':
        return { status: 'info', evidence: `${evidence}: legacy v1`, fix: null };
      default:
        return {
          status: 'warn',
          evidence: `${evidence}: libvirt cannot confine VMs`,
          fix: makeFix({ runtime: [mountOnce('/sys/fs/cgroup', ['-t', 'cgroup2', 'none'])], persistent: [appendLineOnce('/etc/fstab', 'none /sys/fs/cgroup cgroup2 defaults 0 0')] }),
        };
    }
  },
};

const controllers: Check = {
  id: 'cgroups.controllers',
  title: 'cgroup controllers libvirt uses',
  category: 'cgroups',
  needsRoot: true,
  why: 'libvirt uses cpu/cpuacct (shares, quotas, accounting), cpuset (pinning), memory (limits), devices (which host devices a VM may open) and blkio/io (disk throttling).',
  run(ctx) {
    const mounts = readMounts(ctx.hostFs);
    if (mounts === null) return unknownOutcome(ctx.hostFs, '/proc/mounts');
    const facts = cgroupFacts(ctx, mounts);
    const found = LIBVIRT_CONTROLLERS.map((name) => ({ name, source: controllerSource(facts, name) }));
    const missing = found.filter((entry) => entry.source === null).map((entry) => entry.name);
    const evidence = found.map((entry) => `${entry.name}: ${entry.source ?? 'missing'}`).join(', ');
    if (missing.length === 0) return { status: 'pass', evidence, fix: null };
    const v2 = facts.version === 'v2';
    return {
      status: 'warn',
      evidence: `${evidence}${facts.v2File ? ` (from ${facts.v2File})` : ''}`,
      fix: makeFix({
        runtime: v2
          ? [writeLineTo(`${facts.v2Mount}/cgroup.subtree_control`, missing.map((name) => `+${name === 'cpuacct' ? 'cpu' : name === 'blkio' ? 'io' : name}`).filter((value, index, all) => all.indexOf(value) === index).join(' '))]
          : missing.map((name) => mountOnce(`/sys/fs/cgroup/${name}`, ['-t', 'cgroup', '-o', name, 'cgroup'])),
        persistent: ['# let the init system mount all controllers (systemd does; elsewhere add the mounts to /etc/fstab or cgroupfs-mount)'],
      }),
    };
  },
};

const cpuset: Check = {
  id: 'cgroups.cpuset',
  title: 'cpuset controller usable (runtime isolation)',
  category: 'cgroups',
  needsRoot: true,
  why: 'cpuset confines host tasks or VMs to CPU sets at run time (what isolcpus does at boot, but reversible); libvirt uses it for <vcpupin> and <emulatorpin>.',
  run(ctx) {
    const mounts = readMounts(ctx.hostFs);
    if (mounts === null) return unknownOutcome(ctx.hostFs, '/proc/mounts');
    const facts = cgroupFacts(ctx, mounts);
    const v1Mount = facts.v1.get('cpuset');
    if (v1Mount) {
      const cpus = ctx.hostFs.readLine(`${v1Mount}/cpuset.cpus`) ?? ctx.hostFs.readLine(`${v1Mount}/cpus`);
      if (cpus === null) {
        return {
          status: 'warn',
          evidence: `cpuset (v1) mounted at ${v1Mount} but ${v1Mount}/cpuset.cpus: ${ctx.hostFs.why(`${v1Mount}/cpuset.cpus`)}`,
          fix: makeFix({
            runtime: [`# run the audit as root: ${quoteShellWord(v1Mount)}/cpuset.cpus may be unreadable to this user; if it is missing too, remount: umount ${quoteShellWord(v1Mount)}, then mount -t cgroup -o cpuset cgroup ${quoteShellWord(v1Mount)}`],
            needsRoot: false,
          }),
        };
      }
      return { status: 'pass', evidence: `cpuset (v1) at ${v1Mount}: cpuset.cpus ${cpus}`, fix: null };
    }
    if (facts.v2Controllers?.includes('cpuset')) {
      const effective = facts.v2Mount ? ctx.hostFs.readLine(`${facts.v2Mount}/cpuset.cpus.effective`) : null;
      return { status: 'pass', evidence: `${facts.v2File}: cpuset${effective ? `; cpuset.cpus.effective ${effective}` : ''}`, fix: null };
    }
    const where = facts.v2File ? `${facts.v2File}: ${facts.v2Controllers?.join(' ') || '(none)'}` : 'no cgroup v1 cpuset mount and no cgroup2 controllers';
    return {
      status: 'warn',
      evidence: `${where}: cpuset not available`,
      fix: facts.v2Mount
        ? makeFix({ runtime: [writeLineTo(`${facts.v2Mount}/cgroup.subtree_control`, '+cpuset')], persistent: ['# have the init system enable cpuset (systemd: Delegate=cpuset on the slice)'] })
        : makeFix({ runtime: [mountOnce('/sys/fs/cgroup/cpuset', ['-t', 'cgroup', '-o', 'cpuset', 'cgroup'])], persistent: [appendLineOnce('/etc/fstab', 'cgroup /sys/fs/cgroup/cpuset cgroup cpuset 0 0')] }),
    };
  },
};

export const CGROUP_CHECKS: Check[] = [version, controllers, cpuset];
