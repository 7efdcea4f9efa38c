/**
 * Kernel CPU lists and masks.
 *
 * @example parseCpuList("0-3,8-11:2") // [0,1,2,3,8,10]
 * @example parseCpuMask("00000000,00000f0f") // [0,1,2,3,8,9,10,11]
 * @example formatCpuList([0,1,2,3,8,10]) // "0-3,8,10"
 */

export class CpuListError extends Error {}

/** Upper bound for a CPU number we accept from a file; guards against "0-4294967295". */
/**
 * The largest CPU number any host can have: Linux's NR_CPUS tops out at 8192 (x86-64 MAXSMP),
 * so a list naming CPU 8192 or more is not about a real host, and expanding it would cost time
 * and memory for nothing (a 7-byte "0-65536" once took seconds through the planner).
 */
export const MAX_CPU = 8191;

/**
 * Parses a cpulist ("0-3,8-11", "5", "" = none), with strides: "0-62:2" is every second CPU
 * (0,2,...,62), and the kernel's group form "0-63:2/4" is 2 CPUs of every 4 (0,1,4,5,...).
 * Throws CpuListError naming the bad part; result is sorted and unique.
 */
export function parseCpuList(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '(null)') return [];
  const out = new Set<number>();
  for (const part of trimmed.split(',')) {
    const match = /^(\d+)(?:-(\d+)(?::(\d+)(?:\/(\d+))?)?)?$/.exec(part.trim());
    if (!match) throw new CpuListError(`bad cpulist element "${part}" in "${truncate(trimmed)}"`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    // Two stride forms: "a-b:S" (util-linux/taskset: every S-th CPU) and the kernel's
    // "a-b:U/G" (the first U CPUs of every group of G). "a-b:S" is "a-b:1/S".
    const used = match[3] === undefined || match[4] === undefined ? 1 : Number(match[3]);
    const group = match[3] === undefined ? 1 : match[4] === undefined ? Number(match[3]) : Number(match[4]);
    if (last < first) throw new CpuListError(`bad cpulist range "${part}": end before start`);
    if (last > MAX_CPU) throw new CpuListError(`bad cpulist range "${part}": CPU number too large`);
    if (used < 1 || group < used) throw new CpuListError(`bad cpulist stride in "${part}"`);
    for (let base = first; base <= last; base += group) {
      for (let cpu = base; cpu < base + used && cpu <= last; cpu++) out.add(cpu);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** Parses a hex cpumask ("ff,00000001": 32-bit words, most significant first). */
export function parseCpuMask(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const words = trimmed.split(',');
  const out: number[] = [];
  for (let w = 0; w < words.length; w++) {
    const word = words[words.length - 1 - w]!;
    if (!/^[0-9a-fA-F]{1,8}$/.test(word)) throw new CpuListError(`bad cpumask word "${word}" in "${truncate(trimmed)}"`);
    const value = Number.parseInt(word, 16);
    for (let bit = 0; bit < 32; bit++) {
      if (value & (1 << bit)) out.push(w * 32 + bit);
    }
  }
  return out.sort((a, b) => a - b);
}

/** Formats CPUs as the kernel would: ranges of 3+ consecutive numbers collapse ("0-3,8,10"). */
export function formatCpuList(cpus: Iterable<number>): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    if (j === i) parts.push(String(sorted[i]));
    else if (j === i + 1) parts.push(`${sorted[i]},${sorted[j]}`);
    else parts.push(`${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function truncate(text: string): string {
  return text.length > 40 ? text.slice(0, 37) + '...' : text;
}

/** Whether two CPU lists name the same CPUs (in any order). */
export function sameCpus(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const sortedA = [...a].sort((x, y) => x - y);
  const sortedB = [...b].sort((x, y) => x - y);
  return sortedA.every((cpu, index) => cpu === sortedB[index]);
}
