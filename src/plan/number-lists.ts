/**
 * Small helpers over lists of CPU, node and vCPU numbers. Plans print and compare these lists, so
 * they are kept distinct and ascending.
 */

/** The indexes 0..count-1 (vCPU numbers, iothread numbers). */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index);
}

/** Distinct values, ascending: the form every CPU and node list in a Plan takes. */
export function unique(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}
