/**
 * Reduces a QEMU command line to the VM it describes (guest topology, CPU model, memory backends,
 * iothreads, disks, network), so two very different spellings of one VM can be compared: the argv
 * kvm-tui generates (QEMU keyval options) and the one libvirt builds from the domain XML (JSON
 * -object/-blockdev/-netdev). Defaults are filled in as QEMU applies them (a memfd backend is
 * shared unless told otherwise), so a difference QEMU would act on is not hidden.
 */

export interface MemoryBackendShape {
  type: string;
  sizeBytes: number;
  hugetlbBytes: number;
  share: boolean;
  prealloc: boolean;
  hostNodes: number[];
  policy: string;
}

export interface DiskShape {
  filename: string;
  aio: string;
  direct: boolean;
  noFlush: boolean;
}

export interface VmShape {
  accel: string;
  cpuModel: string;
  smp: { count: number; sockets: number; dies: number; cores: number; threads: number };
  memory: MemoryBackendShape[];
  iothreads: number;
  disks: DiskShape[];
  net: { type: string; queues: number } | null;
}

/** Splits a QEMU keyval option ("a=1,b=x,,y") into its first word and key/value pairs. */
export function parseKeyval(text: string): { head: string; pairs: Array<[string, string]> } {
  const parts: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === ',' && text[index + 1] === ',') {
      current += ',';
      index++;
    } else if (char === ',') {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  const [head = '', ...rest] = parts;
  return { head, pairs: rest.map((part) => [part.slice(0, part.indexOf('=') === -1 ? part.length : part.indexOf('=')), part.includes('=') ? part.slice(part.indexOf('=') + 1) : '']) };
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

function bytes(value: string | number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const match = /^(\d+)([KMGT]?)$/i.exec(value);
  if (!match) throw new Error(`not a size: ${value}`);
  return Number(match[1]) * SIZE_UNITS[match[2]!.toUpperCase()]!;
}

function onOff(value: string | boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  return value === 'on' || value === 'true' || value === 'yes';
}

function nodeList(values: string[]): number[] {
  const out: number[] = [];
  for (const value of values) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(value);
    if (!range) throw new Error(`not a node list element: ${value}`);
    for (let node = Number(range[1]); node <= Number(range[2] ?? range[1]); node++) out.push(node);
  }
  return out;
}

/** The value after each occurrence of `option` in argv. */
function optionValues(argv: readonly string[], option: string): string[] {
  return argv.flatMap((arg, index) => (arg === option && index + 1 < argv.length ? [argv[index + 1]!] : []));
}

type Json = Record<string, unknown>;

/** An -object/-blockdev/-netdev value as key/values, whether written as JSON or as keyval. */
function props(value: string): { head: string; get: (key: string) => string | number | boolean | undefined; all: (key: string) => string[]; json: Json | null } {
  if (value.startsWith('{')) {
    const json = JSON.parse(value) as Json;
    const head = String(json['qom-type'] ?? json.driver ?? json.type ?? '');
    const get = (key: string): string | number | boolean | undefined => {
      let node: unknown = json;
      for (const part of key.split('.')) node = node !== null && typeof node === 'object' ? (node as Json)[part] : undefined;
      return node as string | number | boolean | undefined;
    };
    const all = (key: string) => {
      const found = get(key) as unknown;
      return Array.isArray(found) ? found.map(String) : found === undefined ? [] : [String(found)];
    };
    return { head, get, all, json };
  }
  const { head, pairs } = parseKeyval(value);
  const isDriver = head.startsWith('driver=');
  const list = isDriver ? [['driver', head.slice('driver='.length)] as [string, string], ...pairs] : pairs;
  const get = (key: string) => list.find(([name]) => name === key)?.[1];
  const all = (key: string) => list.filter(([name]) => name === key).map(([, found]) => found);
  return { head: isDriver ? head.slice('driver='.length) : head, get, all, json: null };
}

/** The VM a QEMU argv (either spelling) describes. */
export function vmShape(argv: readonly string[]): VmShape {
  const accel = parseKeyval(optionValues(argv, '-accel')[0] ?? '').head;
  const cpuModel = parseKeyval(optionValues(argv, '-cpu')[0] ?? '').head;
  const smpText = optionValues(argv, '-smp')[0] ?? '';
  const smpPairs = parseKeyval(smpText);
  const smpValue = (key: string) => Number(smpPairs.pairs.find(([name]) => name === key)?.[1] ?? 1);
  const smp = { count: Number(smpPairs.head), sockets: smpValue('sockets'), dies: smpValue('dies'), cores: smpValue('cores'), threads: smpValue('threads') };

  const objects = optionValues(argv, '-object').map(props);
  const memory = objects
    .filter((object) => object.head.startsWith('memory-backend-'))
    .map((object) => ({
      type: object.head,
      sizeBytes: bytes(object.get('size') as string | number | undefined),
      hugetlbBytes: onOff(object.get('hugetlb') as string | boolean | undefined, false) ? bytes(object.get('hugetlbsize') as string | number | undefined) : 0,
      // QEMU's defaults: memfd maps shared, ram and file privately.
      share: onOff(object.get('share') as string | boolean | undefined, object.head === 'memory-backend-memfd'),
      prealloc: onOff(object.get('prealloc') as string | boolean | undefined, false),
      hostNodes: nodeList(object.all('host-nodes')),
      policy: String(object.get('policy') ?? 'default'),
    }));
  const iothreads = objects.filter((object) => object.head === 'iothread').length;

  const flash = new Set(firmwareNodes(argv).flatMap((node) => [node.format, node.file]));
  const disks = optionValues(argv, '-blockdev')
    .map(props)
    .filter((blockdev) => blockdev.head === 'file' && !flash.has(String(blockdev.get('node-name'))))
    .map((blockdev) => ({
      filename: String(blockdev.get('filename')),
      aio: String(blockdev.get('aio') ?? 'threads'),
      direct: onOff(blockdev.get('cache.direct') as string | boolean | undefined, false),
      noFlush: onOff(blockdev.get('cache.no-flush') as string | boolean | undefined, false),
    }));

  const netdev = optionValues(argv, '-netdev').map(props)[0];
  let net: VmShape['net'] = null;
  if (netdev) {
    // libvirt hands QEMU one tap fd per queue ("fds":"29:31"); kvm-tui names the tap and the count.
    const fds = netdev.get('fds');
    const queues = typeof fds === 'string' ? fds.split(':').length : Number(netdev.get('queues') ?? 1);
    net = { type: netdev.head, queues };
  }
  return { accel, cpuModel, smp, memory, iothreads, disks, net };
}

/** The machine's flash chips (pflash0 = firmware code, pflash1 = its variable store): their format and file node names. */
function firmwareNodes(argv: readonly string[]): Array<{ unit: string; format: string; file: string }> {
  const machine = parseKeyval(optionValues(argv, '-machine')[0] ?? '');
  const blockdevs = optionValues(argv, '-blockdev').map(props);
  return machine.pairs
    .filter(([name]) => name === 'pflash0' || name === 'pflash1')
    .map(([unit, format]) => ({ unit, format, file: String(blockdevs.find((node) => node.get('node-name') === format)?.get('file') ?? '') }));
}

/**
 * Every fact of the VM a command line states beyond vmShape's (see src/generate/vm-facts.ts for
 * why each is chosen): machine properties, CPU properties, clock, identity, devices, serial and
 * preallocation contexts. Spelling differences that mean the same are normalised here, each
 * named: `-no-hpet` = `hpet=off`; machine aliases (q35, pc) = their versioned names; PCI root
 * ports and addresses (libvirt places devices itself; the guest sees the same devices).
 */
export interface VmFacts extends VmShape {
  machine: { family: string; usb: boolean; dumpGuestCore: boolean; memMerge: boolean; hpet: boolean; smm: string };
  /** CPU properties after the model, sorted (features and flags such as migratable=off), hv-* apart. */
  cpuProps: string[];
  /** Hyper-V enlightenments on -cpu (hv-*=value), sorted. */
  hyperv: string[];
  /**
   * UEFI as pflash: the code's file and both chips' read-only state and format. The variable
   * store's file is not compared: each manager keeps its own copy (libvirt's nvram dir, kvm-tui's
   * state dir), made from the template the two documents name (compared in the parity test).
   */
  firmware: { code: string; codeReadOnly: boolean; codeFormat: string; vars: { readOnly: boolean; format: string } | null } | null;
  /** The TPM: device model and backend type (libvirt's pretend conversion gives the emulator a null chardev; the socket is its way to swtpm). */
  tpm: { model: string; backend: string } | null;
  rtc: string | null;
  globals: string[];
  bootStrict: boolean;
  uuid: string | null;
  memLock: boolean;
  cpuPm: boolean;
  /** Device drivers, sorted, without PCI plumbing (root ports, bridges). */
  devices: string[];
  nics: Array<{ driver: string; mac: string | null }>;
  /** The serial port's backend: logged to a file (a file chardev, or a pty with a log file). */
  serial: { logged: boolean } | null;
  /** Per memory backend (in order): the host nodes its preallocation context runs on, or null. */
  preallocContexts: Array<number[] | null>;
}

/** QEMU options without a value (in the argvs compared here). */
const FLAG_OPTIONS = new Set(['-S', '-nodefaults', '-no-user-config', '-no-hpet', '-no-shutdown', '-no-reboot', '-enable-kvm']);

/** Options the comparison reads, and those it ignores on purpose (with why). */
const COMPARED_OPTIONS = new Set(['-tpmdev', '-name', '-machine', '-accel', '-cpu', '-smp', '-m', '-object', '-numa', '-overcommit', '-uuid', '-blockdev', '-device', '-netdev', '-nic', '-chardev', '-serial', '-rtc', '-global', '-boot', '-no-hpet', '-S', '-display', '-nodefaults', '-no-user-config']);
export const IGNORED_OPTIONS: Readonly<Record<string, string>> = {
  '-mon': 'the management monitors (QMP sockets): how kvm-tui or libvirt talks to QEMU, not the VM',
  '-pidfile': "kvm-tui's record of the QEMU pid",
  '-no-shutdown': 'libvirt keeps QEMU alive after a guest power-off for its own bookkeeping (on_poweroff destroy ends it)',
  '-sandbox': "libvirt's seccomp profile for the QEMU process: hardening of the host process, not a property of the VM",
  '-msg': 'timestamps on QEMU log lines',
  '-add-fd': 'a file descriptor libvirt opened for QEMU (the serial log file, through virtlogd)',
  '-audiodev': 'an audio backend with no audio device attached (the guest has no sound hardware either way)',
};

/** Splits a POSIX shell command line (single and double quotes, backslashes) into words. */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (char === "'") {
      const end = line.indexOf("'", index + 1);
      if (end === -1) throw new Error('unterminated single quote');
      word = (word ?? '') + line.slice(index + 1, end);
      index = end;
    } else if (char === '"') {
      let text = '';
      index++;
      while (index < line.length && line[index] !== '"') {
        if (line[index] === '\\' && /["\\$`]/.test(line[index + 1] ?? '')) index++;
        text += line[index];
        index++;
      }
      word = (word ?? '') + text;
    } else if (char === '\\') {
      word = (word ?? '') + (line[index + 1] ?? '');
      index++;
    } else if (/\s/.test(char)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** `virsh domxml-to-native qemu-argv` output -> the QEMU argv (environment assignments dropped). */
export function nativeArgv(output: string): string[] {
  const words = splitShellWords(output.trim());
  const binary = words.findIndex((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
  return words.slice(binary);
}

/** The options of an argv (after the binary) that the comparison neither reads nor ignores on purpose. */
export function unexplainedOptions(argv: readonly string[], passThrough: readonly string[] = []): string[] {
  const found: string[] = [];
  const end = argv.length - passThrough.length;
  for (let index = 1; index < end; index++) {
    const option = argv[index]!;
    if (!option.startsWith('-')) {
      found.push(`stray word ${JSON.stringify(option)}`);
      continue;
    }
    if (!COMPARED_OPTIONS.has(option) && !(option in IGNORED_OPTIONS)) found.push(option);
    if (!FLAG_OPTIONS.has(option)) index++;
  }
  return found;
}

const PCI_PLUMBING = new Set(['pcie-root-port', 'pci-bridge', 'pcie-pci-bridge', 'i82801b11-bridge', 'pxb', 'pxb-pcie']);

export function vmFacts(argv: readonly string[]): VmFacts {
  const shape = vmShape(argv);
  const machineText = parseKeyval(optionValues(argv, '-machine')[0] ?? '');
  const machineValue = (key: string) => machineText.pairs.find(([name]) => name === key)?.[1];
  const family = /^pc-q35-|^q35$/.test(machineText.head) ? 'q35' : /^pc-i440fx-|^pc$/.test(machineText.head) ? 'pc' : machineText.head;
  const machine = {
    family,
    usb: onOff(machineValue('usb'), true),
    dumpGuestCore: onOff(machineValue('dump-guest-core'), true),
    memMerge: onOff(machineValue('mem-merge'), true),
    hpet: argv.includes('-no-hpet') ? false : onOff(machineValue('hpet'), true),
    // QEMU's default is auto (on where the accelerator supports it); only an explicit on/off says more.
    smm: machineValue('smm') ?? 'auto',
  };
  const allCpuProps = parseKeyval(optionValues(argv, '-cpu')[0] ?? '')
    .pairs.filter(([name]) => name !== 'enforce')
    .map(([name, value]) => `${name}=${value}`)
    .sort();
  const cpuProps = allCpuProps.filter((prop) => !prop.startsWith('hv-'));
  const hyperv = allCpuProps.filter((prop) => prop.startsWith('hv-'));
  const blockdevs = optionValues(argv, '-blockdev').map(props);
  const chip = (unit: string) => {
    const node = firmwareNodes(argv).find((entry) => entry.unit === unit);
    if (!node) return null;
    const format = blockdevs.find((blockdev) => blockdev.get('node-name') === node.format);
    const file = blockdevs.find((blockdev) => blockdev.get('node-name') === node.file);
    return { filename: String(file?.get('filename')), readOnly: onOff(format?.get('read-only') as string | boolean | undefined, false), format: String(format?.head) };
  };
  const code = chip('pflash0');
  const vars = chip('pflash1');
  const firmware = code ? { code: code.filename, codeReadOnly: code.readOnly, codeFormat: code.format, vars: vars ? { readOnly: vars.readOnly, format: vars.format } : null } : null;
  const tpmdev = optionValues(argv, '-tpmdev').map((value) => parseKeyval(value))[0];
  const devices = optionValues(argv, '-device').map(props);
  const chardevs = new Map(optionValues(argv, '-chardev').map((value) => {
    const { head, pairs } = parseKeyval(value);
    const get = (key: string) => pairs.find(([name]) => name === key)?.[1];
    return [get('id') ?? '', { backend: head, logfile: get('logfile') ?? null }] as const;
  }));
  let serial: VmFacts['serial'] = null;
  const serialDevice = devices.find((device) => device.head === 'isa-serial');
  const serialChardev = serialDevice ? String(serialDevice.get('chardev')) : (optionValues(argv, '-serial')[0] ?? '').replace(/^chardev:/, '');
  if (serialChardev) {
    const chardev = chardevs.get(serialChardev);
    serial = { logged: chardev !== undefined && (chardev.backend === 'file' || chardev.logfile !== null) };
  }
  const objects = optionValues(argv, '-object').map(props);
  const contexts = new Map(objects.filter((object) => object.head === 'thread-context').map((object) => [String(object.get('id')), nodeList(object.all('node-affinity'))]));
  const preallocContexts = objects
    .filter((object) => object.head.startsWith('memory-backend-'))
    .map((object) => {
      const context = object.get('prealloc-context');
      return context === undefined ? null : (contexts.get(String(context)) ?? [-1]);
    });
  // Before QEMU 9.1 each -overcommit resets the keys it does not name: the last one is what runs
  // (libvirt writes its mem-lock first, <qemu:commandline> may add another).
  const overcommit = parseKeyval(`x,${optionValues(argv, '-overcommit').at(-1) ?? ''}`);
  const tpmDevice = optionValues(argv, '-device').map(props).find((device) => device.head.startsWith('tpm-'));
  return {
    ...shape,
    machine,
    cpuProps,
    hyperv,
    firmware,
    tpm: tpmdev || tpmDevice ? { model: tpmDevice?.head ?? 'none', backend: tpmdev?.head ?? 'none' } : null,
    rtc: optionValues(argv, '-rtc')[0] ?? null,
    globals: optionValues(argv, '-global').sort(),
    bootStrict: optionValues(argv, '-boot').some((value) => /(^|,)strict=on(,|$)/.test(value)),
    uuid: optionValues(argv, '-uuid')[0] ?? null,
    memLock: onOff(overcommit.pairs.find(([name]) => name === 'mem-lock')?.[1], false),
    cpuPm: onOff(overcommit.pairs.find(([name]) => name === 'cpu-pm')?.[1], false),
    devices: devices.map((device) => device.head).filter((driver) => !PCI_PLUMBING.has(driver)).sort(),
    nics: devices.filter((device) => device.head.startsWith('virtio-net')).map((device) => ({ driver: device.head, mac: (device.get('mac') as string | undefined) ?? null })),
    serial,
    preallocContexts,
  };
}
