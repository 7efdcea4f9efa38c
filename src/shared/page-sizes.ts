/**
 * Memory page sizes, in every spelling kvm-tui meets them: the spec's backing
 * ("hugepages-2M"), QEMU's and the CLI's size ("2M"), the kernel's pool key in KiB
 * ("hugepages-2048kB" under /sys, "2048" in the topology) and MiB for size maths.
 */
import type { MemoryBacking } from '../spec/types.js';

/** A memory backing that draws from a hugepage pool. */
export type HugepageBacking = Exclude<MemoryBacking, 'ram'>;

/** The hugepage sizes x86-64 offers (pdpe1gb gives the second). */
export const PAGE_SIZE_2M_KIB = 2048;
export const PAGE_SIZE_1G_KIB = 1048576;

/** Page size in KiB per hugepage backing, as the sysfs pools are keyed ("hugepages-2048kB"). */
export const PAGE_KIB: Record<HugepageBacking, string> = {
  'hugepages-2M': String(PAGE_SIZE_2M_KIB),
  'hugepages-1G': String(PAGE_SIZE_1G_KIB),
};

/** Page size in MiB per backing (plain RAM counts in 1 MiB steps, the spec's unit). */
export const PAGE_MIB: Record<MemoryBacking, number> = { ram: 1, 'hugepages-2M': 2, 'hugepages-1G': 1024 };

/** The size as QEMU's memory-backend and the CLI's --hugepages spell it. */
export const PAGE_OPTION: Record<HugepageBacking, '2M' | '1G'> = { 'hugepages-2M': '2M', 'hugepages-1G': '1G' };

/** --hugepages none|2M|1G -> the backing; undefined for anything else. */
export function backingOfPageOption(option: string): MemoryBacking | undefined {
  return ({ none: 'ram', '2M': 'hugepages-2M', '1G': 'hugepages-1G' } as Record<string, MemoryBacking>)[option];
}

/** The backing as --hugepages (and the wizard's h key) spells it: none, 2M or 1G. */
export function pageOptionOf(backing: MemoryBacking): 'none' | '2M' | '1G' {
  return backing === 'ram' ? 'none' : PAGE_OPTION[backing];
}

/** Page size in KiB of a backing; 0 for plain RAM. */
export function pageKiB(backing: MemoryBacking): number {
  return backing === 'ram' ? 0 : Number(PAGE_KIB[backing]);
}

/** A page size in KiB as people say it: 2048 -> "2M", 1048576 -> "1G". */
export function pageLabel(sizeKiB: number): string {
  if (sizeKiB >= 1024 * 1024) return `${sizeKiB / (1024 * 1024)}G`;
  if (sizeKiB >= 1024) return `${sizeKiB / 1024}M`;
  return `${sizeKiB}K`;
}

export function isHugepageBacking(backing: MemoryBacking): backing is HugepageBacking {
  return backing !== 'ram';
}
