/**
 * A small client for libvirt through the `virsh` command: argument arrays (no shell), a timeout
 * on every call, `LC_ALL=C` so the tables it prints parse the same everywhere, and errors that
 * carry virsh's own message plus a hint.
 *
 * Domains are passed as `--domain=REF` (one argv word), so a name starting with "-" or holding
 * spaces or quotes reaches libvirt unchanged. virsh resolves REF as an id, then a UUID, then a
 * name: a domain named like a number or a UUID is ambiguous, so callers that define a domain
 * should keep using the UUID `define` returns.
 */
import { quoteShellWord } from '../shared/shell-quote.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActionError } from '../errors.js';
import { parseCpuList } from '../host/cpulist.js';
import type { Clock } from '../context.js';
import type { CommandResult, RunCommand } from './run-command.js';

export const DEFAULT_VIRSH_TIMEOUT_MS = 30_000;
/** The first connection to a fresh libvirtd waits for its QEMU capability probe (~8 s here). */
export const DEFAULT_VIRSH_READY_TIMEOUT_MS = 60_000;

export interface VirshOptions {
  /** libvirt connection URI ("qemu:///system", "qemu:///session"). */
  uri: string;
  /** Process runner (the composition root's; tests inject a fake). */
  run: RunCommand;
  /** Environment virsh runs with (LC_ALL=C is added). */
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** virsh binary; default "virsh" from PATH. */
  binary?: string;
  /** Default per-call timeout. */
  timeoutMs?: number;
}

export class VirshError extends ActionError {
  constructor(
    message: string,
    readonly args: readonly string[],
    readonly result: CommandResult,
    hint?: string,
  ) {
    super(message, hint);
    this.name = 'VirshError';
  }
}

export interface VirshCallOptions {
  timeoutMs?: number;
  /** Written to virsh's stdin. */
  input?: string;
}

export class Virsh {
  readonly uri: string;
  private readonly runner: RunCommand;
  private readonly binary: string;
  private readonly timeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly clock: Clock;

  constructor(options: VirshOptions) {
    this.uri = options.uri;
    this.runner = options.run;
    this.env = options.env;
    this.clock = options.clock;
    this.binary = options.binary ?? 'virsh';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_VIRSH_TIMEOUT_MS;
  }

  /** Runs `virsh -c URI ...args` and returns the raw result; never throws. */
  async tryRun(args: readonly string[], options: VirshCallOptions = {}): Promise<CommandResult> {
    return this.runner([this.binary, '--quiet', '--connect', this.uri, ...args], {
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      input: options.input,
      env: { ...this.env, LC_ALL: 'C' },
    });
  }

  /** Runs virsh and returns its stdout; throws VirshError (with virsh's message) on failure. */
  async run(args: readonly string[], options: VirshCallOptions = {}): Promise<string> {
    const result = await this.tryRun(args, options);
    if (result.ok) return result.stdout;
    const detail = virshMessage(result);
    throw new VirshError(`virsh ${args[0] ?? ''} failed: ${detail}`, args, result, hintFor(result, this.uri));
  }

  /**
   * Waits until libvirtd answers (returns `virsh version` output). One call may block for the
   * daemon's capability probe; failures (daemon still starting) are retried until the deadline.
   */
  async waitUntilReady(timeoutMs = DEFAULT_VIRSH_READY_TIMEOUT_MS): Promise<string> {
    const deadline = this.clock.now() + timeoutMs;
    let last: CommandResult | null = null;
    while (this.clock.now() < deadline) {
      last = await this.tryRun(['version'], { timeoutMs: Math.max(1000, deadline - this.clock.now()) });
      if (last.ok) return last.stdout;
      // A refused connection returns at once: pause briefly so the retry loop does not spin.
      await this.clock.sleep(250);
    }
    const detail = last ? virshMessage(last) : 'no attempt finished';
    throw new VirshError(`libvirt at ${this.uri} did not answer within ${Math.round(timeoutMs / 1000)} s: ${detail}`, ['version'], last ?? emptyResult(), hintFor(last ?? emptyResult(), this.uri));
  }

  /** Defines (or redefines) a persistent domain from XML; returns its UUID. */
  async define(xml: string, name: string): Promise<string> {
    await this.withXmlFile(xml, (file) => this.run(['define', '--file', file]));
    return (await this.run(['domuuid', `--domain=${name}`])).trim();
  }

  /** libvirt's QEMU command line for a domain XML (as a shell string), without starting anything. */
  async domxmlToNative(xml: string): Promise<string> {
    return this.withXmlFile(xml, (file) => this.run(['domxml-to-native', '--format', 'qemu-argv', '--xml', file]));
  }

  private async withXmlFile<T>(xml: string, use: (file: string) => Promise<T>): Promise<T> {
    // A private temp file, not /dev/stdin: Node gives a child a socket as stdin, and a socket
    // cannot be open()ed by path (ENXIO), which is how virsh reads an XML file argument.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-virsh-'));
    try {
      const file = path.join(dir, 'domain.xml');
      fs.writeFileSync(file, xml, { mode: 0o600 });
      return await use(file);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async start(domain: string): Promise<void> {
    await this.run(['start', `--domain=${domain}`]);
  }

  /** Hard stop (like pulling the plug). */
  async destroy(domain: string): Promise<void> {
    await this.run(['destroy', `--domain=${domain}`]);
  }

  /** Removes the definition and libvirt's copy of its UEFI variable store (libvirt refuses a UEFI domain's undefine without --nvram). */
  async undefine(domain: string): Promise<void> {
    await this.run(['undefine', '--nvram', `--domain=${domain}`]);
  }

  /** "running", "shut off", "paused", ...; null when no such domain. */
  async domainState(domain: string): Promise<string | null> {
    const result = await this.tryRun(['domstate', `--domain=${domain}`]);
    if (!result.ok) {
      if (/failed to get domain|Domain not found/i.test(result.stderr)) return null;
      throw new VirshError(`virsh domstate failed: ${virshMessage(result)}`, ['domstate', domain], result, hintFor(result, this.uri));
    }
    return result.stdout.trim();
  }

  async dumpXml(domain: string, options: { inactive?: boolean } = {}): Promise<string> {
    return this.run(['dumpxml', `--domain=${domain}`, ...(options.inactive ? ['--inactive'] : [])]);
  }

  /** Names of all domains (running or not). */
  async listAllNames(): Promise<string[]> {
    const out = await this.run(['list', '--all', '--name']);
    return out.split('\n').map((line) => line.trim()).filter(Boolean);
  }

  /** Live vCPU affinity: vCPU -> host CPUs. */
  async vcpuPins(domain: string): Promise<Map<number, number[]>> {
    return parseVcpupinTable(await this.run(['vcpupin', `--domain=${domain}`, '--live']));
  }

  /** Live emulator thread affinity. */
  async emulatorPins(domain: string): Promise<number[]> {
    return parseEmulatorpin(await this.run(['emulatorpin', `--domain=${domain}`, '--live']));
  }

  /** Live iothread affinity: libvirt iothread id -> host CPUs. */
  async iothreadPins(domain: string): Promise<Map<number, number[]>> {
    return parseIothreadinfo(await this.run(['iothreadinfo', `--domain=${domain}`, '--live']));
  }

  /** Sends one QMP command through libvirt's monitor and returns its `return` value. */
  async qmp(domain: string, execute: string, args?: Record<string, unknown>): Promise<unknown> {
    const command = JSON.stringify(args ? { execute, arguments: args } : { execute });
    const out = await this.run(['qemu-monitor-command', `--domain=${domain}`, command]);
    const reply = JSON.parse(out) as { return?: unknown; error?: { desc?: string } };
    if (reply.error) throw new VirshError(`QMP ${execute} failed: ${reply.error.desc ?? JSON.stringify(reply.error)}`, [execute], emptyResult());
    return reply.return;
  }
}

/**
 * Parses `virsh vcpupin` output:
 * ```
 *  VCPU   CPU Affinity
 * ----------------------
 *  0      1
 *  1      0-3,8
 * ```
 */
export function parseVcpupinTable(text: string): Map<number, number[]> {
  const pins = new Map<number, number[]>();
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+)\s+([\d,\-]+)\s*$/.exec(line);
    if (match) pins.set(Number(match[1]), parseCpuList(match[2]!));
  }
  return pins;
}

/** Parses `virsh emulatorpin` output: `       *: 0-1`, or just `0-1` under --quiet. */
export function parseEmulatorpin(text: string): number[] {
  // The cpulist starts with a digit: the "-----" rule under the header must not match.
  const match = /^\s*(?:\*:\s*)?(\d[\d,\-]*)\s*$/m.exec(text);
  if (!match) throw new Error(`unexpected virsh emulatorpin output: ${JSON.stringify(text.slice(0, 200))}`);
  return parseCpuList(match[1]!);
}

/** Parses `virsh iothreadinfo` output (same table shape as vcpupin: id, affinity). */
export function parseIothreadinfo(text: string): Map<number, number[]> {
  return parseVcpupinTable(text);
}

function virshMessage(result: CommandResult): string {
  const stderr = result.stderr
    .split('\n')
    .map((line) => line.replace(/^error:\s*/, '').trim())
    .filter(Boolean)
    .join(' ');
  return stderr || result.error || 'no output';
}

function hintFor(result: CommandResult, uri: string): string | undefined {
  const text = `${result.stderr} ${result.error ?? ''}`;
  if (/not found/.test(result.error ?? '') && result.exitCode === null) return 'install the libvirt client (Debian: apt-get install libvirt-clients)';
  // The daemon's socket missing or refusing; a storage file libvirt cannot find is not that.
  if (/Failed to connect socket|Connection refused/i.test(text) || (/No such file or directory/i.test(text) && /connect|socket/i.test(text))) {
    return `start libvirtd (without systemd: virtlogd -d && libvirtd -d, as root) or check the URI ${quoteShellWord(uri)}`;
  }
  if (/authentication|polkit/i.test(text) || /Failed to connect.*Permission denied/i.test(text)) return `${uri} needs root here; use qemu:///session as a normal user`;
  if (result.timedOut) return `${uri} did not answer in time: check the host is up and reachable (virsh -c ${quoteShellWord(uri)} list); a libvirtd that has just started may still be probing QEMU, so try again in a minute`;
  return undefined;
}

function emptyResult(): CommandResult {
  return { ok: false, stdout: '', stderr: '', exitCode: null, timedOut: false, error: null };
}
