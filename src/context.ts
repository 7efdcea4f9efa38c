/** What a non-interactive command gets from the entry point: parsed args and the real world. */
import type { ParsedArgs } from './cli-args.js';
import type { HostFs } from './host/host-fs.js';

export interface CommandContext {
  args: ParsedArgs;
  hostFs: HostFs;
  /** True when --root points at a captured host: nothing may touch the live machine. */
  capturedRoot: boolean;
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  color: boolean;
}

export type CommandRunner = (ctx: CommandContext) => Promise<number>;
