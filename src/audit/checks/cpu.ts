/**
 * Host CPU settings that decide vCPU latency and throughput: frequency governor and EPP, idle
 * states, SMT, isolation (isolcpus / nohz_full / rcu_nocbs), NUMA balancing, irqbalance and the
 * tuned profile that usually sets all of these.
 */
import { CpuListError, formatCpuList, parseCpuList, parseCpuMask } from '../../host/cpulist.js';
import { makeFix, sysctlStep, writeConfigLine, writeFileStep } from '../fix.js';
import { cmdlineEvidence, readCmdline, summarizeValues, unknownOutcome } from '../probe-helpers.js';
import type { Check, ProbeContext } from '../types.js';

const CPU_DIR = '/sys/devices/system/cpu';

/** Online CPUs from the topology, else the cpuN directories. */
function onlineCpus(ctx: ProbeContext): number[] {
  if (ctx.topology) return ctx.topology.online;
  return ctx.hostFs
    .list(CPU_DIR)
    .filter((name) => /^cpu\d+$/.test(name))
    .map((name) => Number(name.slice(3)));
}

/** One value per online CPU that has the file; missing files are left out. */
function perCpu(ctx: ProbeContext, relative: string): { cpu: number; file: string; value: string }[] {
  const out: { cpu: number; file: string; value: string }[] = [];
  for (const cpu of onlineCpus(ctx)) {
    const file = `${CPU_DIR}/cpu${cpu}/${relative}`;
    const value = ctx.hostFs.readLine(file);
    if (value !== null) out.push({ cpu, file, value });
  }
  return out;
}

const governor: Check = {
  id: 'cpu.governor',
  title: 'CPU frequency governor',
  category: 'cpu',
  needsRoot: true,
  why: 'Power-saving governors ramp the clock up only after load appears, so a vCPU waking from idle runs slow for milliseconds; "performance" keeps it at full speed.',
  run(ctx) {
    const values = perCpu(ctx, 'cpufreq/scaling_governor');
    if (values.length === 0) {
      return { status: 'info', evidence: `${CPU_DIR}/cpu*/cpufreq: none (no cpufreq driver: the firmware or a hypervisor sets the frequency)`, fix: null };
    }
    const driver = ctx.hostFs.readLine(`${CPU_DIR}/cpu${values[0]!.cpu}/cpufreq/scaling_driver`);
    const evidence = `scaling_governor: ${summarizeValues(values.map((entry) => entry.value))}${driver ? ` (driver ${driver})` : ''}`;
    const slow = values.filter((entry) => entry.value !== 'performance');
    if (slow.length === 0) return { status: 'pass', evidence, fix: null };
    const available = ctx.hostFs.readLine(`${CPU_DIR}/cpu${slow[0]!.cpu}/cpufreq/scaling_available_governors`);
    const canSet = available === null || available.split(/\s+/).includes('performance');
    return {
      status: 'warn',
      evidence: `${evidence} on CPUs ${formatCpuList(slow.map((entry) => entry.cpu))}`,
      fix: makeFix({
        steps: [writeFileStep(slow.map((entry) => entry.file), 'performance')],
        persistent: ['# at boot: tuned-adm profile virtual-host, or cpupower frequency-set -g performance from a boot service'],
        applicable: canSet,
        note: canSet ? undefined : `available governors: ${available}`,
      }),
    };
  },
};

const epp: Check = {
  id: 'cpu.epp',
  title: 'Energy-performance preference',
  category: 'cpu',
  needsRoot: true,
  why: 'With intel_pstate / amd-pstate in active mode the EPP hint, not the governor, steers how eagerly the CPU clocks up; "performance" favours vCPU latency.',
  run(ctx) {
    const values = perCpu(ctx, 'cpufreq/energy_performance_preference');
    if (values.length === 0) return { status: 'info', evidence: 'energy_performance_preference: not exposed (no pstate driver in active mode)', fix: null };
    const evidence = `energy_performance_preference: ${summarizeValues(values.map((entry) => entry.value))}`;
    const other = values.filter((entry) => entry.value !== 'performance');
    if (other.length === 0) return { status: 'pass', evidence, fix: null };
    return {
      status: 'info',
      evidence,
      fix: makeFix({
        steps: [writeFileStep(other.map((entry) => entry.file), 'performance')],
        persistent: ['# at boot: tuned-adm profile virtual-host (sets EPP with the governor)'],
        note: 'the kernel refuses EPP writes while the governor is "performance" (EPP is then fixed at performance)',
      }),
    };
  },
};

/** Idle states above this exit latency make a sleeping vCPU thread noticeably slow to wake. */
const DEEP_IDLE_LATENCY_US = 20;

const idle: Check = {
  id: 'cpu.idle',
  title: 'CPU idle states (exit latency)',
  category: 'cpu',
  needsRoot: true,
  why: 'A halted vCPU thread sleeps in a host idle state; waking from a deep C-state adds its exit latency (up to hundreds of µs) to every guest interrupt.',
  run(ctx) {
    const driver = ctx.hostFs.readLine(`${CPU_DIR}/cpuidle/current_driver`);
    const cpus = onlineCpus(ctx);
    const firstCpu = cpus[0] ?? 0;
    const dir = `${CPU_DIR}/cpu${firstCpu}/cpuidle`;
    const states = ctx.hostFs
      .list(dir)
      .filter((name) => /^state\d+$/.test(name))
      .map((name) => ({
        name: ctx.hostFs.readLine(`${dir}/${name}/name`) ?? name,
        latencyUs: ctx.hostFs.readInt(`${dir}/${name}/latency`),
        disabled: ctx.hostFs.readLine(`${dir}/${name}/disable`) === '1',
        index: name,
      }));
    if (states.length === 0) {
      return { status: 'info', evidence: `cpuidle driver: ${driver ?? 'unknown'}; no idle states exposed (${dir}: ${ctx.hostFs.why(dir)})`, fix: null };
    }
    const list = states.map((state) => `${state.name} ${state.latencyUs ?? '?'}µs${state.disabled ? ' (disabled)' : ''}`).join(', ');
    const evidence = `cpuidle driver ${driver ?? 'unknown'}, cpu${firstCpu}: ${list}`;
    const deep = states.filter((state) => !state.disabled && (state.latencyUs ?? 0) > DEEP_IDLE_LATENCY_US);
    if (deep.length === 0) return { status: 'pass', evidence, fix: null };
    const files = cpus.flatMap((cpu) => deep.map((state) => `${CPU_DIR}/cpu${cpu}/cpuidle/${state.index}/disable`));
    return {
      status: 'info',
      evidence: `${evidence}; deepest enabled: ${deep.at(-1)!.name} ${deep.at(-1)!.latencyUs}µs`,
      fix: makeFix({
        steps: [writeFileStep(files, '1')],
        persistent: [
          `# for latency-critical VMs: add ${driver === 'intel_idle' ? 'intel_idle.max_cstate=1' : 'processor.max_cstate=1'} to the kernel command line, or tuned-adm profile realtime-virtual-host`,
        ],
        reboot: true,
        note: 'costs idle power and turbo headroom: only for latency-sensitive guests',
      }),
    };
  },
};

const smt: Check = {
  id: 'cpu.smt',
  title: 'Simultaneous multithreading (SMT)',
  category: 'cpu',
  needsRoot: true,
  why: 'SMT siblings share one core: two busy vCPUs on siblings each get ~60% of a core. Pin sibling pairs to one VM (matching its guest topology) or keep other work off them.',
  run(ctx) {
    const control = ctx.hostFs.readLine(`${CPU_DIR}/smt/control`);
    const active = ctx.hostFs.readLine(`${CPU_DIR}/smt/active`);
    const threads = ctx.topology ? Math.max(1, ...ctx.topology.cpus.filter((cpu) => cpu.online).map((cpu) => cpu.siblings.length)) : null;
    if (control === null && threads === null) return unknownOutcome(ctx.hostFs, `${CPU_DIR}/smt/control`);
    const parts = [
      control !== null ? `smt/control: ${control}` : null,
      active !== null ? `active: ${active}` : null,
      threads !== null ? `${threads} thread${threads === 1 ? '' : 's'} per core` : null,
    ].filter(Boolean);
    return { status: 'info', evidence: parts.join('; '), fix: null };
  },
};

/** CPUs of an isolcpus value, whose leading words may be flags ("managed_irq,domain,2-7"). */
function parseIsolcpus(value: string): number[] | null {
  const list = value
    .split(',')
    .filter((part) => /^[\d-:/]+$/.test(part))
    .join(',');
  if (!list) return null;
  try {
    return parseCpuList(list);
  } catch (error) {
    if (error instanceof CpuListError) return null;
    throw error;
  }
}

function sameSet(a: number[] | null, b: number[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((cpu, index) => cpu === b[index]);
}

const isolation: Check = {
  id: 'cpu.isolation',
  title: 'CPU isolation (isolcpus, nohz_full, rcu_nocbs)',
  category: 'cpu',
  needsRoot: true,
  why: 'Isolated CPUs run no host tasks, and with nohz_full and rcu_nocbs no timer tick or RCU callbacks either: pinned vCPUs there get the core to themselves (cpu-partitioning profile).',
  run(ctx) {
    const cmdline = readCmdline(ctx.hostFs);
    if (cmdline === null) return unknownOutcome(ctx.hostFs, '/proc/cmdline');
    const isolated = ctx.topology?.isolated ?? [];
    const isolcpus = cmdline.params.has('isolcpus') ? parseIsolcpus(cmdline.params.get('isolcpus')!) : null;
    const nohz = cmdline.params.has('nohz_full') ? parseIsolcpus(cmdline.params.get('nohz_full')!) : null;
    const rcu = cmdline.params.has('rcu_nocbs') ? parseIsolcpus(cmdline.params.get('rcu_nocbs')!) : null;
    const evidence = `/proc/cmdline: ${cmdlineEvidence(cmdline, ['isolcpus', 'nohz_full', 'rcu_nocbs'])}; ${CPU_DIR}/isolated: ${isolated.length > 0 ? formatCpuList(isolated) : '(none)'}`;
    const isolatedSet = isolated.length > 0 ? isolated : isolcpus;
    if (isolatedSet === null || isolatedSet.length === 0) {
      const suggestion = suggestIsolation(ctx);
      return {
        status: 'info',
        evidence: `${evidence}: host tasks and vCPUs share every CPU (fine unless a VM needs low latency)`,
        fix: suggestion
          ? makeFix({
              persistent: [`# for latency-critical pinned VMs: add isolcpus=managed_irq,domain,${suggestion} nohz_full=${suggestion} rcu_nocbs=${suggestion} to GRUB_CMDLINE_LINUX, update-grub (or tuned-adm profile cpu-partitioning)`],
              reboot: true,
              note: 'keeps the first core of each NUMA node for the host; pin only VMs to the isolated CPUs',
            })
          : null,
      };
    }
    const list = formatCpuList(isolatedSet);
    const missing = [!sameSet(nohz, isolatedSet) ? 'nohz_full' : null, !sameSet(rcu, isolatedSet) ? 'rcu_nocbs' : null].filter(Boolean);
    if (missing.length > 0) {
      return {
        status: 'warn',
        evidence: `${evidence}: isolated CPUs ${list} without matching ${missing.join(' and ')} (the tick / RCU callbacks still interrupt them)`,
        fix: makeFix({
          persistent: [`# set ${missing.map((name) => `${name}=${list}`).join(' ')} on the kernel command line (GRUB_CMDLINE_LINUX), update-grub`],
          reboot: true,
        }),
      };
    }
    return { status: 'pass', evidence: `${evidence}: CPUs ${list} isolated with nohz_full and rcu_nocbs`, fix: null };
  },
};

/** All online CPUs but the first core (with its siblings) of each node, or null when too few. */
function suggestIsolation(ctx: ProbeContext): string | null {
  const topology = ctx.topology;
  if (!topology) return null;
  const housekeeping = new Set<number>();
  for (const node of topology.nodes) {
    const first = node.cpus[0];
    if (first === undefined) continue;
    for (const sibling of topology.cpus.find((cpu) => cpu.cpu === first)?.siblings ?? [first]) housekeeping.add(sibling);
  }
  const rest = topology.online.filter((cpu) => !housekeeping.has(cpu));
  return rest.length >= 2 ? formatCpuList(rest) : null;
}

const numaBalancing: Check = {
  id: 'cpu.numa-balancing',
  title: 'Automatic NUMA balancing',
  category: 'cpu',
  needsRoot: true,
  why: 'NUMA balancing unmaps guest memory to sample accesses and migrates it: helpful for unpinned VMs, pure overhead (page faults, migrations) for VMs pinned with their memory bound to a node.',
  run(ctx) {
    const file = '/proc/sys/kernel/numa_balancing';
    const value = ctx.hostFs.readInt(file);
    if (value === null) {
      if (ctx.hostFs.why(file) === 'missing') return { status: 'info', evidence: `${file}: missing (kernel without NUMA balancing)`, fix: null };
      return unknownOutcome(ctx.hostFs, file);
    }
    const nodes = ctx.topology?.nodes.length ?? null;
    if (value === 0) return { status: 'pass', evidence: `${file}: 0 (off)`, fix: null };
    if (nodes === 1) return { status: 'info', evidence: `${file}: ${value}, one NUMA node: nothing to migrate`, fix: null };
    return {
      status: 'warn',
      evidence: `${file}: ${value} on ${nodes ?? 'several'} NUMA nodes`,
      fix: makeFix({
        steps: [sysctlStep('kernel.numa_balancing', '0')],
        persistent: [writeConfigLine('/etc/sysctl.d/80-kvm-tui-numa.conf', 'kernel.numa_balancing = 0')],
        note: 'when your VMs are pinned with memory bound to their node (kvm-tui plans do that)',
      }),
    };
  },
};

/** Processes named `comm`, by scanning /proc/PID/comm (files, not a spawned pgrep). */
function findProcesses(ctx: ProbeContext, comm: string): number[] {
  return ctx.hostFs
    .list('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => ctx.hostFs.readLine(`/proc/${pid}/comm`) === comm)
    .map(Number);
}

const irqbalance: Check = {
  id: 'cpu.irqbalance',
  title: 'irqbalance and isolated CPUs',
  category: 'cpu',
  needsRoot: true,
  why: 'irqbalance spreads device interrupts over CPUs; it must keep them off CPUs reserved for vCPUs (IRQBALANCE_BANNED_CPULIST, automatic for isolcpus since 1.8).',
  run(ctx) {
    const pids = findProcesses(ctx, 'irqbalance');
    const isolated = ctx.topology?.isolated ?? [];
    if (pids.length === 0) {
      return {
        status: 'info',
        evidence: `/proc/*/comm: irqbalance not running: IRQs stay where the kernel placed them${isolated.length > 0 ? '' : ' (often all on CPU 0)'}`,
        fix: null,
      };
    }
    const running = `irqbalance running (pid ${pids.join(', ')})`;
    if (isolated.length === 0) return { status: 'pass', evidence: running, fix: null };
    const banned = readBannedCpus(ctx);
    const notBanned = isolated.filter((cpu) => !banned.cpus.includes(cpu));
    if (notBanned.length === 0) return { status: 'pass', evidence: `${running}; ${banned.source} bans ${formatCpuList(banned.cpus)}`, fix: null };
    return {
      status: 'warn',
      evidence: `${running}; isolated CPUs ${formatCpuList(notBanned)} not banned in ${banned.source} (irqbalance before 1.8 sends IRQs there)`,
      fix: makeFix({
        persistent: [`# set IRQBALANCE_BANNED_CPULIST=${formatCpuList(isolated)} in /etc/default/irqbalance (or /etc/sysconfig/irqbalance), then restart irqbalance`],
      }),
    };
  },
};

function readBannedCpus(ctx: ProbeContext): { source: string; cpus: number[] } {
  for (const file of ['/etc/default/irqbalance', '/etc/sysconfig/irqbalance']) {
    const text = ctx.hostFs.read(file);
    if (text === null) continue;
    const list = /^\s*IRQBALANCE_BANNED_CPULIST\s*=\s*"?([^"\n]*)"?/m.exec(text)?.[1];
    const mask = /^\s*IRQBALANCE_BANNED_CPUS\s*=\s*"?([^"\n]*)"?/m.exec(text)?.[1];
    try {
      if (list) return { source: file, cpus: parseCpuList(list.trim()) };
      if (mask) return { source: file, cpus: parseCpuMask(mask.trim()) };
    } catch (error) {
      if (!(error instanceof CpuListError)) throw error;
    }
    return { source: file, cpus: [] };
  }
  return { source: '/etc/default/irqbalance', cpus: [] };
}

const GOOD_TUNED_PROFILES = new Set(['virtual-host', 'cpu-partitioning', 'realtime-virtual-host', 'latency-performance', 'throughput-performance']);

const tuned: Check = {
  id: 'cpu.tuned',
  title: 'tuned profile',
  category: 'cpu',
  needsRoot: true,
  why: "tuned's virtual-host and cpu-partitioning profiles apply most of these settings (governor, swappiness, isolation) consistently and at every boot.",
  run(ctx) {
    const file = '/etc/tuned/active_profile';
    const profile = ctx.hostFs.readLine(file);
    if (profile === null) {
      const installed = ctx.hostFs.exists('/etc/tuned');
      return { status: 'info', evidence: installed ? `${file}: ${ctx.hostFs.why(file)} (tuned installed, no profile active)` : '/etc/tuned: missing (tuned not installed; optional)', fix: null };
    }
    const names = profile.split(/\s+/).filter(Boolean);
    if (names.some((name) => GOOD_TUNED_PROFILES.has(name))) return { status: 'pass', evidence: `${file}: ${profile}`, fix: null };
    return {
      status: 'info',
      evidence: `${file}: ${profile || '(empty)'}`,
      fix: makeFix({ runtime: [`grep -qxF virtual-host ${file} || tuned-adm profile virtual-host`], note: 'cpu-partitioning when you isolate CPUs for pinned VMs' }),
    };
  },
};

export const CPU_CHECKS: Check[] = [governor, epp, idle, smt, isolation, numaBalancing, irqbalance, tuned];
