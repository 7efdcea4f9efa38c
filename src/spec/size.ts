/**
 * Memory sizes as people write them: "16G", "4096M", "1.5G", "512MiB", or a bare number of MiB.
 * Binary units throughout (G = GiB), because that is what QEMU's -m and hugepage pools mean.
 */

const UNIT_KIB: Record<string, number> = { K: 1, M: 1024, G: 1024 * 1024, T: 1024 * 1024 * 1024 };

/**
 * Parses a size to whole MiB, or returns null when it is not a size or not a whole MiB.
 * @example parseSizeMiB("16G") === 16384; parseSizeMiB(512) === 512; parseSizeMiB("1000K") === null
 */
export function parseSizeMiB(input: unknown): number | null {
  if (typeof input === 'number') {
    return Number.isSafeInteger(input) && input > 0 ? input : null;
  }
  if (typeof input !== 'string') return null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMGT])?(?:i?B)?\s*$/i.exec(input);
  if (!match) return null;
  const unit = (match[2] ?? 'M').toUpperCase();
  const sizeKiB = Number(match[1]) * UNIT_KIB[unit]!;
  const sizeMiB = sizeKiB / 1024;
  if (!Number.isSafeInteger(sizeMiB) || sizeMiB <= 0) return null;
  return sizeMiB;
}

/** "16 GiB" / "1536 MiB": the shortest exact binary form, for messages and tables. */
export function formatSizeMiB(sizeMiB: number): string {
  if (sizeMiB >= 1024 * 1024 && sizeMiB % (1024 * 1024) === 0) return `${sizeMiB / (1024 * 1024)} TiB`;
  if (sizeMiB >= 1024 && sizeMiB % 1024 === 0) return `${sizeMiB / 1024} GiB`;
  return `${sizeMiB} MiB`;
}
