/**
 * What the host offers the VM step: its network interfaces and bridges (for a tap on a bridge),
 * the free space of the filesystem that would hold a disk image, and its memory. Read through
 * systeminformation (networkInterfaces, fsSize, blockDevices, mem), which the wizard gets as a service so its
 * screens do no I/O; the bridge and tap facts systeminformation does not give (which interface is
 * a bridge, which is a tap, which bridge a port belongs to) come from /sys/class/net through the
 * host's HostFs. The CPU topology stays with the sysfs reader.
 *
 * On a captured host (--root) systeminformation would describe this machine, not the capture:
 * only the capture's /sys/class/net is read, and disk space and memory are "unknown" with why.
 * Every answer is a value, never a throw: a failed read is an "unknown" with its reason.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostFs } from '../host/host-fs.js';

export type InterfaceKind = 'bridge' | 'tap' | 'tun' | 'loopback' | 'other';

/** One network interface of the host, as the VM step shows it. */
export interface HostInterface {
  name: string;
  kind: InterfaceKind;
  /** The bridge this interface is a port of (its sysfs `master`), or null. */
  bridge: string | null;
  /** operstate "up"; null when the host does not say. */
  up: boolean | null;
  ip4: string | null;
  /** The interface of the default route. */
  isDefault: boolean;
}

export interface HostInterfaces {
  interfaces: HostInterface[];
  /** Why the list may be short (a captured host, a failed read), or null. */
  note: string | null;
}

/** The filesystem that holds (or would hold) a disk image, and its free space. */
export interface DiskSpace {
  /** The path as typed. */
  file: string;
  /** Absolute, symlinks of its existing part resolved. */
  resolved: string;
  /** Whether the image file is there already (QEMU does not create it). */
  exists: boolean;
  sizeBytes: number | null;
  mount: string;
  fsType: string;
  availableBytes: number;
  totalBytes: number;
  /**
   * The block device the filesystem is on (systeminformation's blockDevices): its name, what it
   * is (SSD, HDD, NVMe...) and model; null when none matches (overlay, tmpfs, a network share).
   */
  device: { name: string; physical: string; model: string } | null;
}

export type DiskSpaceAnswer = DiskSpace | { file: string; unknown: string };

export type HostMemoryAnswer = { totalMiB: number; availableMiB: number } | { unknown: string };

/** What the VM step may ask about the host (the wizard's service; a fake in tests). */
export interface HostOffer {
  interfaces(): Promise<HostInterfaces>;
  diskSpace(file: string): Promise<DiskSpaceAnswer>;
  memory(): Promise<HostMemoryAnswer>;
}

/** The part of systeminformation the offer reads, as its types give it (a fake in tests). */
export interface SystemInfo {
  networkInterfaces(): Promise<unknown>;
  fsSize(): Promise<Array<{ fs: string; type: string; size: number; available: number; mount: string }>>;
  mem(): Promise<{ total: number; available: number }>;
  blockDevices(): Promise<Array<{ name: string; type: string; physical: string; model: string; device?: string }>>;
}

export interface HostOfferDeps {
  /** Loaded on first use: the wizard's first frame does not wait for it. */
  systemInfo: () => Promise<SystemInfo>;
  hostFs: HostFs;
  capturedRoot: boolean;
  /** What relative disk paths are relative to (QEMU inherits it). */
  cwd: string;
}

const NET_DIR = '/sys/class/net';
/** linux/if_tun.h: IFF_TUN 0x0001, IFF_TAP 0x0002 in tun_flags. */
const IFF_TAP = 0x0002;

export function buildHostOffer(deps: HostOfferDeps): HostOffer {
  const capturedReason = 'captured host (--root): this is known only on the machine that runs the VM';
  return {
    async interfaces() {
      const fromSysfs = readSysfsInterfaces(deps.hostFs);
      if (deps.capturedRoot) {
        return { interfaces: fromSysfs, note: fromSysfs.length === 0 ? 'captured host (--root): the capture holds no /sys/class/net' : null };
      }
      try {
        const si = await deps.systemInfo();
        return { interfaces: mergeInterfaces(fromSysfs, asInterfaceList(await si.networkInterfaces())), note: null };
      } catch (error) {
        return { interfaces: fromSysfs, note: `systeminformation could not list the interfaces: ${(error as Error).message}` };
      }
    },
    async diskSpace(file) {
      if (deps.capturedRoot) return { file, unknown: capturedReason };
      try {
        const located = locate(path.resolve(deps.cwd, file));
        const filesystems = await (await deps.systemInfo()).fsSize();
        const holder = mountHolding(located.resolved, filesystems);
        if (!holder) return { file, unknown: `no mounted filesystem listed for ${located.resolved}` };
        // What the image sits on (an HDD wants other cache/aio choices than NVMe); not knowing is fine.
        const devices = await (await deps.systemInfo()).blockDevices().catch(() => []);
        const device = devices.find((entry) => (entry.device ?? `/dev/${entry.name}`) === holder.fs || `/dev/${entry.name}` === holder.fs);
        return {
          file,
          resolved: located.resolved,
          exists: located.exists,
          sizeBytes: located.sizeBytes,
          mount: holder.mount,
          fsType: holder.type,
          availableBytes: holder.available,
          totalBytes: holder.size,
          device: device ? { name: device.name, physical: device.physical, model: device.model.trim() } : null,
        };
      } catch (error) {
        return { file, unknown: (error as Error).message };
      }
    },
    async memory() {
      if (deps.capturedRoot) return { unknown: capturedReason };
      try {
        const mem = await (await deps.systemInfo()).mem();
        return { totalMiB: Math.floor(mem.total / 1048576), availableMiB: Math.floor(mem.available / 1048576) };
      } catch (error) {
        return { unknown: (error as Error).message };
      }
    },
  };
}

/** The interfaces in the host's /sys/class/net: bridges, taps (tun_flags), the bridge each is a port of. */
export function readSysfsInterfaces(hostFs: HostFs): HostInterface[] {
  return hostFs.list(NET_DIR).map((name) => {
    const dir = `${NET_DIR}/${name}`;
    const tunFlags = hostFs.readLine(`${dir}/tun_flags`);
    const flags = tunFlags === null ? null : Number.parseInt(tunFlags, 16);
    const kind: InterfaceKind =
      name === 'lo' ? 'loopback' : hostFs.exists(`${dir}/bridge`) ? 'bridge' : flags === null || Number.isNaN(flags) ? 'other' : flags & IFF_TAP ? 'tap' : 'tun';
    const master = hostFs.readLink(`${dir}/master`);
    const operstate = hostFs.readLine(`${dir}/operstate`);
    return { name, kind, bridge: master ? path.basename(master) : null, up: operstate === null ? null : operstate === 'up', ip4: null, isDefault: false };
  });
}

/** systeminformation's rows, kept to the fields used (its answer is an array of objects). */
function asInterfaceList(value: unknown): Array<{ iface: string; ip4: string; operstate: string; default: boolean; internal: boolean }> {
  if (!Array.isArray(value)) return [];
  return value.filter((entry): entry is { iface: string; ip4: string; operstate: string; default: boolean; internal: boolean } => typeof entry?.iface === 'string' && entry.iface !== '');
}

/** sysfs gives the kinds and bridges, systeminformation the addresses and the default route; an interface either knows is listed. */
function mergeInterfaces(sysfs: HostInterface[], listed: ReturnType<typeof asInterfaceList>): HostInterface[] {
  const byName = new Map(sysfs.map((entry) => [entry.name, { ...entry }]));
  for (const entry of listed) {
    const known = byName.get(entry.iface) ?? { name: entry.iface, kind: entry.internal ? 'loopback' : 'other', bridge: null, up: null, ip4: null, isDefault: false };
    byName.set(entry.iface, {
      ...known,
      ip4: entry.ip4 || known.ip4,
      isDefault: Boolean(entry.default),
      up: known.up ?? (entry.operstate ? entry.operstate === 'up' : null),
    });
  }
  return [...byName.values()];
}

/** The path's nearest existing ancestor with its symlinks resolved, the rest appended. */
function locate(absolute: string): { resolved: string; exists: boolean; sizeBytes: number | null } {
  let existing = absolute;
  const rest: string[] = [];
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) {
    rest.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  const resolved = path.join(fs.realpathSync(existing), ...rest);
  const exists = rest.length === 0;
  const stat = exists ? fs.statSync(resolved) : null;
  if (stat && stat.isDirectory()) throw new Error(`${absolute} is a directory, not a disk image`);
  return { resolved, exists, sizeBytes: stat ? stat.size : null };
}

/** The mounted filesystem whose mount point is the longest prefix of `resolved`. */
export function mountHolding<T extends { mount: string }>(resolved: string, filesystems: readonly T[]): T | null {
  let best: T | null = null;
  for (const entry of filesystems) {
    const mount = entry.mount.replace(/\/+$/, '') || '/';
    const inside = mount === '/' || resolved === mount || resolved.startsWith(`${mount}/`);
    if (inside && (best === null || mount.length > (best.mount.replace(/\/+$/, '') || '/').length)) best = entry;
  }
  return best;
}
