/**
 * A small validator for JSON-shaped input (specs and preset files): declarative schemas whose
 * first issue names one field and says what it must be.
 *
 * kvm-tui used zod for this; zod cost `plan` and `generate` about 20 ms of every start (compiling
 * its 125 KB, building the schemas, the first parse) for a handful of parses per process. These
 * schemas keep zod's rules, so every message stays what it was:
 * - an object checks its declared fields in declaration order, then reports the first field it
 *   does not know (strict: a typo is an error, never ignored);
 * - a wrong type, enum value or literal "aborts" (nothing more is said of that value), while a
 *   failed range, length or pattern check does not (the value had the right shape);
 * - a union takes the first option with no issue; else, when exactly one option failed without
 *   aborting (the value had that option's shape), that option's issues; else the union's message.
 */

export type PathPart = string | number;

export interface Issue {
  path: PathPart[];
  message: string;
  /** Set on an unknown-field issue: the first field the object does not declare. */
  unknownKey?: string;
  /** True for issues that do not abort (a range or pattern check failed, an unknown field). */
  soft: boolean;
}

export interface Schema<T> {
  /** Appends the value's issues (none: it is a T). */
  check(value: unknown, path: PathPart[], issues: Issue[]): void;
  /** Types only. */
  readonly __type?: T;
}

export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** A check on a value of the right type: what is wrong, or null. Its issue does not abort. */
export type Refinement<T> = (value: T) => string | null;

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S];
type Flat<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Flat<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

function typed<T>(accepts: (value: unknown) => boolean, message: string, refinements: Array<Refinement<T>> = []): Schema<T> {
  return {
    check(value, path, issues) {
      if (!accepts(value)) {
        issues.push({ path: [...path], message, soft: false });
        return;
      }
      for (const refine of refinements) {
        const problem = refine(value as T);
        if (problem !== null) issues.push({ path: [...path], message: problem, soft: true });
      }
    },
  };
}

export const string = (message: string, ...refinements: Array<Refinement<string>>): Schema<string> =>
  typed((value) => typeof value === 'string', message, refinements);

export const boolean = (message: string): Schema<boolean> => typed((value) => typeof value === 'boolean', message);

/** A finite number (NaN and the infinities are not numbers here). */
export const number = (message: string, ...refinements: Array<Refinement<number>>): Schema<number> =>
  typed((value) => typeof value === 'number' && Number.isFinite(value), message, refinements);

export const nullValue = (message: string): Schema<null> => typed((value) => value === null, message);

export function literal<const T extends string | number | boolean>(expected: T, message: string): Schema<T> {
  return typed((value) => value === expected, message);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, message: string): Schema<T[number]> {
  const set = new Set<unknown>(values);
  return typed((value) => set.has(value), message);
}

export function optional<T>(schema: Schema<T>): OptionalSchema<T> {
  return {
    optional: true,
    check(value, path, issues) {
      if (value !== undefined) schema.check(value, path, issues);
    },
  };
}

export function list<T>(item: Schema<T>, message: string): Schema<T[]> {
  return {
    check(value, path, issues) {
      if (!Array.isArray(value)) {
        issues.push({ path: [...path], message, soft: false });
        return;
      }
      for (let index = 0; index < value.length; index++) {
        path.push(index);
        item.check(value[index], path, issues);
        path.pop();
      }
    },
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An object with exactly these fields (those not optional are required). */
export function object<S extends Shape>(shape: S, message: string): Schema<ObjectOf<S>> {
  const keys = Object.keys(shape);
  const known = new Set(keys);
  return {
    check(value, path, issues) {
      if (!isObject(value)) {
        issues.push({ path: [...path], message, soft: false });
        return;
      }
      for (const key of keys) {
        path.push(key);
        shape[key]!.check(Object.hasOwn(value, key) ? value[key] : undefined, path, issues);
        path.pop();
      }
      for (const key of Object.keys(value)) {
        if (!known.has(key)) {
          issues.push({ path: [...path], message: 'unknown field', unknownKey: key, soft: true });
          return;
        }
      }
    },
  };
}

/** A plain object with any fields (their values are checked by whoever reads them). */
export const record = (message: string): Schema<Record<string, unknown>> => {
  return typed((value) => isObject(value) && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null), message);
};

export function union<const O extends readonly Schema<unknown>[]>(options: O, message: string): Schema<Infer<O[number]>> {
  return {
    check(value, path, issues) {
      let shaped: Issue[] | null = null;
      let shapedCount = 0;
      for (const option of options) {
        const found: Issue[] = [];
        option.check(value, path, found);
        if (found.length === 0) return;
        if (found.every((issue) => issue.soft)) {
          shaped = found;
          shapedCount++;
        }
      }
      if (shapedCount === 1) issues.push(...shaped!);
      else issues.push({ path: [...path], message, soft: false });
    },
  };
}

/**
 * A whole number from min to max. A fraction ends the checks there (it is the wrong kind of
 * number); a whole number past 2^53 is "not whole" too (JSON cannot say which one it is), and is
 * then also checked against the range, as zod's int() did.
 */
export function integer(min: number, max: number): Schema<number> {
  return {
    check(value, path, issues) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        issues.push({ path: [...path], message: 'must be a number', soft: false });
        return;
      }
      if (!Number.isInteger(value)) {
        issues.push({ path: [...path], message: 'must be a whole number', soft: false });
        return;
      }
      if (!Number.isSafeInteger(value)) issues.push({ path: [...path], message: 'must be a whole number', soft: true });
      if (value < min) issues.push({ path: [...path], message: `must be at least ${min}`, soft: true });
      if (value > max) issues.push({ path: [...path], message: `must be at most ${max}`, soft: true });
    },
  };
}

/** Validates `value`; the first issue, or null when it is a T. */
export function firstIssue<T>(schema: Schema<T>, value: unknown): Issue | null {
  const issues: Issue[] = [];
  schema.check(value, [], issues);
  return issues[0] ?? null;
}

/** Formats a path the way people write it: disks[0].aio */
export function formatPath(path: ReadonlyArray<PathPart>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

/** The field an issue names: its path, and the unknown field's name for an unknown-field issue. */
export function issueField(issue: Issue): string {
  const base = formatPath(issue.path);
  if (issue.unknownKey === undefined) return base;
  return base ? `${base}.${issue.unknownKey}` : issue.unknownKey;
}
