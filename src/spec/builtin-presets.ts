/**
 * The builtin presets, bundled: static JSON imports so the single-file build (dist/kvm-tui.js)
 * carries them and works from any directory. presets/*.json stay the source of truth; a test
 * checks that every file there is listed here.
 */
import balanced from '../../presets/balanced.json' with { type: 'json' };
import desktopPassthrough from '../../presets/desktop-passthrough.json' with { type: 'json' };
import highPerformance from '../../presets/high-performance.json' with { type: 'json' };
import lowLatency from '../../presets/low-latency.json' with { type: 'json' };
import migrationCompatible from '../../presets/migration-compatible.json' with { type: 'json' };
import numaGuest from '../../presets/numa-guest.json' with { type: 'json' };
import tinyTest from '../../presets/tiny-test.json' with { type: 'json' };

/** File name (without .json) -> file content, in the order `presets` lists them. */
export const BUILTIN_PRESET_FILES: ReadonlyArray<{ file: string; data: unknown }> = [
  { file: 'balanced', data: balanced },
  { file: 'high-performance', data: highPerformance },
  { file: 'low-latency', data: lowLatency },
  { file: 'numa-guest', data: numaGuest },
  { file: 'desktop-passthrough', data: desktopPassthrough },
  { file: 'migration-compatible', data: migrationCompatible },
  { file: 'tiny-test', data: tinyTest },
];
