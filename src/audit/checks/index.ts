/** Every audit check, in display order (by category, then as listed in each category's file). */
import type { Check } from '../types.js';
import { CGROUP_CHECKS } from './cgroups.js';
import { CPU_CHECKS } from './cpu.js';
import { DEVICE_CHECKS } from './devices.js';
import { MEMORY_CHECKS } from './memory.js';
import { NUMA_CHECKS } from './numa.js';
import { STORAGE_CHECKS } from './storage.js';
import { VIRTUALIZATION_CHECKS } from './virtualization.js';

export const ALL_CHECKS: readonly Check[] = [
  ...VIRTUALIZATION_CHECKS,
  ...DEVICE_CHECKS,
  ...MEMORY_CHECKS,
  ...CPU_CHECKS,
  ...NUMA_CHECKS,
  ...STORAGE_CHECKS,
  ...CGROUP_CHECKS,
];
