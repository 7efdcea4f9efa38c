export const HELP = `kvm-tui — audit a KVM host, plan vCPU pinning on its real topology, generate
QEMU / libvirt configuration, launch and monitor VMs.

Usage:
  kvm-tui [--spec FILE]            the wizard: audit, topology, plan (size the VM), preview,
                                   launch, monitor (this host; ? lists its keys)
  kvm-tui audit      [--json] [--only-problems]
  kvm-tui topology   [--json]
  kvm-tui presets    [--json]
  kvm-tui plan       (--preset NAME | --spec FILE) [overrides] [--json]
  kvm-tui generate   (--preset NAME | --spec FILE) [overrides] --format qemu|xml|script|json
                                   [--out FILE [--force]]  (--force: replace an existing file;
                                   never a device, FIFO, directory or symlink)
                                   [--qemu-version X.Y] [--libvirt-version X.Y]  write for
                                   that QEMU / libvirt (default: this host's
                                   qemu-system-x86_64 / virsh; unknown under --root)
  kvm-tui launch     (--preset NAME | --spec FILE) [overrides] [--paused] [--detach] [--json]
                                   start it paused, pin every thread, verify, resume; on a
                                   terminal the live monitor opens (the VM outlives it)
  kvm-tui status     [NAME] [--json]   running VMs: state, per-thread pins and figures
  kvm-tui monitor    [NAME]            the live pane (re-attaches to a running VM)
  kvm-tui monitor    --connect URI [--connect URI ...] [--fleet] [NAME]
                                   the fleet pane: every libvirt host's domains, a section
                                   each; --fleet adds the URIs in ~/.config/kvm-tui/hosts;
                                   NAME: opened on that domain of the first host
  kvm-tui stop       NAME [--force] [--timeout SECONDS]
                                   ACPI power-down, waiting up to 30 s; --force ends it at once
  kvm-tui dump-host  DIR

Overrides:
  --name NAME  --vcpus N  --memory SIZE (4G, 4096M)  --hugepages none|2M|1G
  --accel auto|kvm|tcg (auto, the presets' choice: kvm where the host has /dev/kvm, else tcg)
  --disk PATH (repeatable)
  --net user|none|tap[:IFNAME]  --strategy compact|spread
  --guest linux|windows|other (windows: UEFI with secure boot, TPM 2.0, Hyper-V
                 enlightenments under KVM, RTC in local time; the others: BIOS, RTC in UTC)

Global options:
  --root DIR     see the host as captured under DIR (DIR/sys, DIR/proc, DIR/dev), e.g. by dump-host
  --connect URI  a libvirt host instead (virsh -c; default LIBVIRT_DEFAULT_URI): topology,
                 plan, generate, launch, status, stop and monitor go through its libvirtd
  --no-color     plain output (also NO_COLOR, TERM=dumb)
  --debug        full traces for internal errors
  -h, --help     this help
  -V, --version  the version

Exit codes: 0 success, 1 the command found a problem (failing check, impossible plan),
2 bad usage or bad input.
`;
