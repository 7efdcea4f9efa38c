/**
 * Devices a fast VM uses: vhost-net and tun for networking, an IOMMU for passthrough, and the
 * confidential-computing extensions (AMD SEV, Intel TDX) where the CPU has them.
 */
import * as fs from 'node:fs';
import { deviceNodeOnce, loadModuleFix, makeFix, writeConfigLine } from '../fix.js';
import { cmdlineEvidence, missingReason, moduleLoaded, moduleLoadingBlocked, moduleParam, parseKernelBool, readCmdline, unknownOutcome } from '../probe-helpers.js';
import type { Check } from '../types.js';

const vhostNet: Check = {
  id: 'dev.vhost-net',
  title: 'vhost-net (in-kernel virtio-net datapath)',
  category: 'devices',
  needsRoot: true,
  why: 'With vhost=on the host kernel moves virtio-net packets itself instead of a QEMU thread: higher throughput, lower latency and less CPU per packet.',
  run(ctx) {
    if (ctx.hostFs.exists('/dev/vhost-net')) {
      const module = moduleLoaded(ctx.hostFs, 'vhost_net') ? 'vhost_net loaded' : 'vhost_net built in';
      return { status: 'pass', evidence: `/dev/vhost-net exists (${module})`, fix: null };
    }
    const blocked = moduleLoadingBlocked(ctx.hostFs);
    const loaded = moduleLoaded(ctx.hostFs, 'vhost_net');
    const module = loaded ? 'the vhost_net module is loaded yet no device node exists' : 'module vhost_net not loaded';
    return {
      status: 'warn',
      evidence: `/dev/vhost-net: ${missingReason(ctx.hostFs, '/dev/vhost-net')}; ${module}${blocked ? `; ${blocked}` : ''} (tap networking must use vhost=off)`,
      // Loaded without a node (no udev): modprobe would do nothing, the node is what is missing.
      fix: loaded
        ? makeFix({ runtime: [deviceNodeOnce('/dev/vhost-net', 10, 238, null)], persistent: ['# install udev (its rules create /dev/vhost-net at boot)'] })
        : loadModuleFix('vhost_net', {
            applicable: blocked === null,
            blocked,
            note: blocked ? `${blocked}: needs a kernel built with CONFIG_VHOST_NET` : undefined,
          }),
    };
  },
};

const tun: Check = {
  id: 'dev.tun',
  title: '/dev/net/tun (tap networking)',
  category: 'devices',
  needsRoot: true,
  why: 'Tap and bridged networking (anything but QEMU user networking) need /dev/net/tun.',
  run(ctx) {
    if (ctx.hostFs.exists('/dev/net/tun')) return { status: 'pass', evidence: '/dev/net/tun exists', fix: null };
    const blocked = moduleLoadingBlocked(ctx.hostFs);
    return {
      status: 'fail',
      evidence: `/dev/net/tun: ${missingReason(ctx.hostFs, '/dev/net/tun')}${blocked ? `; ${blocked}` : ''} (only -netdev user works)`,
      fix: moduleLoaded(ctx.hostFs, 'tun')
        ? makeFix({ runtime: ['mkdir -p /dev/net', deviceNodeOnce('/dev/net/tun', 10, 200, null)], persistent: ['# install udev (its rules create /dev/net/tun at boot)'] })
        : loadModuleFix('tun', {
            applicable: blocked === null,
            blocked,
            note: blocked ? `${blocked}: needs a kernel built with CONFIG_TUN` : undefined,
          }),
    };
  },
};

const iommu: Check = {
  id: 'dev.iommu',
  title: 'IOMMU for device passthrough (VT-d / AMD-Vi)',
  category: 'devices',
  needsRoot: true,
  why: 'Passing a PCI device (NIC, GPU, NVMe) to a guest with VFIO needs an IOMMU enabled in firmware and in the kernel; iommu=pt keeps host DMA unaffected.',
  run(ctx) {
    const tablesDir = '/sys/firmware/acpi/tables';
    const tables = ctx.hostFs.list(tablesDir);
    // /sys/firmware/acpi/tables is root-only on most distributions: an unreadable directory
    // says nothing about the IOMMU, a missing one (no ACPI) says there is no table.
    const tablesReadable = tables.length > 0 || ctx.hostFs.stat(tablesDir) === null || ctx.hostFs.canAccess(tablesDir, fs.constants.R_OK | fs.constants.X_OK);
    const acpiTable = tables.includes('DMAR') ? 'DMAR' : tables.includes('IVRS') ? 'IVRS' : null;
    // exists() on each entry records it, so dump-host captures the entries and not just the directory.
    if (acpiTable) ctx.hostFs.exists(`${tablesDir}/${acpiTable}`);
    const groups = ctx.hostFs
      .list('/sys/kernel/iommu_groups')
      .filter((name) => /^\d+$/.test(name) && ctx.hostFs.exists(`/sys/kernel/iommu_groups/${name}`)).length;
    const cmdline = readCmdline(ctx.hostFs);
    const params = cmdline ? `; cmdline: ${cmdlineEvidence(cmdline, ['intel_iommu', 'amd_iommu', 'iommu'])}` : '';
    const enableParam = ctx.cpuInfo.vendor === 'amd' ? 'amd_iommu=on iommu=pt' : 'intel_iommu=on iommu=pt';
    const cmdlineFix = makeFix({
      persistent: [`# add ${enableParam} to GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub (or grub2-mkconfig)`],
      reboot: true,
    });
    if (groups > 0) {
      return { status: 'pass', evidence: `/sys/kernel/iommu_groups: ${groups} groups${acpiTable ? `; ACPI ${acpiTable} table` : ''}${params}`, fix: null };
    }
    if (acpiTable) {
      return { status: 'warn', evidence: `ACPI ${acpiTable} table present but /sys/kernel/iommu_groups is empty: the IOMMU is disabled in the kernel${params}`, fix: cmdlineFix };
    }
    if (!tablesReadable) {
      return { status: 'skip', evidence: `unknown: ${tablesDir}: ${ctx.hostFs.why(tablesDir)} and no IOMMU groups`, fix: null };
    }
    const vm = ctx.cpuInfo.flags.has('hypervisor') ? ' (a VM has one only when its hypervisor emulates an IOMMU)' : '';
    return {
      status: 'warn',
      evidence: `no DMAR/IVRS ACPI table and no IOMMU groups: no IOMMU visible, PCI passthrough impossible${vm}${params}`,
      fix: makeFix({
        persistent: [
          '# enable VT-d / AMD-Vi (IOMMU) in the firmware setup, if the platform has one',
          `# add ${enableParam} to GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub`,
        ],
        reboot: true,
        note: 'only needed for device passthrough',
      }),
    };
  },
};

const secureGuest: Check = {
  id: 'dev.secure-guest',
  title: 'Confidential guests (AMD SEV / Intel TDX)',
  category: 'devices',
  needsRoot: true,
  why: 'SEV and TDX encrypt guest memory against the host; they need CPU support, firmware enablement and the KVM module parameter. Ordinary VMs do not need them.',
  run(ctx) {
    if (!ctx.cpuInfo.readable) return unknownOutcome(ctx.hostFs, '/proc/cpuinfo');
    const flags = ctx.cpuInfo.flags;
    const sevFlags = ['sev', 'sev_es', 'sev_snp'].filter((flag) => flags.has(flag));
    const tdx = parseKernelBool(moduleParam(ctx.hostFs, 'kvm_intel', 'tdx'));
    if (tdx) return { status: 'pass', evidence: '/sys/module/kvm_intel/parameters/tdx: Y', fix: null };
    if (sevFlags.length === 0) {
      return { status: 'info', evidence: `/proc/cpuinfo: no sev/sev_es/sev_snp flags${tdx === false ? '; kvm_intel tdx=N' : ''}: confidential guests unavailable`, fix: null };
    }
    const sevParam = moduleParam(ctx.hostFs, 'kvm_amd', 'sev');
    const evidence = `/proc/cpuinfo: ${sevFlags.join(' ')}; kvm_amd sev=${sevParam ?? 'unknown'}`;
    const enable = makeFix({
      persistent: [writeConfigLine('/etc/modprobe.d/kvm-sev.conf', 'options kvm_amd sev=1 sev_es=1'), '# add mem_encrypt=on kvm_amd.sev=1 to the kernel command line'],
      reboot: true,
    });
    if (!parseKernelBool(sevParam)) return { status: 'warn', evidence: `${evidence}: the CPU has SEV but KVM does not use it`, fix: enable };
    if (!ctx.hostFs.exists('/dev/sev')) {
      return { status: 'warn', evidence: `${evidence}; /dev/sev missing: SEV appears disabled in firmware`, fix: makeFix({ persistent: ['# enable SEV (SMEE, SEV-ES ASIDs) in the firmware setup'], reboot: true }) };
    }
    return { status: 'pass', evidence: `${evidence}; /dev/sev exists`, fix: null };
  },
};

export const DEVICE_CHECKS: Check[] = [vhostNet, tun, iommu, secureGuest];
