/**
 * Presets: builtin ones (presets/*.json, bundled) and the user's own, from
 * $XDG_CONFIG_HOME/kvm-tui/presets/*.json (default ~/.config/kvm-tui/presets).
 *
 * A preset file is `{ "name", "description", "reasoning", "spec": { ...a spec file... } }`.
 * The spec is nested (not merged into the top level) because a spec has its own `name`, the VM's.
 * Its VM name defaults to the preset's name. A user preset with a builtin's name replaces it
 * (its `source` says which file). A broken user preset is an error naming its file and field,
 * never skipped: silently dropping it would leave the user wondering where it went.
 */
import * as fs from 'node:fs';
import { readRegularFile } from '../host/host-fs.js';
import * as path from 'node:path';
import * as v from './check.js';
import { UsageError } from '../errors.js';
import { BUILTIN_PRESET_FILES } from './builtin-presets.js';
import type { Preset } from './types.js';
import { parseVmSpec, SpecError } from './vm-spec.js';

export interface PresetOptions {
  /** Directory of the user's presets; default from env (XDG_CONFIG_HOME, HOME), then `home`. */
  userDir?: string;
  env?: NodeJS.ProcessEnv;
  /** The user's home (the context's `home`) where env has no HOME; absent with neither: no user presets. */
  home?: string | null;
}

const PRESET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const PresetFileSchema = v.object(
  {
    name: v.string('must be a string', (name) =>
      PRESET_NAME_RE.test(name) ? null : 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
    description: v.string('must be a string', (text) => (text.length >= 1 ? null : 'must not be empty')),
    reasoning: v.string('must be a string', (text) => (text.length >= 1 ? null : 'must not be empty')),
    spec: v.record('must be an object (a spec)'),
  },
  'must be an object with name, description, reasoning and spec',
);

/**
 * kvm-tui's config dir: $XDG_CONFIG_HOME/kvm-tui (default ~/.config/kvm-tui, ~ being $HOME or
 * else `home`, the context's); null when there is no home to put it in.
 */
export function kvmTuiConfigDir(env: NodeJS.ProcessEnv, home: string | null): string | null {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'kvm-tui');
  const homeDir = env.HOME || home;
  return homeDir ? path.join(homeDir, '.config', 'kvm-tui') : null;
}

/** Where the user's presets live (null: no home, so none). */
export function userPresetDir(env: NodeJS.ProcessEnv, home: string | null): string | null {
  const config = kvmTuiConfigDir(env, home);
  return config === null ? null : path.join(config, 'presets');
}

/** Validates one preset file's content; `source` names it in errors. */
export function parsePreset(data: unknown, source: string): Preset {
  const issue = v.firstIssue(PresetFileSchema, data);
  if (issue) throw new SpecError(source, v.issueField(issue), issue.message);
  const { name, description, reasoning, spec: specInput } = data as v.Infer<typeof PresetFileSchema>;
  // A "__proto__" key of the file's spec is left out, as zod's record() left it out (a spread
  // would make it an own field, and the spec check would call it unknown).
  const input = { name, ...Object.fromEntries(Object.entries(specInput).filter(([key]) => key !== '__proto__')) };
  let spec;
  try {
    spec = parseVmSpec(input, source);
  } catch (error) {
    // Fields of the nested spec are reported with their full path in the file.
    if (error instanceof SpecError) throw new SpecError(source, error.path ? `spec.${error.path}` : 'spec', error.detail);
    throw error;
  }
  return { name, description, reasoning, source: 'builtin', spec, input };
}

function builtinPresets(): Preset[] {
  return BUILTIN_PRESET_FILES.map(({ file, data }) => parsePreset(data, `presets/${file}.json`));
}

function userPresets(dir: string | null): Preset[] {
  if (dir === null) return [];
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UsageError(`${dir}: cannot list user presets (${(error as Error).message})`);
  }
  return entries
    .filter((entry) => entry.endsWith('.json'))
    .sort()
    .map((entry) => {
      const file = path.join(dir, entry);
      let data: unknown;
      try {
        data = JSON.parse(readRegularFile(file));
      } catch (error) {
        throw new SpecError(file, '', error instanceof SyntaxError ? `not valid JSON (${error.message})` : (error as Error).message);
      }
      return { ...parsePreset(data, file), source: file };
    });
}

/** Builtin presets followed by the user's; a user preset replaces a builtin of the same name. */
export function listPresets(opts: PresetOptions = {}): Preset[] {
  const user = checkedUserPresets(opts);
  const userNames = new Set(user.map((preset) => preset.name));
  return [...builtinPresets().filter((preset) => !userNames.has(preset.name)), ...user];
}

/** Every user preset, each validated, with no two of one name. */
function checkedUserPresets(opts: PresetOptions): Preset[] {
  const dir = opts.userDir ?? userPresetDir(opts.env ?? {}, opts.home ?? null);
  const user = userPresets(dir);
  const seen = new Map<string, string>();
  for (const preset of user) {
    const earlier = seen.get(preset.name);
    if (earlier) throw new SpecError(preset.source, 'name', `"${preset.name}" is also the name of ${earlier}`);
    seen.set(preset.name, preset.source);
  }
  return user;
}

/**
 * The preset of that name, or a UsageError listing the valid names. Every user preset is
 * validated (a broken one is an error whichever is asked for); of the builtins only the one asked
 * for is parsed (they are bundled and tested: each spec parse is start-up time of `plan`).
 */
export function findPreset(name: string, opts: PresetOptions = {}): Preset {
  const user = checkedUserPresets(opts);
  const own = user.find((preset) => preset.name === name);
  if (own) return own;
  const builtin = BUILTIN_PRESET_FILES.find(({ data }) => (data as { name?: unknown }).name === name);
  if (builtin) return parsePreset(builtin.data, `presets/${builtin.file}.json`);
  const presets = listPresets(opts);
  const found = presets.find((preset) => preset.name === name);
  if (!found) {
    throw new UsageError(`--preset: unknown preset "${name}" (valid: ${presets.map((preset) => preset.name).join(', ')})`);
  }
  return found;
}
