/** Partial at every depth (arrays replaced whole), for hand-made specs in tests. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends Array<unknown> ? T[K] : T[K] extends object | null ? DeepPartial<T[K]> : T[K] };

/** `base` with `overrides` merged in: objects recursively, arrays and scalars replaced, undefined ignored. */
export function deepMerge<T>(base: T, overrides: DeepPartial<T>): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides as Record<string, unknown>)) {
    const current = out[key];
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && current !== null && typeof current === 'object' && !Array.isArray(current)) {
      out[key] = deepMerge(current, value as DeepPartial<typeof current>);
    } else if (value !== undefined) {
      out[key] = value;
    }
  }
  return out as T;
}
