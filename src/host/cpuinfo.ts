/**
 * /proc/cpuinfo facts the audit and planner need: vendor, model name and the flag set (of the
 * first processor; flags that differ between CPUs are rare outside hybrid parts).
 */
import type { HostFs } from './host-fs.js';

export interface CpuInfo {
  /** "intel", "amd", or "other" (arm, power, unknown). */
  vendor: 'intel' | 'amd' | 'other';
  /** vendor_id as written ("GenuineIntel", "AuthenticAMD", "HygonGenuine"), null when absent. */
  vendorId: string | null;
  modelName: string | null;
  flags: Set<string>;
  /** Whether /proc/cpuinfo could be read at all (else every field is unknown). */
  readable: boolean;
  reason: string | null;
}

export function readCpuInfo(hostFs: HostFs): CpuInfo {
  const text = hostFs.read('/proc/cpuinfo');
  if (text === null) {
    return { vendor: 'other', vendorId: null, modelName: null, flags: new Set(), readable: false, reason: `/proc/cpuinfo: ${hostFs.why('/proc/cpuinfo')}` };
  }
  const first = text.split(/\n\s*\n/)[0] ?? '';
  const field = (name: string): string | null => {
    const match = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first);
    return match ? match[1]!.trim() : null;
  };
  const vendorId = field('vendor_id');
  const flags = new Set((field('flags') ?? field('Features') ?? '').split(/\s+/).filter(Boolean));
  const vendor = vendorId === 'GenuineIntel' ? 'intel' : vendorId === 'AuthenticAMD' || vendorId === 'HygonGenuine' ? 'amd' : 'other';
  return { vendor, vendorId, modelName: field('model name') ?? field('cpu'), flags, readable: true, reason: null };
}
