/**
 * The device nodes QEMU needs for acceleration and fast networking, as this user can use them:
 * /dev/kvm (accel kvm) and /dev/vhost-net (vhost for a tap). On the live host a node counts as
 * usable when it opens read-write (non-blocking; nothing is done with it); on a captured host
 * (--root) a node the capture recorded counts as usable, since who may open it is not captured.
 */
import * as fs from 'node:fs';
import type { HostFs } from './host-fs.js';

/** Whether a device node can be used by whoever runs QEMU. */
export type DeviceAccess = 'usable' | 'missing' | 'no-access';

export interface HostDevices {
  kvm: DeviceAccess;
  vhostNet: DeviceAccess;
}

export function readHostDevices(hostFs: HostFs, capturedRoot: boolean): HostDevices {
  return { kvm: deviceAccess(hostFs, '/dev/kvm', capturedRoot), vhostNet: deviceAccess(hostFs, '/dev/vhost-net', capturedRoot) };
}

function deviceAccess(hostFs: HostFs, hostPath: string, capturedRoot: boolean): DeviceAccess {
  const stat = hostFs.stat(hostPath);
  if (stat === null) return 'missing';
  if (capturedRoot) return 'usable';
  if (!stat.isCharacterDevice()) return 'missing';
  let fd: number | null = null;
  try {
    fd = fs.openSync(hostFs.resolve(hostPath), fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    return 'usable';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENXIO' || code === 'ENODEV' ? 'missing' : 'no-access';
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
