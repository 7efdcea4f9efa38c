import { allowOnly, maxPositionals } from '../cli-args.js';
import type { CommandContext } from '../context.js';
import { listPresets } from '../spec/presets.js';
import type { Preset } from '../spec/types.js';
import { wrapText } from '../shared/text.js';

/** `kvm-tui presets [--json]`: builtin and user presets with what each is for. */
export async function runPresets(ctx: CommandContext): Promise<number> {
  allowOnly(ctx.args, ['json']);
  maxPositionals(ctx.args, 0, 'no arguments');
  const presets = listPresets({ env: ctx.env, home: ctx.home });
  if (ctx.args.values.json) {
    ctx.stdout(JSON.stringify({ presets: presets.map(presetToJson) }, null, 2) + '\n');
    return 0;
  }
  ctx.stdout(formatPresets(presets, ctx.terminal.columns ?? 100));
  return 0;
}

export function presetToJson(preset: Preset): object {
  return {
    name: preset.name,
    description: preset.description,
    reasoning: preset.reasoning,
    source: preset.source,
    spec: preset.spec,
    input: preset.input ?? null,
  };
}

/** One line per preset (name, description wrapped under it), then where user presets came from. */
export function formatPresets(presets: Preset[], columns: number): string {
  const nameWidth = Math.max(...presets.map((preset) => preset.name.length)) + 2;
  const textWidth = Math.max(30, columns - nameWidth - 1);
  const lines: string[] = [];
  for (const preset of presets) {
    const text = preset.source === 'builtin' ? preset.description : `${preset.description} [${preset.source}]`;
    wrapText(text, textWidth, '', 'overflow').forEach((line, index) => {
      lines.push(`${(index === 0 ? preset.name : '').padEnd(nameWidth)}${line}`);
    });
  }
  lines.push('', 'Use one with: kvm-tui plan --preset NAME  (kvm-tui presets --json shows each one\'s reasoning and spec)');
  return lines.join('\n') + '\n';
}
