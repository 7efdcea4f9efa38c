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

  const disks = optionValues(argv, '-blockdev')
    .map(props)
    .filter((blockdev) => blockdev.head === 'file')
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
