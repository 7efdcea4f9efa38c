/**
 * Can this host run KVM guests at full speed: CPU extensions, firmware, /dev/kvm, the KVM
 * modules and what backs them, and the user-space tools (QEMU, libvirt).
 *
 * The kvm_pvm case (nested cloud VMs): the CPU shows no vmx/svm, yet /dev/kvm exists because
 * kvm_pvm implements KVM with paravirtualized page tables. virt-host-validate stops at "no
 * hardware virtualization"; we say what actually happens there: KVM opens, guests crawl.
 */
import * as fs from 'node:fs';
import { deviceNodeOnce, installFix, loadModuleFix, makeFix, writeConfigLine } from '../fix.js';
import { quoteShellWord } from '../../shared/shell-quote.js';
import {
  commandsDisabledOutcome,
  groupName,
  missingReason,
  moduleLoaded,
  moduleLoadingBlocked,
  parseKernelBool,
  readCmdline,
  SAFE_ACCOUNT_NAME_RE,
  unknownOutcome,
  userName,
} from '../probe-helpers.js';
import type { Check, ProbeContext } from '../types.js';

const PVM_EXPLANATION =
  'kvm_pvm provides KVM with paravirtualized page tables on a CPU without VT-x/AMD-V (nested cloud VMs): ' +
  '/dev/kvm opens and QEMU accepts -accel kvm, but a guest kernel crawls (the BIOS runs, then almost everything is emulated); ' +
  'boot guests with -accel tcg (kvm-tui: --accel tcg), -accel kvm -S still serves to inspect a paused VM';

interface KvmFacts {
  hwFlag: 'vmx' | 'svm' | null;
  hypervisorFlag: boolean;
  modules: string[];
  vendorModule: 'kvm_intel' | 'kvm_amd' | null;
  pvm: boolean;
  device: boolean;
}

function kvmFacts(ctx: ProbeContext): KvmFacts {
  const flags = ctx.cpuInfo.flags;
  const modules = ['kvm', 'kvm_intel', 'kvm_amd', 'kvm_pvm'].filter((name) => moduleLoaded(ctx.hostFs, name));
  return {
    hwFlag: flags.has('vmx') ? 'vmx' : flags.has('svm') ? 'svm' : null,
    hypervisorFlag: flags.has('hypervisor'),
    modules,
    vendorModule: modules.includes('kvm_intel') ? 'kvm_intel' : modules.includes('kvm_amd') ? 'kvm_amd' : null,
    pvm: modules.includes('kvm_pvm'),
    device: ctx.hostFs.exists('/dev/kvm'),
  };
}

/** The vendor module for this CPU: from the flag when there is one (a Zhaoxin CPU has vmx), else the vendor. */
function vendorModuleName(ctx: ProbeContext): 'kvm_intel' | 'kvm_amd' | null {
  const flags = ctx.cpuInfo.flags;
  if (flags.has('vmx')) return 'kvm_intel';
  if (flags.has('svm')) return 'kvm_amd';
  return ctx.cpuInfo.vendor === 'intel' ? 'kvm_intel' : ctx.cpuInfo.vendor === 'amd' ? 'kvm_amd' : null;
}

/** Tell the user how to get real KVM when the CPU is a VM without nested VT. */
function nestedFix(ctx: ProbeContext, note?: string) {
  const module = vendorModuleName(ctx) ?? 'kvm_intel';
  return makeFix({
    runtime: ['# boot guests with -accel tcg,thread=multi (kvm-tui: --accel tcg) until real KVM is available'],
    persistent: [
      `# on the OUTER host: echo 'options ${module} nested=1' > /etc/modprobe.d/kvm-nested.conf, reload ${module}, and give this VM -cpu host`,
      '# in a cloud: pick an instance type with nested virtualization or a bare-metal host',
    ],
    needsRoot: false,
    note,
  });
}

/**
 * What to do when KVM is missing because the CPU shows no VT-x/AMD-V: the fix of the
 * virt.cpu-flags row (nested virtualization on the outer host, or the firmware switch), so a
 * failing /dev/kvm or module row points at the cause instead of showing nothing.
 */
function noHardwareFix(ctx: ProbeContext, facts: KvmFacts) {
  const note = 'KVM needs VT-x/AMD-V first: the same fix as virt.cpu-flags';
  if (!ctx.cpuInfo.readable) {
    return makeFix({
      runtime: ['# boot guests with -accel tcg,thread=multi (kvm-tui: --accel tcg) until /dev/kvm is available'],
      persistent: ['# run the audit where /proc/cpuinfo is readable: its vmx/svm flag decides whether KVM can work'],
      needsRoot: false,
      note: `/proc/cpuinfo unreadable (${ctx.cpuInfo.reason ?? 'unknown'}): virt.cpu-flags could not tell why KVM is missing`,
    });
  }
  if (ctx.cpuInfo.vendor === 'other') {
    return makeFix({
      runtime: ['# boot guests with -accel tcg,thread=multi (kvm-tui: --accel tcg) until /dev/kvm is available'],
      persistent: ['# use a kernel built with CONFIG_KVM, booted in hypervisor mode (arm64: EL2; check dmesg for "kvm")'],
      reboot: true,
      note: 'not an x86 CPU: KVM is part of the kernel and appears when the kernel starts in hypervisor mode',
    });
  }
  if (facts.hypervisorFlag) return nestedFix(ctx, note);
  return { ...firmwareFix(ctx), note };
}

const cpuFlags: Check = {
  id: 'virt.cpu-flags',
  title: 'CPU virtualization extensions (VT-x / AMD-V)',
  category: 'virtualization',
  needsRoot: false,
  why: 'KVM runs guest code directly on the CPU only with VT-x (vmx) or AMD-V (svm); without them every guest instruction is emulated, 10-50x slower.',
  run(ctx) {
    if (!ctx.cpuInfo.readable) return unknownOutcome(ctx.hostFs, '/proc/cpuinfo');
    if (ctx.cpuInfo.vendor === 'other') {
      return { status: 'info', evidence: `/proc/cpuinfo: vendor ${ctx.cpuInfo.vendorId ?? 'unknown'} (not x86): virtualization support shows as /dev/kvm (see kvm.device)`, fix: null };
    }
    const facts = kvmFacts(ctx);
    if (facts.hwFlag) return { status: 'pass', evidence: `/proc/cpuinfo flags: ${facts.hwFlag}`, fix: null };
    const base = '/proc/cpuinfo flags: no vmx or svm';
    if (facts.pvm && facts.device) {
      // virt-host-validate says FAIL and stops here; KVM does work, only slowly: say which.
      return {
        status: 'warn',
        evidence: `${base}, but /dev/kvm exists, provided by the kvm_pvm module (not VT-x/AMD-V). ${PVM_EXPLANATION}`,
        fix: nestedFix(ctx),
      };
    }
    if (facts.hypervisorFlag) {
      const pvmNote = facts.pvm ? '; kvm_pvm is loaded but registered no /dev/kvm' : '';
      return {
        status: 'fail',
        evidence: `${base}; the hypervisor flag says this host is itself a VM whose hypervisor does not pass VT-x/AMD-V through (nested virtualization off)${pvmNote}`,
        fix: nestedFix(ctx),
      };
    }
    return {
      status: 'fail',
      evidence: `${base} on bare metal: VT-x/AMD-V is disabled in the firmware or absent from this CPU (see virt.firmware)`,
      fix: firmwareFix(ctx),
    };
  },
};

function firmwareFix(ctx: ProbeContext) {
  const setting = ctx.cpuInfo.vendor === 'amd' ? '"SVM Mode" (AMD-V)' : '"Intel Virtualization Technology" (VT-x)';
  return makeFix({
    persistent: [`# reboot into the firmware setup and enable ${setting}; enable VT-d / AMD-Vi (IOMMU) there too for passthrough`],
    needsRoot: false,
    reboot: true,
  });
}

const firmware: Check = {
  id: 'virt.firmware',
  title: 'VT-x / AMD-V enabled in firmware',
  category: 'virtualization',
  needsRoot: false,
  why: 'Firmware can lock VT-x/AMD-V off even when the CPU has it; the kernel then hides vmx (Intel) or kvm_amd refuses to load (AMD), and KVM is unavailable until it is enabled in setup.',
  run(ctx) {
    if (!ctx.cpuInfo.readable) return unknownOutcome(ctx.hostFs, '/proc/cpuinfo');
    if (ctx.cpuInfo.vendor === 'other') return { status: 'info', evidence: 'not an x86 CPU: no firmware VT switch to read', fix: null };
    const facts = kvmFacts(ctx);
    if (facts.hwFlag === 'vmx') {
      // Since Linux 5.6 the kernel clears the vmx flag when IA32_FEAT_CTL locks VMX off.
      return { status: 'pass', evidence: '/proc/cpuinfo: vmx present (the kernel hides it when firmware locks VMX off)', fix: null };
    }
    if (facts.hwFlag === 'svm') {
      // AMD keeps the svm flag when firmware sets VM_CR.SVMDIS; kvm_amd loading proves it is on.
      if (facts.vendorModule === 'kvm_amd') return { status: 'pass', evidence: '/proc/cpuinfo: svm; kvm_amd is loaded (it refuses to load when firmware disabled SVM)', fix: null };
      return { status: 'info', evidence: '/proc/cpuinfo: svm, but kvm_amd is not loaded: whether firmware disabled SVM shows only when it loads (dmesg: "SVM disabled (by BIOS)")', fix: null };
    }
    if (facts.hypervisorFlag) {
      return { status: 'info', evidence: 'no vmx/svm and this host is a VM: the outer hypervisor, not firmware, decides (see virt.cpu-flags)', fix: null };
    }
    return { status: 'fail', evidence: 'no vmx/svm on bare metal: VT-x/AMD-V disabled in firmware (or a CPU without it)', fix: firmwareFix(ctx) };
  },
};

const kvmDevice: Check = {
  id: 'kvm.device',
  title: '/dev/kvm present and usable',
  category: 'virtualization',
  needsRoot: true,
  why: 'QEMU opens /dev/kvm for -accel kvm; without read-write access to it QEMU falls back to (or demands) TCG emulation.',
  run(ctx) {
    const facts = kvmFacts(ctx);
    if (!facts.device) {
      let reason: string;
      let fix;
      if (facts.pvm) reason = 'the kvm_pvm module is loaded but registered no /dev/kvm';
      else if (facts.modules.length === 0) reason = 'no kvm module is loaded';
      else if (!facts.vendorModule && facts.modules.includes('kvm')) reason = 'kvm is loaded without kvm_intel/kvm_amd';
      else reason = 'no device node (no udev to create it?)';
      const module = vendorModuleName(ctx);
      if (!facts.hwFlag || module === null) {
        fix = noHardwareFix(ctx, facts);
      } else if (!facts.vendorModule) {
        fix = loadModuleFix(module, { bootFile: 'kvm', applicable: false, blocked: moduleLoadingBlocked(ctx.hostFs) });
      } else {
        // Module loaded but no node: the device exists in sysfs; create the node by hand.
        fix = makeFix({ runtime: [deviceNodeOnce('/dev/kvm', 10, 232, 'kvm')], persistent: ['# install udev (its rules create /dev/kvm at boot)'] });
      }
      return { status: 'fail', evidence: `/dev/kvm: ${missingReason(ctx.hostFs, '/dev/kvm')}: ${reason}${facts.hwFlag ? '' : ' (see virt.cpu-flags)'}`, fix };
    }
    if (ctx.capturedRoot) {
      // A capture records that the node exists, not who may open it.
      return { status: 'pass', evidence: '/dev/kvm exists (captured host: access for this user cannot be checked)', fix: null };
    }
    const stat = ctx.hostFs.stat('/dev/kvm');
    if (stat && !stat.isCharacterDevice()) {
      return { status: 'fail', evidence: '/dev/kvm exists but is not a character device', fix: makeFix({ runtime: [deviceNodeOnce('/dev/kvm', 10, 232, 'kvm')] }) };
    }
    const device = stat ? `char device ${major(stat.rdev)}:${minor(stat.rdev)}, mode ${(stat.mode & 0o777).toString(8)}` : 'char device';
    if (ctx.hostFs.canAccess('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK)) {
      return { status: 'pass', evidence: `/dev/kvm: ${device}, read-write for uid ${ctx.user.uid ?? '?'}`, fix: null };
    }
    // Only plain account names go into the command (quoted as well); else the user's own $USER.
    const namedGroup = stat ? groupName(ctx.hostFs, stat.gid) : 'kvm';
    const group = namedGroup !== null && SAFE_ACCOUNT_NAME_RE.test(namedGroup) ? namedGroup : null;
    const groupText = group ?? `gid ${stat?.gid ?? '?'}`;
    const namedUser = userName(ctx.hostFs, ctx.user.uid);
    const user = namedUser !== null && SAFE_ACCOUNT_NAME_RE.test(namedUser) ? namedUser : '$USER';
    const who = user === '$USER' ? '"$USER"' : quoteShellWord(user);
    return {
      status: 'fail',
      evidence: `/dev/kvm: ${device}, group ${groupText}: not read-write for uid ${ctx.user.uid ?? '?'} (not in group ${groupText})`,
      fix: makeFix({
        persistent: group !== null
          ? [`usermod -aG ${quoteShellWord(group)} ${who}`, '# then log out and in again (group membership is read at login)']
          // No plain name for the device's group: say what to do rather than name a wrong group.
          : [`# /dev/kvm belongs to ${groupText}, which has no plain name in /etc/group: add the user to that group, or give the node to the kvm group (udev rule KERNEL=="kvm", GROUP="kvm", MODE="0660")`],
      }),
    };
  },
};

function major(rdev: number): number {
  return (rdev >> 8) & 0xfff;
}
function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
}

const kvmModules: Check = {
  id: 'kvm.modules',
  title: 'KVM kernel modules',
  category: 'virtualization',
  needsRoot: true,
  why: 'KVM is the generic kvm module plus a vendor module (kvm_intel or kvm_amd) that drives VT-x/AMD-V; both must be loaded for /dev/kvm to exist.',
  run(ctx) {
    const facts = kvmFacts(ctx);
    const loaded = facts.modules.length > 0 ? `loaded: ${facts.modules.join(', ')}` : 'no kvm module in /sys/module';
    if (facts.vendorModule || facts.pvm) return { status: 'pass', evidence: `/sys/module: ${loaded}`, fix: null };
    if (facts.modules.includes('kvm') && ctx.cpuInfo.vendor === 'other') {
      return { status: 'pass', evidence: `/sys/module: ${loaded} (built into the kernel on this architecture)`, fix: null };
    }
    const module = vendorModuleName(ctx);
    const blocked = moduleLoadingBlocked(ctx.hostFs);
    const fix = facts.hwFlag && module
      ? loadModuleFix(module, { bootFile: 'kvm', applicable: false, blocked })
      : noHardwareFix(ctx, facts);
    return { status: 'fail', evidence: `/sys/module: ${loaded}${facts.hwFlag || !ctx.cpuInfo.readable ? '' : ' (no vmx/svm: see virt.cpu-flags)'}`, fix };
  },
};

const kvmBackend: Check = {
  id: 'kvm.backend',
  title: 'KVM backed by VT-x / AMD-V (not kvm_pvm)',
  category: 'virtualization',
  needsRoot: false,
  why: 'Only KVM on VT-x/AMD-V runs guests at near-native speed; kvm_pvm (nested cloud VMs) opens /dev/kvm too, but guest kernels under it barely progress.',
  run(ctx) {
    const facts = kvmFacts(ctx);
    if (facts.vendorModule) {
      return { status: 'pass', evidence: `${facts.vendorModule}: hardware ${facts.vendorModule === 'kvm_intel' ? 'VT-x' : 'AMD-V'}`, fix: null };
    }
    if (facts.pvm) {
      const nestedPvm = readCmdline(ctx.hostFs)?.params.get('nested_pvm');
      const cmdline = nestedPvm !== undefined ? ` (kernel command line: nested_pvm=${nestedPvm})` : '';
      const evidence = facts.device
        ? `/sys/module/kvm_pvm: loaded${cmdline}, /dev/kvm exists. ${PVM_EXPLANATION}`
        : `/sys/module/kvm_pvm: loaded${cmdline}, but it registered no /dev/kvm, so KVM is not usable here. kvm_pvm is KVM on paravirtualized page tables for CPUs without VT-x/AMD-V (nested cloud VMs); even where it provides /dev/kvm, guest kernels under it crawl: boot guests with -accel tcg (kvm-tui: --accel tcg)`;
      return { status: 'warn', evidence, fix: nestedFix(ctx) };
    }
    if (facts.modules.includes('kvm') && ctx.cpuInfo.vendor === 'other') {
      return { status: 'pass', evidence: 'kvm built in (non-x86 hardware virtualization)', fix: null };
    }
    return { status: 'skip', evidence: 'no KVM backend loaded, nothing to classify (see kvm.modules)', fix: null };
  },
};

const kvmNested: Check = {
  id: 'kvm.nested',
  title: 'Nested virtualization parameter',
  category: 'virtualization',
  needsRoot: true,
  why: 'nested=1 lets guests run their own KVM; it only matters for VMs that host VMs, and costs nothing otherwise.',
  run(ctx) {
    const facts = kvmFacts(ctx);
    if (!facts.vendorModule) return { status: 'skip', evidence: facts.pvm ? 'kvm_pvm has no nested parameter' : 'no kvm_intel/kvm_amd module loaded', fix: null };
    const file = `/sys/module/${facts.vendorModule}/parameters/nested`;
    const value = ctx.hostFs.readLine(file);
    if (value === null) return unknownOutcome(ctx.hostFs, file);
    const on = parseKernelBool(value);
    if (on) return { status: 'info', evidence: `${file}: ${value} (guests can run KVM)`, fix: null };
    return {
      status: 'info',
      evidence: `${file}: ${value} (guests cannot run KVM themselves)`,
      fix: makeFix({
        runtime: [`grep -qxE 'Y|1' ${file} || { modprobe -r ${facts.vendorModule}; modprobe ${facts.vendorModule} nested=1; }`],
        persistent: [writeConfigLine('/etc/modprobe.d/kvm-nested.conf', `options ${facts.vendorModule} nested=1`)],
        note: 'only if you want VMs inside VMs; reloading the module needs every VM stopped',
      }),
    };
  },
};

const haltPoll: Check = {
  id: 'kvm.halt-poll',
  title: 'KVM halt polling',
  category: 'virtualization',
  needsRoot: true,
  why: 'When a vCPU halts, KVM spins up to halt_poll_ns before sleeping: a wake-up inside that window skips a full context switch (lower latency) at the price of host CPU time.',
  run(ctx) {
    const file = '/sys/module/kvm/parameters/halt_poll_ns';
    if (!moduleLoaded(ctx.hostFs, 'kvm')) return { status: 'skip', evidence: 'kvm module not loaded', fix: null };
    const value = ctx.hostFs.readInt(file);
    if (value === null) return unknownOutcome(ctx.hostFs, file);
    if (value > 0) return { status: 'pass', evidence: `${file}: ${value} ns`, fix: null };
    return {
      status: 'info',
      evidence: `${file}: 0 (disabled: no host CPU burnt polling, but each vCPU wake-up pays a full sleep/wake)`,
      fix: makeFix({
        runtime: ['echo 200000 > /sys/module/kvm/parameters/halt_poll_ns'],
        persistent: [writeConfigLine('/etc/modprobe.d/kvm-halt-poll.conf', 'options kvm halt_poll_ns=200000')],
        note: '200000 ns is the kernel default; keep 0 on hosts where idle power matters more than latency',
      }),
    };
  },
};

const nxHugePages: Check = {
  id: 'kvm.nx-huge-pages',
  title: 'KVM NX huge pages (iTLB multihit mitigation)',
  category: 'virtualization',
  needsRoot: true,
  why: "On CPUs affected by iTLB multihit, KVM splits guests' executable huge pages into 4K pages, costing a few percent on code-heavy guests; it protects the host from a malicious guest.",
  run(ctx) {
    const file = '/sys/module/kvm/parameters/nx_huge_pages';
    if (!moduleLoaded(ctx.hostFs, 'kvm')) return { status: 'skip', evidence: 'kvm module not loaded', fix: null };
    const value = ctx.hostFs.readLine(file);
    if (value === null) return unknownOutcome(ctx.hostFs, file);
    const vuln = ctx.hostFs.readLine('/sys/devices/system/cpu/vulnerabilities/itlb_multihit');
    const vulnText = vuln === null ? '' : `; itlb_multihit: ${vuln}`;
    const on = parseKernelBool(value) ?? value === 'force';
    if (!on) return { status: 'pass', evidence: `${file}: ${value} (guest code keeps huge pages)${vulnText}`, fix: null };
    return {
      status: 'info',
      evidence: `${file}: ${value} (executable guest huge pages are split)${vulnText}`,
      fix: makeFix({
        runtime: ['echo off > /sys/module/kvm/parameters/nx_huge_pages'],
        persistent: ['# add kvm.nx_huge_pages=off to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub)'],
        reboot: true,
        note: 'only when every guest is trusted: this removes a host-protection mitigation',
      }),
    };
  },
};

/** The QEMU system emulator name for this machine's architecture. */
function qemuBinaryName(): string {
  const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch === 'ppc64' ? 'ppc64' : process.arch;
  return `qemu-system-${arch}`;
}

/** Debian's qemu-system package per emulator (the x86 one also carries qemu-system-i386). */
const DEBIAN_QEMU_PACKAGE: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-system-aarch64': 'qemu-system-arm',
  'qemu-system-ppc64': 'qemu-system-ppc',
  'qemu-system-s390x': 'qemu-system-s390x',
};

function qemuInstallFix(ctx: ProbeContext, name: string) {
  const debian = DEBIAN_QEMU_PACKAGE[name] ?? 'qemu-system';
  // The guard is what the check looks for: the emulator on PATH, or RHEL's qemu-kvm.
  const present = `command -v ${quoteShellWord(name)} >/dev/null 2>&1 || [ -x /usr/libexec/qemu-kvm ]`;
  return installFix(ctx.distro, present, {
    debian: [debian, 'qemu-utils'],
    fedora: ['qemu-kvm'],
    suse: [name === 'qemu-system-x86_64' ? 'qemu-x86' : 'qemu', 'qemu-tools'],
    arch: ['qemu-base'],
  });
}

const qemu: Check = {
  id: 'qemu.binary',
  title: 'QEMU system emulator',
  category: 'virtualization',
  needsRoot: true,
  runsCommands: true,
  why: 'kvm-tui launches VMs with qemu-system directly; its version decides which options work (QMP query-cpus-fast, -accel, debug-threads).',
  async run(ctx) {
    if (ctx.run === null) return commandsDisabledOutcome(ctx);
    const name = qemuBinaryName();
    // RHEL-family hosts ship the KVM-only build outside PATH.
    const binary = ctx.which(name) ?? ctx.which('/usr/libexec/qemu-kvm');
    if (binary === null) return { status: 'fail', evidence: `${name}: not found in PATH`, fix: qemuInstallFix(ctx, name) };
    const version = await ctx.versionOf(binary, [binary, '--version']);
    if (version.text === null) return { status: 'skip', evidence: `${binary} --version: ${version.error}`, fix: null };
    const match = /version\s+(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.text);
    if (!match) {
      return {
        status: 'warn',
        evidence: `${binary} --version: unrecognised output "${version.text.split('\n')[0]}"`,
        fix: makeFix({
          runtime: [`# check what ${quoteShellWord(binary)} is (a wrapper script?): QEMU prints "QEMU emulator version X.Y.Z"`],
          persistent: ["# reinstall QEMU from your distribution's packages"],
          needsRoot: false,
        }),
      };
    }
    const majorVersion = Number(match[1]);
    const evidence = `${binary} --version: ${match[0].replace(/^version\s+/, 'QEMU ')}${version.cached ? ' (cached)' : ''}`;
    if (majorVersion < 6) {
      return { status: 'warn', evidence: `${evidence}: older than 6.0, some generated options may be refused`, fix: makeFix({ runtime: ['# upgrade QEMU to 6.0 or newer (a newer distribution release, or its backports)'] }) };
    }
    return { status: 'pass', evidence, fix: null };
  },
};

const libvirt: Check = {
  id: 'libvirt.virsh',
  title: 'libvirt client (virsh)',
  category: 'virtualization',
  needsRoot: true,
  runsCommands: true,
  why: 'The libvirt backend (--connect) defines and starts domains through virsh; the direct QEMU backend works without it.',
  async run(ctx) {
    if (ctx.run === null) return commandsDisabledOutcome(ctx);
    const binary = ctx.which('virsh');
    if (binary === null) {
      return {
        status: 'info',
        evidence: 'virsh: not found in PATH (only needed for --connect)',
        fix: installFix(ctx.distro, 'command -v virsh >/dev/null 2>&1', {
          debian: ['libvirt-clients', 'libvirt-daemon-driver-qemu'],
          fedora: ['libvirt-client', 'libvirt-daemon-driver-qemu'],
          suse: ['libvirt-client', 'libvirt-daemon-driver-qemu'],
          arch: ['libvirt'],
        }),
      };
    }
    const version = await ctx.versionOf(binary, [binary, '--version']);
    if (version.text === null) return { status: 'skip', evidence: `${binary} --version: ${version.error}`, fix: null };
    const text = version.text.trim().split('\n')[0]!;
    if (!/^\d+\.\d+/.test(text)) {
      return {
        status: 'warn',
        evidence: `${binary} --version: unrecognised output "${text}"`,
        fix: makeFix({
          runtime: [`# check what ${quoteShellWord(binary)} is (a wrapper script?): virsh --version prints the libvirt version, e.g. 9.0.0`],
          persistent: ["# reinstall the libvirt client from your distribution's packages"],
          needsRoot: false,
        }),
      };
    }
    return { status: 'pass', evidence: `${binary} --version: libvirt ${text}${version.cached ? ' (cached)' : ''}`, fix: null };
  },
};

export const VIRTUALIZATION_CHECKS: Check[] = [cpuFlags, firmware, kvmDevice, kvmModules, kvmBackend, kvmNested, haltPoll, nxHugePages, qemu, libvirt];
