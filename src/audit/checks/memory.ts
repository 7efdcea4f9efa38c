/**
 * Guest memory backing: huge page pools per NUMA node and the hugetlbfs mount QEMU allocates
 * them from, 1 GiB page support, THP, KSM, swappiness and the locked-memory limit.
 */
import type { HugepagePool, HostNode } from '../../host/topology.js';
import { appendLineOnce, makeFix, mountSteps, notHere, sysctlStep, writeConfigLine, writeFileStep } from '../fix.js';
import { readMounts, SAFE_ACCOUNT_NAME_RE, selectedChoice, unknownOutcome, userName } from '../probe-helpers.js';
import type { Check, FixStep, ProbeContext } from '../types.js';
import { pageLabel, PAGE_SIZE_1G_KIB, PAGE_SIZE_2M_KIB } from '../../shared/page-sizes.js';


interface NodePools {
  id: number;
  memMiB: number | null;
  /** Keyed by page size in KiB. */
  pools: Record<string, HugepagePool>;
  /** sysfs directory holding hugepages-<size>kB for this node. */
  dir: string;
}

/** Pools per node from the topology; hosts without NUMA dirs get the global pool as node 0. */
function nodePools(ctx: ProbeContext): NodePools[] | null {
  const hasNodeDirs = ctx.hostFs.list('/sys/devices/system/node').some((name) => /^node\d+$/.test(name));
  if (ctx.topology && hasNodeDirs) {
    return ctx.topology.nodes.map((node: HostNode) => ({
      id: node.id,
      memMiB: node.memMiB,
      pools: node.hugepages,
      dir: `/sys/devices/system/node/node${node.id}/hugepages`,
    }));
  }
  const dir = '/sys/kernel/mm/hugepages';
  const names = ctx.hostFs.list(dir);
  if (names.length === 0) return null;
  const pools: Record<string, HugepagePool> = {};
  for (const name of names) {
    const match = /^hugepages-(\d+)kB$/.exec(name);
    if (!match) continue;
    const total = ctx.hostFs.readInt(`${dir}/${name}/nr_hugepages`) ?? 0;
    const free = ctx.hostFs.readInt(`${dir}/${name}/free_hugepages`) ?? 0;
    if (total < 0 || free < 0) continue; // not a count a kernel writes (see readHugepages)
    pools[match[1]!] = { total, free };
  }
  return [{ id: 0, memMiB: ctx.topology?.nodes[0]?.memMiB ?? null, pools, dir }];
}

function dir(nodes: NodePools[]): string {
  return nodes.map((node) => node.dir).join(', ');
}

function reservedMiB(pools: Record<string, HugepagePool>): number {
  return Object.entries(pools).reduce((sum, [sizeKiB, pool]) => sum + (pool.total * Number(sizeKiB)) / 1024, 0);
}

function describeNode(node: NodePools, many: boolean): string {
  const sizes = Object.keys(node.pools)
    .map(Number)
    .sort((a, b) => a - b)
    .map((sizeKiB) => {
      const pool = node.pools[String(sizeKiB)]!;
      return `${pageLabel(sizeKiB)} ${pool.total} (${pool.free} free)`;
    });
  return `${many ? `node${node.id}: ` : ''}${sizes.length > 0 ? sizes.join(', ') : 'no huge page sizes'}`;
}

/** An example reservation: 2 GiB per node, at most an eighth of the node's memory. */
function examplePages2M(memMiB: number | null): number {
  const targetMiB = memMiB === null ? 1024 : Math.min(2048, Math.floor(memMiB / 8));
  return Math.max(1, Math.floor(targetMiB / 2));
}

const hugepages: Check = {
  id: 'mem.hugepages',
  title: 'Huge pages reserved (per size, per NUMA node)',
  category: 'memory',
  needsRoot: true,
  why: 'Guest RAM on huge pages cuts TLB misses and page-walk cost (several % to 20%+ for memory-heavy guests); pages must be reserved on the NUMA node the VM is pinned to.',
  run(ctx) {
    const nodes = nodePools(ctx);
    if (nodes === null) return unknownOutcome(ctx.hostFs, '/sys/kernel/mm/hugepages', 'no huge page support in this kernel?');
    const withMemory = nodes.filter((node) => node.memMiB === null || node.memMiB > 0);
    const many = nodes.length > 1;
    const evidence = nodes.map((node) => describeNode(node, many)).join('; ');
    const reserved = withMemory.filter((node) => reservedMiB(node.pools) > 0);
    if (nodes.every((node) => Object.keys(node.pools).length === 0)) {
      return { status: 'skip', evidence: `unknown: no readable huge page pool (${dir(nodes)}: counts missing or not valid numbers)`, fix: null };
    }
    if (reserved.length === withMemory.length && withMemory.length > 0) {
      return { status: 'pass', evidence, fix: null };
    }
    const missing = withMemory.filter((node) => reservedMiB(node.pools) === 0);
    // Match the nodes that already have pages, so every node can host the same VM.
    const existing2M = Math.max(0, ...nodes.map((node) => node.pools[String(PAGE_SIZE_2M_KIB)]?.total ?? 0));
    const pagesFor = (node: NodePools) => (existing2M > 0 ? existing2M : examplePages2M(node.memMiB));
    let steps: FixStep[];
    let persistent: string[];
    let reboot = false;
    if (!many) {
      const pages = pagesFor(nodes[0]!);
      steps = [sysctlStep('vm.nr_hugepages', String(pages))];
      persistent = [writeConfigLine('/etc/sysctl.d/80-kvm-tui-hugepages.conf', `vm.nr_hugepages = ${pages}`)];
    } else {
      steps = missing.map((node) => writeFileStep([`${node.dir}/hugepages-${PAGE_SIZE_2M_KIB}kB/nr_hugepages`], String(pagesFor(node))));
      const perNode = withMemory.map((node) => `${node.id}:${reservedMiB(node.pools) > 0 ? (node.pools[String(PAGE_SIZE_2M_KIB)]?.total ?? 0) : pagesFor(node)}`);
      persistent = [`# add hugepagesz=2M hugepages=${perNode.join(',')} to GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub`];
      reboot = true;
    }
    const summary =
      reserved.length === 0
        ? 'no huge pages reserved'
        : `huge pages only on ${reserved.map((node) => `node${node.id}`).join(', ')}: a VM pinned to ${missing.map((node) => `node${node.id}`).join(', ')} would get none (or remote ones)`;
    return {
      status: 'warn',
      evidence: `${summary}; ${evidence}`,
      fix: makeFix({
        steps,
        persistent,
        reboot,
        applicable: true,
        note: `${existing2M > 0 ? 'the same 2M pool the other nodes have' : 'an example of up to 2 GiB per node'}: size it to your VMs' memory; reserve early, before memory fragments`,
      }),
    };
  },
};

const hugetlbfs: Check = {
  id: 'mem.hugetlbfs',
  title: 'hugetlbfs mounted',
  category: 'memory',
  needsRoot: true,
  why: 'QEMU (-mem-path, memory-backend-file) and libvirt (<hugepages/>) allocate huge pages through a hugetlbfs mount of the matching page size.',
  run(ctx) {
    const mounts = readMounts(ctx.hostFs);
    if (mounts === null) return unknownOutcome(ctx.hostFs, '/proc/mounts');
    const meminfo = ctx.hostFs.read('/proc/meminfo');
    const defaultKiB = Number(/^Hugepagesize:\s+(\d+)\s*kB/m.exec(meminfo ?? '')?.[1] ?? PAGE_SIZE_2M_KIB);
    const hugeMounts = mounts
      .filter((mount) => mount.fsType === 'hugetlbfs')
      .map((mount) => {
        const option = mount.options.find((opt) => opt.startsWith('pagesize='));
        return { target: mount.target, sizeKiB: option ? parseSizeKiB(option.slice('pagesize='.length)) : defaultKiB };
      });
    const mountText = hugeMounts.map((mount) => `${mount.target} (pagesize=${mount.sizeKiB ? pageLabel(mount.sizeKiB) : '?'})`).join(', ');
    if (hugeMounts.length === 0) {
      return {
        status: 'warn',
        evidence: '/proc/mounts: no hugetlbfs mount',
        fix: makeFix({
          steps: mountSteps('/dev/hugepages', ['-t', 'hugetlbfs', '-o', 'pagesize=2M', 'hugetlbfs']),
          persistent: [appendLineOnce('/etc/fstab', 'hugetlbfs /dev/hugepages hugetlbfs pagesize=2M 0 0')],
          applicable: true,
          note: 'restart libvirtd afterwards if it runs: it looks for hugetlbfs only at startup',
        }),
      };
    }
    const oneGigReserved = (nodePools(ctx) ?? []).some((node) => (node.pools[String(PAGE_SIZE_1G_KIB)]?.total ?? 0) > 0);
    if (oneGigReserved && !hugeMounts.some((mount) => mount.sizeKiB === PAGE_SIZE_1G_KIB)) {
      return {
        status: 'warn',
        evidence: `/proc/mounts: ${mountText}; 1G pages are reserved but no pagesize=1G mount exists to use them`,
        fix: makeFix({
          steps: mountSteps('/dev/hugepages1G', ['-t', 'hugetlbfs', '-o', 'pagesize=1G', 'hugetlbfs']),
          persistent: [appendLineOnce('/etc/fstab', 'hugetlbfs /dev/hugepages1G hugetlbfs pagesize=1G 0 0')],
          applicable: true,
        }),
      };
    }
    return { status: 'pass', evidence: `/proc/mounts: ${mountText}`, fix: null };
  },
};

/** "2M" / "1G" / "2048k" / "2097152" (bytes) → KiB. */
function parseSizeKiB(text: string): number | null {
  const match = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (!match) return null;
  const value = Number(match[1]);
  switch (match[2]!.toLowerCase()) {
    case 'k':
      return value;
    case 'm':
      return value * 1024;
    case 'g':
      return value * 1024 * 1024;
    default:
      return Math.floor(value / 1024);
  }
}

const oneGigPages: Check = {
  id: 'mem.1g-pages',
  title: '1 GiB huge page support',
  category: 'memory',
  needsRoot: false,
  why: '1 GiB pages (CPU flag pdpe1gb) remove nearly all TLB pressure for large guests; without them 2 MiB pages are the largest.',
  run(ctx) {
    if (!ctx.cpuInfo.readable) return unknownOutcome(ctx.hostFs, '/proc/cpuinfo');
    const flag = ctx.cpuInfo.flags.has('pdpe1gb');
    const pool = ctx.hostFs.exists(`/sys/kernel/mm/hugepages/hugepages-${PAGE_SIZE_1G_KIB}kB`);
    if (flag && pool) return { status: 'pass', evidence: '/proc/cpuinfo: pdpe1gb; /sys/kernel/mm/hugepages/hugepages-1048576kB exists', fix: null };
    if (flag) return { status: 'info', evidence: '/proc/cpuinfo: pdpe1gb, but the kernel offers no 1G pool (hugepages-1048576kB missing)', fix: null };
    if (ctx.cpuInfo.vendor === 'other') {
      return { status: 'info', evidence: `1G pool: ${pool ? 'present' : 'absent'} (not x86: no pdpe1gb flag to read)`, fix: null };
    }
    return { status: 'info', evidence: '/proc/cpuinfo: no pdpe1gb flag: 2M is the largest page size (a VM CPU often hides it)', fix: null };
  },
};

const thp: Check = {
  id: 'mem.thp',
  title: 'Transparent huge pages',
  category: 'memory',
  needsRoot: true,
  why: 'Without reserved huge pages, THP still backs guest RAM with 2 MiB pages; QEMU asks for them (madvise), so "madvise" or "always" both work, "never" loses them.',
  run(ctx) {
    const file = '/sys/kernel/mm/transparent_hugepage/enabled';
    const line = ctx.hostFs.readLine(file);
    if (line === null) return unknownOutcome(ctx.hostFs, file);
    const mode = selectedChoice(line) ?? line;
    const defrag = ctx.hostFs.readLine('/sys/kernel/mm/transparent_hugepage/defrag');
    const defragText = defrag ? `; defrag: ${selectedChoice(defrag) ?? defrag}` : '';
    if (mode === 'always' || mode === 'madvise') return { status: 'pass', evidence: `${file}: ${mode}${defragText}`, fix: null };
    return {
      status: 'warn',
      evidence: `${file}: ${mode}${defragText} (guest RAM stays on 4K pages unless huge pages are reserved)`,
      fix: makeFix({
        steps: [writeFileStep([file], 'madvise')],
        persistent: ['# add transparent_hugepage=madvise to GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub'],
        reboot: true,
      }),
    };
  },
};

const ksm: Check = {
  id: 'mem.ksm',
  title: 'Kernel samepage merging (KSM)',
  category: 'memory',
  needsRoot: true,
  why: 'KSM merges identical pages across guests: it saves RAM when overcommitting but costs CPU, adds latency on write faults and leaks information between guests.',
  run(ctx) {
    const file = '/sys/kernel/mm/ksm/run';
    const value = ctx.hostFs.readLine(file);
    if (value === null) {
      if (ctx.hostFs.why(file) === 'missing') return { status: 'info', evidence: `${file}: missing (kernel without KSM)`, fix: null };
      return unknownOutcome(ctx.hostFs, file);
    }
    if (value === '0') return { status: 'pass', evidence: `${file}: 0 (off)`, fix: null };
    const sharing = ctx.hostFs.readInt('/sys/kernel/mm/ksm/pages_sharing');
    return {
      status: 'info',
      evidence: `${file}: ${value} (${value === '1' ? 'merging' : 'stopped, merged pages kept'})${sharing !== null ? `; pages_sharing: ${sharing}` : ''}`,
      fix: makeFix({
        steps: [writeFileStep([file], '0')],
        persistent: ['# stop the ksm/ksmtuned services if installed (systemctl disable --now ksm ksmtuned)'],
        note: 'keep KSM on when you overcommit memory on purpose',
      }),
    };
  },
};

const swappiness: Check = {
  id: 'mem.swappiness',
  title: 'Swappiness',
  category: 'memory',
  needsRoot: true,
  why: "A high vm.swappiness lets the host swap idle guest RAM out, and the guest pays for it with stalls later; tuned's virtual-host profile uses 10.",
  run(ctx) {
    const file = '/proc/sys/vm/swappiness';
    const value = ctx.hostFs.readInt(file);
    if (value === null) return unknownOutcome(ctx.hostFs, file);
    if (value <= 10) return { status: 'pass', evidence: `${file}: ${value}`, fix: null };
    return {
      status: 'info',
      evidence: `${file}: ${value}`,
      fix: makeFix({
        steps: [sysctlStep('vm.swappiness', '10')],
        persistent: [writeConfigLine('/etc/sysctl.d/80-kvm-tui-swappiness.conf', 'vm.swappiness = 10')],
      }),
    };
  },
};

const memlock: Check = {
  id: 'mem.memlock',
  title: 'Locked-memory limit (this user)',
  category: 'memory',
  needsRoot: true,
  why: 'QEMU with -overcommit mem-lock=on, VFIO passthrough and SEV lock all guest RAM; the RLIMIT_MEMLOCK of the user starting QEMU must cover it (root is exempt).',
  run(ctx) {
    const file = '/proc/self/limits';
    const text = ctx.hostFs.read(file);
    if (text === null) return unknownOutcome(ctx.hostFs, file);
    const match = /^Max locked memory\s+(\S+)\s+(\S+)\s+(\S+)?/m.exec(text);
    if (!match) return { status: 'skip', evidence: `unknown: ${file}: no "Max locked memory" line`, fix: null };
    const [soft, hard] = [match[1]!, match[2]!];
    const show = (value: string) => (value === 'unlimited' ? value : `${Math.round(Number(value) / 1048576)} MiB`);
    const evidence = `${file}: memlock soft ${show(soft)}, hard ${show(hard)}`;
    if (ctx.user.uid === 0) return { status: 'pass', evidence: `${evidence}; running as root (CAP_IPC_LOCK ignores the limit)`, fix: null };
    if (soft === 'unlimited') return { status: 'pass', evidence, fix: null };
    const named = userName(ctx.hostFs, ctx.user.uid);
    // limits.conf splits on white space and reads # as a comment: only a plain account name goes
    // into it (a captured /etc/passwd may hold anything); without one the line says what to write.
    const user = named === null ? '*' : SAFE_ACCOUNT_NAME_RE.test(named) ? named : null;
    const line = user === null
      ? notHere(`the user name of uid ${ctx.user.uid ?? '?'} in /etc/passwd is not a plain account name`, `echo 'USER - memlock unlimited' >> /etc/security/limits.d/90-kvm-tui-memlock.conf`)
      : writeConfigLine('/etc/security/limits.d/90-kvm-tui-memlock.conf', `${user} - memlock unlimited`);
    return {
      status: 'info',
      evidence: `${evidence} for uid ${ctx.user.uid ?? '?'}: enough for ordinary VMs, too small for mem-lock=on or passthrough`,
      fix: makeFix({
        persistent: [line, '# then log in again (limits apply to new sessions)'],
        note: 'only for mem-lock=on, VFIO passthrough or SEV guests',
      }),
    };
  },
};

export const MEMORY_CHECKS: Check[] = [hugepages, hugetlbfs, oneGigPages, thp, ksm, swappiness, memlock];
