/**
 * Plan -> QEMU argv (an array; never a shell string), in today's spellings and a fixed option
 * order so golden files diff cleanly.
 *
 * Choices worth knowing:
 * - Every user string that ends up inside an option value (VM name, disk paths, tap name, run
 *   dir) has its commas doubled: QEMU splits option values on ",", and ",," is its escape.
 *   Values are always given with an explicit key (`guest=`, `path=`, `filename=`): in the
 *   implied-key forms (`-qmp unix:PATH`, `-serial file:PATH`) an "=" in the path turns it into a
 *   bogus key ("Invalid parameter '/tmp/x'"), and `file:` does not even honour ",,". So QMP and
 *   the serial log are `-chardev ...,path=` + `-mon` / `-serial chardev:`.
 * - Guest RAM is always an explicit `-object memory-backend-*` (`-machine memory-backend=`, or
 *   one per guest NUMA node with `-numa node,memdev=`), never `-mem-path` / `-numa mem=`.
 *   Huge pages use memory-backend-memfd with hugetlb=on,hugetlbsize=: the kernel's internal
 *   hugetlbfs backs it, so it needs no mounted hugetlbfs and no file path, and the pages go back
 *   to the pool when QEMU exits (memory-backend-file leaves that to a mount and a file name).
 *   share=on without huge pages also uses memfd (an fd vhost-user/virtiofs can map).
 * - Disks are `-blockdev` (protocol node + format node) + `-device virtio-blk-pci`, not `-drive`:
 *   `filename=` is taken literally (no "protocol:" parsing of a path with a colon), and the
 *   cache mode is spelled out as cache.direct / cache.no-flush / write-cache, as libvirt does.
 * - `-S` always: the vCPU threads exist but do not run until pinned and resumed with QMP `cont`.
 * - CPU features are `name=on|off` (the documented property form; "+name" is the legacy one).
 */
import type { Plan, PlanMessage, VmSpec } from '../spec/types.js';
import { roundRobinDiskIothreads } from '../shared/disk-iothreads.js';
import { checkIfname } from '../shared/ifname.js';
import { isHugepageBacking, PAGE_MIB, PAGE_OPTION } from '../shared/page-sizes.js';
import { runDirPaths, stateDirPaths } from '../shared/vm-paths.js';
import { CLOCK_FACTS, cpuEnforced, cpuPm, cpuMigratableOff, diskIothreadSets, firmwareFacts, HYPERV_CLOCK, hypervEnlightenments, IOTHREAD_VQ_MAPPING, kvmHintDedicated, MACHINE_FACTS, pmuState, preallocContext, qemuAtLeast, rtcBase, TPM_FACTS, tscDeadline, UNKNOWN_TARGET, vmMac, vmUuid, type OutputTarget } from './vm-facts.js';

export interface QemuArgsOptions {
  /** Per-VM runtime dir (src/run/run-dir.ts): QMP socket, pid file, serial log. */
  runDir: string;
  qemuBinary?: string;
  /** The QEMU the command line is for (version-dependent options); unknown by default. */
  target?: OutputTarget;
  /**
   * Per-VM persistent dir (src/shared/vm-paths.ts vmStateDir): the UEFI variable store. Default:
   * the run dir, which a stop removes (the guest's boot entries and keys would not be kept).
   */
  stateDir?: string;
}

export const DEFAULT_QEMU_BINARY = 'qemu-system-x86_64';

/** The plan cannot be turned into a QEMU command line; `problems` says why, each with a code. */
export class QemuArgsError extends Error {
  constructor(readonly problems: PlanMessage[]) {
    super(problems.map((problem) => problem.message).join('; '));
  }
}

/** Doubles commas: QEMU's escape for a "," inside an option value. @example optValue("a,b") // "a,,b" */
export function optValue(value: string): string {
  return value.replace(/,/g, ',,');
}

/** Node lists as QEMU list properties: runs become "a-b", the rest repeat the key. */
function listProp(key: string, values: readonly number[]): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(`${key}=${i === j ? sorted[i] : `${sorted[i]}-${sorted[j]}`}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The hugepage size of a backing as QEMU spells it, and in MiB; undefined for plain RAM. */
function hugepageSize(backing: Plan['memory']['backing']): { option: string; mib: number } | undefined {
  return isHugepageBacking(backing) ? { option: PAGE_OPTION[backing], mib: PAGE_MIB[backing] } : undefined;
}

/** Identifiers QEMU parses itself (machine, CPU model, features): no escaping exists for them. */
const QEMU_IDENT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Reasons the plan cannot become a QEMU command line (empty = fine). */
export function checkPlanForQemu(plan: Plan): PlanMessage[] {
  const problems: PlanMessage[] = [...plan.errors];
  const spec = plan.spec;
  const add = (code: string, message: string) => problems.push({ code, message });

  if (spec.name === '') add('bad-name', 'the VM name is empty');
  if (spec.name.includes('\0')) add('bad-name', 'the VM name contains a NUL byte');
  if (!QEMU_IDENT.test(spec.machine)) add('bad-machine', `machine type "${spec.machine}" is not a QEMU machine name`);
  if (!QEMU_IDENT.test(spec.cpu.model)) add('bad-cpu-model', `CPU model "${spec.cpu.model}" is not a QEMU CPU model name`);
  for (const feature of spec.cpu.features) {
    if (!/^[+-][A-Za-z0-9][A-Za-z0-9_.-]*$/.test(feature)) {
      add('bad-cpu-feature', `CPU feature "${feature}" must be +name or -name`);
    }
  }
  if (spec.cpu.model === 'host' && spec.accel !== 'kvm') {
    add('host-cpu-needs-kvm', 'CPU model "host" exists only with accel kvm; use a named model or "max" under TCG');
  }
  if (spec.guest.secureBoot && spec.guest.firmware !== 'uefi') add('secure-boot-needs-uefi', 'secure boot needs guest firmware uefi');
  if (spec.guest.secureBoot && !/^(q35|pc-q35-[0-9.]+)$/.test(spec.machine)) add('secure-boot-needs-q35', `secure boot needs a q35 machine (SMM), not "${spec.machine}"`);
  if (spec.cpu.cachePassthrough && spec.cpu.model !== 'host' && spec.cpu.model !== 'max') {
    add('cache-passthrough-needs-host', `cache passthrough needs CPU model "host" (or "max"), not "${spec.cpu.model}"`);
  }

  const { count, sockets, dies, cores, threads } = spec.vcpus;
  if (!(count >= 1)) add('bad-vcpus', `vCPU count ${count} is below 1`);
  if (sockets * dies * cores * threads !== count) {
    add('bad-topology', `sockets*dies*cores*threads = ${sockets * dies * cores * threads}, not the vCPU count ${count}`);
  }
  if (plan.vcpus.length !== count) add('bad-vcpus', `the plan places ${plan.vcpus.length} vCPUs for a ${count}-vCPU VM`);
  plan.vcpus.forEach((entry, index) => {
    if (entry.vcpu !== index) add('bad-vcpu-index', `plan entry ${index} is for vCPU ${entry.vcpu}: vCPUs must be listed 0..${count - 1} in order`);
  });

  const page = hugepageSize(plan.memory.backing);
  if (plan.memory.sizeMiB !== spec.memory.sizeMiB) {
    add('bad-memory', `plan memory ${plan.memory.sizeMiB} MiB differs from the spec's ${spec.memory.sizeMiB} MiB`);
  }
  if (page && plan.memory.sizeMiB % page.mib !== 0) {
    add('memory-not-page-multiple', `${plan.memory.sizeMiB} MiB is not a multiple of the ${page.option} huge page size`);
  }
  const guestNodes = plan.memory.guestNodes;
  if (guestNodes.length > 0) {
    const total = guestNodes.reduce((sum, node) => sum + node.memMiB, 0);
    if (total !== plan.memory.sizeMiB) add('bad-numa', `guest NUMA nodes hold ${total} MiB, the VM has ${plan.memory.sizeMiB} MiB`);
    const seen = new Set<number>();
    for (const node of guestNodes) {
      if (page && node.memMiB % page.mib !== 0) {
        add('memory-not-page-multiple', `guest node ${node.id}: ${node.memMiB} MiB is not a multiple of the ${page.option} huge page size`);
      }
      for (const vcpu of node.vcpus) {
        if (vcpu < 0 || vcpu >= count) add('bad-numa', `guest node ${node.id} lists vCPU ${vcpu}, which does not exist`);
        else if (seen.has(vcpu)) add('bad-numa', `vCPU ${vcpu} is in two guest NUMA nodes`);
        seen.add(vcpu);
      }
    }
    if (seen.size !== count) add('bad-numa', `guest NUMA nodes cover ${seen.size} of ${count} vCPUs`);
  }

  const iothreadIds = new Set<string>();
  for (const iothread of plan.iothreads) {
    if (!QEMU_IDENT.test(iothread.id) || iothreadIds.has(iothread.id)) add('bad-iothread', `iothread id "${iothread.id}" is not a unique QEMU id`);
    iothreadIds.add(iothread.id);
  }
  spec.disks.forEach((disk, index) => {
    if (disk.path === '') add('bad-disk', `disk ${index}: empty path`);
    if (disk.path.includes('\0')) add('bad-disk', `disk ${index}: path contains a NUL byte`);
    if (disk.aio === 'native' && !cacheDirect(disk.cache)) {
      // QEMU refuses aio=native on a page-cache file ("aio=native was specified, but it requires cache.direct=on").
      add('aio-native-needs-direct', `disk ${index}: aio=native needs O_DIRECT (cache none or directsync), not cache ${disk.cache}`);
    }
    if (disk.iothread && plan.iothreads.length === 0) add('disk-iothread-missing', `disk ${index} asks for an iothread but the plan has none`);
  });
  // The planner may say which disks each iothread serves; the argv (and the libvirt XML) assign
  // them round-robin, so a plan that says otherwise would be silently changed: refuse it.
  const assigned = diskIothreads(plan);
  for (const iothread of plan.iothreads) {
    if (!iothread.disks) continue;
    const expected = assigned.flatMap((id, disk) => (id === iothread.id ? [disk] : []));
    if ([...iothread.disks].sort((a, b) => a - b).join(',') !== expected.join(',')) {
      add('iothread-disks-mismatch', `iothread ${iothread.id} is planned for disks [${iothread.disks.join(', ')}] but disks are assigned round-robin: [${expected.join(', ')}]`);
    }
  }

  const net = spec.network;
  if (net.mode === 'tap') {
    if (net.ifname === null || checkIfname(net.ifname) !== null) {
      add('bad-tap', `tap networking needs an interface name of 1-15 characters without "/", ":" or spaces (got ${JSON.stringify(net.ifname)})`);
    }
  } else if (net.queues > 1) {
    add('multiqueue-needs-tap', `${net.queues} network queues need tap networking, not ${net.mode}`);
  }
  if (!(net.queues >= 1)) add('bad-queues', `network queues ${net.queues} is below 1`);
  if (net.mac !== null && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(net.mac)) add('bad-mac', `MAC address "${net.mac}" is not xx:xx:xx:xx:xx:xx`);
  return problems;
}

function cacheDirect(cache: VmSpec['disks'][number]['cache']): boolean {
  return cache === 'none' || cache === 'directsync';
}

/** QEMU's cache modes as the three knobs behind them (docs: "-drive cache=" table). */
function cacheKnobs(cache: VmSpec['disks'][number]['cache']): { direct: boolean; noFlush: boolean; writeCache: boolean } {
  switch (cache) {
    case 'none':
      return { direct: true, noFlush: false, writeCache: true };
    case 'writeback':
      return { direct: false, noFlush: false, writeCache: true };
    case 'writethrough':
      return { direct: false, noFlush: false, writeCache: false };
    case 'directsync':
      return { direct: true, noFlush: false, writeCache: false };
    case 'unsafe':
      return { direct: false, noFlush: true, writeCache: true };
  }
}

const onOff = (value: boolean) => (value ? 'on' : 'off');

/**
 * Which iothread each disk uses (null = the main loop): disks asking for one take the plan's
 * iothreads in order, wrapping around when there are more such disks than iothreads.
 */
export function diskIothreads(plan: Plan): Array<string | null> {
  return roundRobinDiskIothreads(plan.spec.disks, plan.iothreads.length).map((index) => (index === null ? null : plan.iothreads[index]!.id));
}

/** The QEMU argv for a plan. Throws QemuArgsError when the plan cannot be run (see checkPlanForQemu). */
export function buildQemuArgs(plan: Plan, opts: QemuArgsOptions): string[] {
  const problems = checkPlanForQemu(plan);
  if (problems.length > 0) throw new QemuArgsError(problems);
  const spec = plan.spec;
  const target = opts.target ?? UNKNOWN_TARGET;
  const paths = runDirPaths(opts.runDir);
  const args: string[] = [opts.qemuBinary ?? DEFAULT_QEMU_BINARY];
  const add = (option: string, value?: string) => {
    args.push(option);
    if (value !== undefined) args.push(value);
  };

  // debug-threads=on names the threads ("CPU 0/KVM", "IO io0"): the pin script and the monitor
  // tell vCPU, iothread and emulator threads apart by it in /proc/PID/task/TID/comm.
  add('-name', `guest=${optValue(spec.name)},debug-threads=on`);

  const guestNodes = plan.memory.guestNodes;
  // The machine's facts are decided in vm-facts.ts (no USB, guest RAM out of core dumps and away
  // from KSM, no HPET), as the libvirt XML says them. QEMU before 7.0 knows HPET only as -no-hpet.
  const oldHpet = target.qemu !== null && !qemuAtLeast(target, 7, 0);
  const machine = [spec.machine];
  if (guestNodes.length === 0) machine.push('memory-backend=mem0');
  machine.push(`usb=${onOff(MACHINE_FACTS.usb)}`, `dump-guest-core=${onOff(MACHINE_FACTS.dumpGuestCore)}`, `mem-merge=${onOff(MACHINE_FACTS.memMerge)}`);
  if (!oldHpet) machine.push(`hpet=${onOff(MACHINE_FACTS.hpet)}`);
  // UEFI as two flash chips (vm-facts.ts): the code read-only, the VM's variable store writable.
  const firmware = firmwareFacts(spec);
  if (firmware) {
    if (firmware.secureBoot) machine.push('smm=on');
    machine.push('pflash0=fw-code', 'pflash1=fw-vars');
    const vars = stateDirPaths(opts.stateDir ?? opts.runDir).uefiVars;
    add('-blockdev', `driver=file,node-name=fw-code-file,filename=${optValue(firmware.code)},read-only=on`);
    add('-blockdev', 'driver=raw,node-name=fw-code,file=fw-code-file,read-only=on');
    add('-blockdev', `driver=file,node-name=fw-vars-file,filename=${optValue(vars)},read-only=off`);
    add('-blockdev', 'driver=raw,node-name=fw-vars,file=fw-vars-file,read-only=off');
    // Only SMM code may write the variable store, so the guest OS cannot replace secure boot keys.
    if (firmware.secureBoot) add('-global', 'driver=cfi.pflash01,property=secure,value=on');
  }
  add('-machine', machine.join(','));
  if (oldHpet) add('-no-hpet');
  // thread=multi: one host thread per vCPU under TCG too, so per-vCPU pinning means the same.
  // With mem-lock, TCG's translation cache (1 GiB by default on 64-bit hosts) would be locked
  // and faulted in whole (~1.4 GB locked for a 128M guest, seconds to start): cap it at 64 MiB.
  add('-accel', spec.accel === 'kvm' ? 'kvm' : spec.memory.lock ? 'tcg,thread=multi,tb-size=64' : 'tcg,thread=multi');

  // Features come from the plan as they are: the planner decides them (it adds +topoext for AMD
  // guests with SMT, the leaves through which an AMD guest sees its siblings), so the argv and
  // the libvirt XML cannot disagree about them.
  const cpu = [spec.cpu.model];
  for (const feature of spec.cpu.features) cpu.push(`${feature.slice(1)}=${onOff(feature.startsWith('+'))}`);
  if (cpuMigratableOff(spec)) cpu.push('migratable=off');
  // The host's own cache leaves replace the legacy L3 description (as libvirt's passthrough mode).
  if (spec.cpu.cachePassthrough) cpu.push('host-cache-info=on', 'l3-cache=off');
  // Hyper-V enlightenments and clock (KVM only; vm-facts.ts decides which).
  const hyperv = hypervEnlightenments(plan);
  if (hyperv.length > 0) cpu.push(`${HYPERV_CLOCK.qemu}=on`, ...hyperv.map((entry) => `${entry.qemu}=${entry.value}`));
  // The virtual PMU as asked, and the real-time hint for vCPUs on cores of their own (vm-facts.ts).
  const pmu = pmuState(spec);
  if (pmu !== null) cpu.push(`pmu=${pmu}`);
  if (kvmHintDedicated(plan)) cpu.push('kvm-hint-dedicated=on');
  if (tscDeadline(plan)) cpu.push('tsc-deadline=on');
  // A named model is the same CPU on every host or none: QEMU refuses what the host cannot give.
  if (cpuEnforced(spec)) cpu.push('enforce');
  add('-cpu', cpu.join(','));

  const { count, sockets, dies, cores, threads } = spec.vcpus;
  add('-smp', `${count},sockets=${sockets},dies=${dies},cores=${cores},threads=${threads},maxcpus=${count}`);
  add('-m', `${plan.memory.sizeMiB}M`);
  add('-uuid', vmUuid(spec));

  const backend = (id: string, sizeMiB: number, hostNodes: readonly number[]) => {
    const page = hugepageSize(plan.memory.backing);
    const type = page || spec.memory.share ? 'memory-backend-memfd' : 'memory-backend-ram';
    const props = [type, `id=${id}`, `size=${sizeMiB}M`];
    if (page) props.push('hugetlb=on', `hugetlbsize=${page.option}`);
    // memfd defaults to share=on (ram to off): spell it out so the mapping is what the spec says
    // (a private mapping unless something like vhost-user must map guest RAM).
    if (type === 'memory-backend-memfd') props.push(`share=${onOff(spec.memory.share)}`);
    if (spec.memory.prealloc) props.push('prealloc=on');
    if (preallocContext(plan, target, hostNodes)) {
      // The pages are touched by threads on the memory's own node (QEMU >= 7.2; libvirt does the same).
      add('-object', `thread-context,id=tc-${id},${listProp('node-affinity', hostNodes)}`);
      props.push(`prealloc-context=tc-${id}`);
    }
    if (hostNodes.length > 0) props.push(listProp('host-nodes', hostNodes), 'policy=bind');
    add('-object', props.join(','));
  };
  if (guestNodes.length === 0) {
    backend('mem0', plan.memory.sizeMiB, plan.memory.hostNodes);
  } else {
    guestNodes.forEach((node, index) => backend(`mem${index}`, node.memMiB, node.hostNodes));
    guestNodes.forEach((node, index) => {
      add('-numa', `node,nodeid=${index},${listProp('cpus', node.vcpus)},memdev=mem${index}`);
    });
  }
  const overcommit = [...(spec.memory.lock ? ['mem-lock=on'] : []), ...(cpuPm(plan) ? ['cpu-pm=on'] : [])];
  if (overcommit.length > 0) add('-overcommit', overcommit.join(','));

  for (const iothread of plan.iothreads) add('-object', `iothread,id=${iothread.id}`);

  const iothreadOfDisk = diskIothreads(plan);
  const iothreadSets = diskIothreadSets(plan, qemuAtLeast(target, ...IOTHREAD_VQ_MAPPING.qemu));
  spec.disks.forEach((disk, index) => {
    const knobs = cacheKnobs(disk.cache);
    const cache = `cache.direct=${onOff(knobs.direct)},cache.no-flush=${onOff(knobs.noFlush)}`;
    const readOnly = `read-only=${onOff(disk.readonly)}`;
    add('-blockdev', `driver=file,node-name=disk${index}-file,filename=${optValue(disk.path)},aio=${disk.aio},${cache},${readOnly}`);
    add('-blockdev', `driver=${disk.format},node-name=disk${index},file=disk${index}-file,${cache},${readOnly}`);
    const iothread = iothreadOfDisk[index];
    const several = iothreadSets[index]!;
    if (several.length > 1) {
      // A list property: only the JSON form of -device can give it. QEMU deals the disk's
      // virtqueues (one per vCPU) round-robin over these iothreads.
      add(
        '-device',
        JSON.stringify({
          driver: 'virtio-blk-pci',
          id: `virtio-disk${index}`,
          drive: `disk${index}`,
          'iothread-vq-mapping': several.map((at) => ({ iothread: plan.iothreads[at]!.id })),
          'write-cache': onOff(knobs.writeCache),
        }),
      );
      return;
    }
    add(
      '-device',
      `virtio-blk-pci,id=virtio-disk${index},drive=disk${index}${iothread ? `,iothread=${iothread}` : ''},write-cache=${onOff(knobs.writeCache)}`,
    );
  });

  const net = spec.network;
  const mac = `,mac=${vmMac(spec)}`;
  if (net.mode === 'none') {
    add('-nic', 'none');
  } else if (net.mode === 'user') {
    add('-netdev', 'user,id=net0');
    add('-device', `virtio-net-pci,id=virtio-net0,netdev=net0${mac}`);
  } else {
    const queues = net.queues > 1 ? `,queues=${net.queues}` : '';
    add('-netdev', `tap,id=net0,ifname=${optValue(net.ifname!)},script=no,downscript=no,vhost=${onOff(net.vhost)}${queues}`);
    // One MSI-X vector per rx and tx queue, plus config and control: 2N+2.
    const mq = net.queues > 1 ? `,mq=on,vectors=${2 * net.queues + 2}` : '';
    add('-device', `virtio-net-pci,id=virtio-net0,netdev=net0${mq}${mac}`);
  }

  add('-chardev', `socket,id=qmp0,path=${optValue(paths.qmpSocket)},server=on,wait=off`);
  add('-mon', 'chardev=qmp0,mode=control');
  add('-chardev', `socket,id=qmp1,path=${optValue(paths.monitorSocket)},server=on,wait=off`);
  add('-mon', 'chardev=qmp1,mode=control');
  add('-chardev', `file,id=serial0,path=${optValue(paths.serialLog)}`);
  // The serial port spelled as a device, as libvirt spells it (-serial is its legacy shorthand).
  add('-device', 'isa-serial,chardev=serial0,id=serial0');
  if (spec.guest.tpm) {
    // swtpm (started by launch, src/run/guest-state.ts) serves the TPM on this socket.
    add('-chardev', `socket,id=chrtpm,path=${optValue(paths.tpmSocket)}`);
    add('-tpmdev', 'emulator,id=tpm-tpm0,chardev=chrtpm');
    add('-device', `${TPM_FACTS.model},tpmdev=tpm-tpm0,id=tpm0`);
  }
  add('-rtc', `base=${rtcBase(spec)},driftfix=${CLOCK_FACTS.rtcDriftfix}`);
  add('-global', `kvm-pit.lost_tick_policy=${CLOCK_FACTS.pitLostTickPolicy}`);
  add('-boot', 'strict=on');
  // -pidfile takes a plain path (not an option list): no comma doubling here.
  add('-pidfile', paths.pidFile);
  add('-S');
  add('-display', 'none');
  add('-nodefaults');
  // Ignore /etc/qemu/*.conf: the command line alone says what the VM is.
  add('-no-user-config');
  args.push(...spec.extraArgs);
  return args;
}
