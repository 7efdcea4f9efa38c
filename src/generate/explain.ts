/**
 * Why each emitted QEMU option and libvirt element is there, one line each, from the plan: what
 * the Preview shows for the line under its cursor ("iothread=io0: disk I/O runs on its own pinned
 * thread, off the vCPUs"), so the preview teaches what the tuning guide teaches.
 *
 * Pure and apart from the generators: it reads what they emitted (argv words, XML lines) and the
 * plan they emitted it from. An option or element it has no reason for gets null, and the test
 * over every preset and fixture host fails on it, so a new option cannot arrive without one.
 */
import { formatCpuList } from '../host/cpulist.js';
import { cpuPm, tscDeadline } from './vm-facts.js';
import type { Plan } from '../spec/types.js';

type Props = Record<string, string>;

/** `a=1,b=2,flag` -> {a: '1', b: '2', flag: ''} (QEMU's ",," escape is kept as one comma). */
function optionProps(value: string): { head: string; props: Props } {
  const parts = value.replace(/,,/g, '\u0000').split(',').map((part) => part.replace(/\u0000/g, ','));
  const props: Props = {};
  let head = '';
  parts.forEach((part, index) => {
    const at = part.indexOf('=');
    if (at < 0) {
      if (index === 0) head = part;
      else props[part] = '';
    } else props[part.slice(0, at)] = part.slice(at + 1);
  });
  return { head, props };
}

const cpus = (list: readonly number[]) => (list.length > 0 ? `host CPU${list.length === 1 ? '' : 's'} ${formatCpuList(list)}` : 'no pinned CPU');

/** Where the iothread `id` (io0...) runs and which disks it serves, said from the plan. */
function iothreadWhere(plan: Plan, id: string): string {
  const thread = plan.iothreads.find((entry) => entry.id === id);
  if (!thread) return 'an iothread';
  const placement = plan.spec.iothreads.cpus ? 'as placed by hand' : plan.spec.iothreads.placement === 'with-vcpus' ? 'with the vCPUs' : 'off the vCPUs';
  return `${cpus(thread.hostCpus)}, ${placement}`;
}

function diskReason(plan: Plan, index: number): string {
  const disk = plan.spec.disks[index];
  return disk ? `${disk.path} (${disk.format})` : `disk ${index}`;
}

/** The reason for one option and its value (undefined for a flag without one); null when unknown. */
export function explainOption(option: string, value: string | undefined, plan: Plan): string | null {
  const { spec } = plan;
  const { head, props } = optionProps(value ?? '');
  switch (option) {
    case '-name':
      return 'debug-threads=on names every thread ("CPU 0/KVM", "IO io0"): kvm-tui and the pin script find the threads to pin by these names';
    case '-machine':
      return `${head}: the guest's PC model${head.includes('q35') ? ' (PCIe, what current guests expect)' : ''}; usb=off, hpet=off and mem-merge=off (no KSM scanning guest memory) leave out what a tuned VM does not need, dump-guest-core=off keeps guest RAM out of QEMU core dumps`;
    case '-accel':
      return head === 'kvm'
        ? 'kvm: hardware virtualization, the guest runs on the host CPU at native speed'
        : 'tcg: QEMU emulates the CPU in software (no usable /dev/kvm, or asked for): slow, but runs anywhere';
    case '-cpu': {
      const hyperv =
        (Object.keys(props).some((name) => name.startsWith('hv-')) ? '; hv-*: Hyper-V enlightenments, so Windows asks the hypervisor instead of spinning on locks and polling timers' : '') +
        (props['kvm-hint-dedicated'] === 'on' ? '; kvm-hint-dedicated: the guest knows each vCPU has a core of its own (native spinlocks, idle polling)' : '') +
        (props['tsc-deadline'] === 'on' && tscDeadline(plan) ? '; tsc-deadline: the guest arms its timer with one TSC write' : '');
      if (head === 'host') return `host: the guest sees every feature of the host CPU (fastest; it cannot move to a host with another CPU)${hyperv}`;
      if (head === 'max') return `max: every feature this accelerator can give (host passthrough's closest match under TCG)${hyperv}`;
      return `${head}: a named CPU model, so the guest sees the same CPU on every host it runs or migrates to${hyperv}`;
    }
    case '-smp':
      return `${spec.vcpus.count} vCPUs as ${spec.vcpus.sockets} socket(s) x ${spec.vcpus.cores} core(s) x ${spec.vcpus.threads} thread(s): the guest topology follows where the vCPUs land${spec.vcpus.threads > 1 ? ' (SMT siblings on the host are thread siblings in the guest)' : ''}`;
    case '-m':
      return `${plan.memory.sizeMiB} MiB of guest memory (${plan.memory.backing})`;
    case '-uuid':
      return 'a UUID derived from the VM name: the guest sees the same machine at every boot (licences, Windows activation)';
    case '-object':
      if (head === 'iothread') return `iothread=${props.id}: disk I/O runs on its own thread (${iothreadWhere(plan, props.id ?? '')}), out of QEMU's main loop`;
      if (head.startsWith('memory-backend-')) {
        const backing = props.hugetlb === 'on' ? `${props.hugetlbsize ?? ''} huge pages (fewer TLB misses)` : 'ordinary RAM';
        const bind = props['host-nodes'] !== undefined ? `, bound to host node(s) ${props['host-nodes']} (policy=bind), where the vCPUs are` : '';
        return `${props.id}: guest memory on ${backing}${props.prealloc === 'on' ? ', allocated at start (prealloc: no page faults later)' : ''}${props.share === 'on' ? ', shared (for vhost-user / virtiofs)' : ''}${bind}`;
      }
      if (head === 'thread-context') return `${props.id}: threads on the memory's own node touch the pages at start (prealloc-context), so preallocation is fast and local`;
      return null;
    case '-numa':
      return `guest NUMA node ${props.nodeid} (vCPUs ${props.cpus}, memory ${props.memdev}): ${plan.memory.guestNodes.length > 1 ? 'the guest knows which memory is near which vCPU' : "ties the memory backend's host node binding to the vCPUs"}`;
    case '-blockdev': {
      const name = props['node-name'] ?? '';
      if (name.startsWith('fw-code')) return 'UEFI firmware code (OVMF), read-only';
      if (name.startsWith('fw-vars')) return "the VM's own UEFI variables (boot entries, secure-boot keys), from a copy of the template";
      const match = /^disk(\d+)(-file)?$/.exec(name);
      if (!match) return null;
      const disk = diskReason(plan, Number(match[1]));
      if (match[2]) {
        const direct = props['cache.direct'] === 'on' ? 'cache.direct=on: O_DIRECT, the host page cache is bypassed' : 'through the host page cache';
        return `${disk}: the image file; aio=${props.aio} (${props.aio === 'native' ? 'Linux native AIO' : props.aio === 'io_uring' ? 'io_uring' : 'a thread pool'}), ${direct}`;
      }
      return `${disk}: the ${props.driver} format layer over its file`;
    }
    case '-device': {
      if (head.startsWith('{') || (value ?? '').startsWith('{')) {
        try {
          const device = JSON.parse(value!) as { driver?: string; drive?: string; 'iothread-vq-mapping'?: Array<{ iothread: string }> };
          if (device.driver === 'virtio-blk-pci' && device['iothread-vq-mapping']) {
            const ids = device['iothread-vq-mapping'].map((entry) => entry.iothread);
            return `${diskReason(plan, Number((device.drive ?? '').replace('disk', '')))}: a virtio disk whose queues are dealt over iothreads ${ids.join(', ')} (iothread-vq-mapping): its I/O spreads over several pinned threads, off the vCPUs`;
          }
        } catch {
          return null;
        }
        return null;
      }
      if (head === 'virtio-blk-pci') {
        const disk = diskReason(plan, Number((props.drive ?? '').replace('disk', '')));
        return props.iothread
          ? `iothread=${props.iothread}: disk I/O of ${disk} runs on its own pinned thread (${iothreadWhere(plan, props.iothread)})`
          : `${disk}: a virtio disk; its I/O runs in QEMU's main loop (no iothread)`;
      }
      if (head === 'virtio-net-pci') return `the guest's virtio NIC on ${props.netdev}${props.mq === 'on' ? '; mq=on: one queue pair per vCPU, so network load spreads over the vCPUs' : ''}; its MAC is derived from the VM name`;
      if (head === 'isa-serial') return "the guest's serial port (ttyS0), logged to serial.log";
      if (head.startsWith('tpm-')) return `${head}: the guest's TPM 2.0 (Windows 11 requires one), served by swtpm`;
      return null;
    }
    case '-netdev':
      if (head === 'user') return 'user-mode network: NAT inside QEMU, no host setup; slower, and nothing can connect in';
      if (head === 'tap') {
        return `tap ${props.ifname}: the NIC on a host tap device${props.vhost === 'on' ? '; vhost=on: packets move in the host kernel (vhost-net), not through QEMU' : ''}${props.queues ? `; queues=${props.queues}: one queue per vCPU` : ''}`;
      }
      return null;
    case '-nic':
      return 'none: no network (the spec asks for none)';
    case '-chardev':
      if (props.id === 'qmp0') return 'qmp.sock: the QMP socket launch, status, stop and the pin script use (connect, ask, leave)';
      if (props.id === 'qmp1') return "monitor.sock: a second QMP socket for the live monitor, so watching never blocks status or stop";
      if (props.id === 'serial0') return "the serial console's log file (serial.log): what the guest printed, even before it has a network";
      if (props.id === 'chrtpm') return "the socket to swtpm, the process that emulates the guest's TPM";
      return null;
    case '-mon':
      return `QMP (mode=control) on ${props.chardev}: the machine interface kvm-tui drives the VM through`;
    case '-tpmdev':
      return 'emulator: the TPM is swtpm, started beside QEMU';
    case '-rtc':
      return `base=${props.base}: the guest's clock counts ${props.base === 'localtime' ? "local time (Windows' default)" : 'UTC (what Linux expects)'}; driftfix=slew catches up ticks lost while a vCPU was not running`;
    case '-global':
      if ((value ?? '').startsWith('kvm-pit.lost_tick_policy=')) return 'lost_tick_policy=delay: the PIT delivers late ticks late instead of dropping them, so guests keep time';
      if (props.driver === 'cfi.pflash01') return 'secure=on: only SMM code may write the firmware flash (what UEFI secure boot needs)';
      return null;
    case '-boot':
      return 'strict=on: boot only from the listed devices, never fall back to a network boot';
    case '-pidfile':
      return 'the pid file launch, status and stop find the VM by';
    case '-S':
      return 'start paused: the vCPU threads are pinned before the guest runs one instruction, then it is resumed';
    case '-display':
      return 'none: no graphical display; the serial log and QMP are its consoles';
    case '-nodefaults':
      return 'no default devices (VGA, NIC, floppy, CD-ROM): the VM has only what is listed here';
    case '-no-user-config':
      return 'ignore /etc/qemu/*.conf: the command line alone says what the VM is';
    case '-overcommit':
      return [
        ...(props['mem-lock'] === 'on' ? ['mem-lock=on: guest memory is locked in RAM, never swapped out'] : []),
        ...(props['cpu-pm'] === 'on' ? ['cpu-pm=on: the guest idles (HLT/MWAIT) without exits on its dedicated cores'] : []),
      ].join('; ') || null;
    case '-no-hpet':
      return 'no HPET: guests use the cheaper TSC / kvm-clock';
    default:
      return null;
  }
}

/**
 * One reason per line of the argv as the shell preview draws it (formatArgLines: the binary,
 * then an option with its value per line); the spec's extraArgs are named as such.
 */
export function explainArgvLines(argv: readonly string[], plan: Plan): Array<string | null> {
  if (argv.length === 0) return [];
  const out: Array<string | null> = [`${argv[0]}: the QEMU system emulator for the guest's architecture`];
  const extraFrom = argv.length - plan.spec.extraArgs.length;
  let index = 1;
  while (index < argv.length) {
    const word = argv[index]!;
    const next = argv[index + 1];
    // The same grouping as formatArgLines: an option takes the next word unless it is an option.
    const paired = word.startsWith('-') && next !== undefined && !next.startsWith('-');
    if (index >= extraFrom) out.push(`${word}: from the spec's extraArgs, passed to QEMU as written (kvm-tui does not check what it does)`);
    else out.push(explainOption(word, paired ? next : undefined, plan));
    index += paired ? 2 : 1;
  }
  return out;
}

type ElementReason = (attrs: Props, text: string, plan: Plan) => string;

const HYPERV_REASONS: Record<string, string> = {
  relaxed: 'no watchdog blue screens when a vCPU was descheduled for a while',
  vapic: 'the guest reaches its APIC through a page, not a VM exit',
  spinlocks: 'a vCPU spinning 8191 times on a lock tells the hypervisor instead of burning its time slice',
  vpindex: 'virtual processor numbers (what synic, ipi and tlbflush need)',
  runtime: 'the guest sees how long its vCPUs really ran',
  synic: 'the synthetic interrupt controller (stimer needs it)',
  stimer: 'synthetic timers: fewer timer exits than the emulated ones',
  reset: 'the guest can reset itself through the hypervisor',
  frequencies: 'the guest reads TSC and APIC frequencies instead of measuring them',
  tlbflush: 'TLB flushes of other vCPUs as one hypercall, not one IPI each',
  ipi: 'inter-processor interrupts as one hypercall',
  evmcs: 'enlightened VMCS, for Hyper-V running nested in the guest',
};

const TIMER_REASONS: Record<string, string> = {
  rtc: 'tickpolicy=catchup: the RTC delivers missed ticks faster until the guest has caught up',
  pit: 'tickpolicy=delay: the PIT delivers late ticks late instead of dropping them',
  hpet: 'present=no: no HPET, guests use the cheaper TSC / kvm-clock',
  hypervclock: "Hyper-V's reference clock page: Windows reads time without a VM exit",
  kvmclock: 'the paravirtual clock Linux guests read without a VM exit',
  tsc: 'the guest reads time from the TSC',
};

/** Reasons by element, "parent>name" first, then "name". */
const ELEMENTS: Record<string, ElementReason> = {
  domain: (attrs, _text, plan) => `the libvirt domain of ${plan.spec.name}, run by QEMU ${attrs.type === 'kvm' ? 'with KVM (hardware virtualization)' : 'with TCG (CPU emulated in software)'}`,
  'domain>name': () => 'the name virsh and kvm-tui know the VM by',
  'domain>uuid': () => 'a UUID derived from the VM name: the guest sees the same machine at every boot',
  'domain>memory': (_attrs, _text, plan) => `${plan.memory.sizeMiB} MiB of guest memory (dumpCore=off keeps it out of core dumps)`,
  currentMemory: () => 'the same as memory: no balloon takes memory back from a pinned VM',
  memoryBacking: (_attrs, _text, plan) => `how the guest memory is backed: ${plan.memory.backing}`,
  'memoryBacking>hugepages': () => 'guest memory on huge pages: fewer TLB misses, no page splitting',
  page: (attrs) => `${attrs.size} ${attrs.unit ?? ''} pages (the spec's memory.backing)`,
  nosharepages: () => 'no KSM merging of guest pages (no scanning, no copy-on-write faults)',
  'memoryBacking>source': (attrs) => `type=${attrs.type}: the memory comes from ${attrs.type === 'memfd' ? 'a memfd (what huge pages and sharing need)' : attrs.type}`,
  access: (attrs) => `mode=${attrs.mode}: ${attrs.mode === 'shared' ? 'the mapping is shared (vhost-user / virtiofs)' : 'a private mapping'}`,
  allocation: (attrs) => `mode=${attrs.mode}: ${attrs.mode === 'immediate' ? 'memory is allocated at start (prealloc: no page faults later)' : 'memory is allocated on first touch'}`,
  locked: () => 'guest memory is locked in RAM, never swapped out',
  'domain>vcpu': (_attrs, text) => `${text} vCPUs, placed statically (each pinned below)`,
  'domain>iothreads': (_attrs, text) => `${text} iothread(s): disk I/O off the vCPUs and out of QEMU's main loop`,
  cputune: () => "where the VM's threads may run: the plan's pins",
  vcpupin: (attrs) => `vCPU ${attrs.vcpu} runs only on host CPU(s) ${attrs.cpuset} (the plan's pin)`,
  emulatorpin: (attrs) => `QEMU's emulator threads (main loop) run on host CPU(s) ${attrs.cpuset}, off the vCPUs`,
  iothreadpin: (attrs, _text, plan) => `iothread ${attrs.iothread} (io${Number(attrs.iothread) - 1}) runs on host CPU(s) ${attrs.cpuset}${plan.spec.iothreads.placement === 'with-vcpus' && !plan.spec.iothreads.cpus ? ', with the vCPUs' : ', off the vCPUs'}`,
  vcpusched: (attrs) => `vCPUs ${attrs.vcpus} run real-time (${attrs.scheduler}, priority ${attrs.priority}): nothing of lower priority preempts them on their cores`,
  numatune: () => 'which host nodes the guest memory comes from',
  'numatune>memory': (attrs) => `mode=${attrs.mode}: guest memory only from host node(s) ${attrs.nodeset}, where the vCPUs are`,
  memnode: (attrs) => `guest node ${attrs.cellid}'s memory only from host node(s) ${attrs.nodeset} (mode=${attrs.mode})`,
  os: () => 'how the VM boots',
  'os>type': (attrs) => `${attrs.arch} hardware virtual machine of type ${attrs.machine}`,
  loader: (attrs) => `UEFI firmware (OVMF) in flash${attrs.secure === 'yes' ? ', with secure boot' : ''}`,
  nvram: () => "the VM's own UEFI variables, copied from this template",
  boot: (attrs) => `boot from ${attrs.dev === 'hd' ? 'the disk' : attrs.dev}`,
  features: () => 'platform features the guest gets',
  acpi: () => 'ACPI: power buttons and shutdown from the host (virsh shutdown)',
  apic: () => 'the local APIC every current guest needs',
  hyperv: () => 'Hyper-V enlightenments: Windows asks the hypervisor instead of spinning on locks and polling timers',
  'kvm': () => 'KVM-specific hints to the guest',
  'hint-dedicated': () => 'each vCPU has a host CPU of its own: the guest may poll instead of halting (lower latency)',
  pmu: (attrs) => `state=${attrs.state}: ${attrs.state === 'off' ? 'no virtual PMU (no perf counters, no PMU MSR switching on every exit)' : 'a virtual PMU (perf counters in the guest)'}`,
  smm: () => 'system management mode: UEFI secure boot keeps its variables safe in it',
  cpu: (attrs) => `mode=${attrs.mode}: ${attrs.mode === 'host-passthrough' ? 'the guest sees the host CPU (migratable=off keeps features such as invtsc)' : attrs.mode === 'maximum' ? 'every feature the accelerator can give' : 'a named CPU model, the same on every host (fallback=forbid: never another)'}`,
  'cpu>topology': (attrs) => `${attrs.sockets} socket(s) x ${attrs.cores} core(s) x ${attrs.threads} thread(s): the guest topology follows where the vCPUs land`,
  'cpu>cache': () => 'mode=passthrough: the guest sees the host CPU caches as they are',
  'cpu>model': (_attrs, text) => `${text}: the named CPU model the guest sees`,
  'cpu>feature': (attrs, _text, plan) =>
    attrs.name === 'tsc-deadline' && attrs.policy === 'require' && tscDeadline(plan)
      ? 'tsc-deadline required: the guest arms its timer with one TSC write (vCPUs on cores of their own)'
      : `${attrs.name} ${attrs.policy === 'disable' ? 'taken away' : 'required'}, as the spec's cpu.features say`,
  'cpu>numa': () => 'guest NUMA: the guest knows which memory is near which vCPU',
  cell: (attrs) => `guest node ${attrs.id}: vCPUs ${attrs.cpus}, ${attrs.memory} ${attrs.unit ?? ''} of memory`,
  clock: (attrs) => `offset=${attrs.offset}: the guest's clock counts ${attrs.offset === 'localtime' ? "local time (Windows' default)" : 'UTC (what Linux expects)'}`,
  timer: (attrs) => `${attrs.name}: ${TIMER_REASONS[attrs.name ?? ''] ?? 'a guest timer'}`,
  on_poweroff: (_attrs, text) => `${text} when the guest powers off`,
  on_reboot: (_attrs, text) => `${text} when the guest reboots`,
  on_crash: (_attrs, text) => `${text} when the guest crashes`,
  devices: () => "the VM's devices: only these (no defaults added)",
  'devices>emulator': (_attrs, text) => `${text}: the QEMU binary libvirt runs`,
  controller: (attrs) => `${attrs.type} controller model=${attrs.model}: ${attrs.model === 'none' ? 'no USB, nothing polling for it' : 'a controller'}`,
  disk: () => 'a disk image given to the guest as a virtio disk',
  'disk>driver': (attrs, _text, plan) =>
    `${attrs.type}, cache=${attrs.cache}, io=${attrs.io}${attrs.iothread ? `; iothread=${attrs.iothread}: disk I/O runs on its own pinned thread (${iothreadWhere(plan, `io${Number(attrs.iothread) - 1}`)})` : ''}`,
  'driver>iothreads': () => "the disk's queues dealt over several iothreads: its I/O spreads over several pinned threads",
  'iothreads>iothread': (attrs) => `iothread ${attrs.id} serves some of this disk's queues`,
  'disk>source': (attrs) => `the image file ${attrs.file}`,
  'disk>target': (attrs) => `${attrs.dev} on the ${attrs.bus} bus: the name the guest sees`,
  readonly: () => 'the guest cannot write to this disk',
  interface: (attrs) => `the guest's NIC: ${attrs.type === 'ethernet' ? 'on a tap device the host set up' : attrs.type === 'user' ? 'user-mode NAT, no host setup' : attrs.type}`,
  mac: (attrs) => `MAC ${attrs.address}: derived from the VM name, the same at every boot`,
  'interface>target': (attrs) => `tap ${attrs.dev}, managed=no: the host's own tap, libvirt does not create or remove it`,
  model: (attrs) => `type=${attrs.type}: the paravirtual virtio NIC`,
  'interface>driver': (attrs) => `vhost: packets move in the host kernel (vhost-net)${attrs.queues ? `; queues=${attrs.queues}: one queue per vCPU` : ''}`,
  serial: () => "the guest's serial console on a pty (virsh console)",
  log: (attrs) => `the serial console is also logged to ${attrs.file}`,
  'serial>target': () => 'the first serial port (ttyS0)',
  console: () => 'virsh console attaches to the serial port',
  'console>target': () => 'the console is the serial port',
  tpm: (attrs) => `${attrs.model}: the guest's TPM 2.0 (Windows 11 requires one)`,
  backend: (attrs) => `emulated by swtpm, TPM version ${attrs.version}`,
  memballoon: () => 'model=none: no balloon driver taking memory back from a pinned VM',
  'qemu:commandline': (_attrs, _text, plan) =>
    cpuPm(plan) ? "QEMU arguments libvirt has no element for (cpu-pm; the domain is marked tainted: custom-argv), then the spec's extraArgs" : "the spec's extraArgs, passed to QEMU as written",
  'qemu:arg': (attrs, _text, plan) =>
    cpuPm(plan) && (attrs.value === '-overcommit' || attrs.value === 'cpu-pm=on')
      ? `${attrs.value}: the guest idles (HLT/MWAIT) without exits on its dedicated cores; libvirt has no element for it`
      : `${attrs.value}: from the spec's extraArgs (kvm-tui does not check what it does)`,
};

/** The reason for one element, by its parent and name; null when there is none. */
export function explainElement(parent: string | null, name: string, attrs: Props, text: string, plan: Plan): string | null {
  if (parent === 'hyperv' && HYPERV_REASONS[name]) return `${name}: ${HYPERV_REASONS[name]}`;
  const reason = (parent !== null ? ELEMENTS[`${parent}>${name}`] : undefined) ?? ELEMENTS[name];
  return reason ? reason(attrs, text, plan) : null;
}

const decode = (text: string) => text.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/**
 * One reason per line of the domain XML: an element's own line and its closing line get its
 * reason; the XML declaration and lines without a tag get null (the test only asks for
 * elements). The XML is one element per line, as the generator writes it.
 */
export function explainXmlLines(xml: string, plan: Plan): Array<string | null> {
  const stack: Array<{ name: string; reason: string | null }> = [];
  return xml.replace(/\n$/, '').split('\n').map((line) => {
    const trimmed = line.trim();
    const close = /^<\/([^\s>]+)>$/.exec(trimmed);
    if (close) return stack.pop()?.reason ?? null;
    const open = /^<([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>(?:([^<]*)<\/\1>)?$/.exec(trimmed);
    if (!open) return null;
    const [, name, attrText, selfClosing, text] = open;
    const attrs: Props = {};
    for (const match of attrText!.matchAll(/([\w:.-]+)="([^"]*)"/g)) attrs[match[1]!] = decode(match[2]!);
    const reason = explainElement(stack.at(-1)?.name ?? null, name!, attrs, decode(text ?? ''), plan);
    if (!selfClosing && text === undefined) stack.push({ name: name!, reason });
    return reason;
  });
}

/** Every element start tag of the XML with its reason (for the test that no element goes without one). */
export function xmlElementsWithoutReason(xml: string, plan: Plan): string[] {
  const reasons = explainXmlLines(xml, plan);
  return xml
    .replace(/\n$/, '')
    .split('\n')
    .flatMap((line, index) => (/^\s*<[A-Za-z_]/.test(line) && reasons[index] === null ? [line.trim()] : []));
}
