/**
 * A failing or warning audit row always says what to do. Every check runs on every fixture
 * host and on hosts changed to reach the branches the fixtures do not (a memoryless node, a
 * loaded module without its device node, a non-x86 CPU, an unreadable cpuset, odd version
 * output); each warn or fail must carry a fix whose live lines are valid shell.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ALL_CHECKS } from '../../src/audit/checks/index.js';
import { buildProbeContext } from '../../src/audit/probe-context.js';
import { runChecks } from '../../src/audit/run-checks.js';
import type { CheckResult, ProbeContext } from '../../src/audit/types.js';
import { HostFs } from '../../src/host/host-fs.js';
import type { CommandResult, RunCommand } from '../../src/run/run-command.js';
import { realClock } from '../../src/run/real-services.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { HOSTS_DIR } from './fixture-hosts.js';

const OK = (stdout: string): CommandResult => ({ ok: true, stdout, stderr: '', exitCode: 0, timedOut: false, error: null });

interface Variant {
  base: string;
  change?: (root: string) => void;
  /** Command checks answered as live: which binaries exist and what --version prints. */
  live?: { which: (name: string) => string | null; version: string };
  /** Rows this variant is made for: they must be warn or fail here (so the variant tests something). */
  problems: string[];
}

const write = (root: string, file: string, content: string) => {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), content);
};

const VARIANTS: Record<string, Variant> = {
  'well-tuned, node1 without memory': {
    base: 'well-tuned',
    change: (root) => write(root, 'sys/devices/system/node/node1/meminfo', 'Node 1 MemTotal:       0 kB\nNode 1 MemFree:        0 kB\n'),
    problems: ['numa.nodes'],
  },
  'well-tuned, no /dev/kvm, /dev/vhost-net or /dev/net/tun (no udev)': {
    base: 'well-tuned',
    change: (root) => {
      for (const node of ['dev/kvm', 'dev/vhost-net', 'dev/net/tun']) fs.rmSync(path.join(root, node));
      fs.mkdirSync(path.join(root, 'sys/module/tun'), { recursive: true });
    },
    problems: ['kvm.device', 'dev.vhost-net', 'dev.tun'],
  },
  'vmx but no kvm module loaded': {
    base: 'bare',
    change: (root) => write(root, 'proc/cpuinfo', fs.readFileSync(path.join(root, 'proc/cpuinfo'), 'utf8').replace(/^flags\t\t: (.*)$/gm, 'flags\t\t: $1 vmx')),
    problems: ['kvm.device', 'kvm.modules'],
  },
  'an arm64 host without /dev/kvm': {
    base: 'bare',
    change: (root) => write(root, 'proc/cpuinfo', 'processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm\nCPU implementer\t: 0x41\n'),
    problems: ['kvm.device', 'kvm.modules'],
  },
  'no /proc/cpuinfo': {
    base: 'bare',
    change: (root) => fs.rmSync(path.join(root, 'proc/cpuinfo')),
    problems: ['kvm.device', 'kvm.modules'],
  },
  'pvm, cpuset mounted but its files missing': {
    base: 'pvm',
    change: (root) => fs.rmSync(path.join(root, 'sys/fs/cgroup/cpuset/cpuset.cpus')),
    problems: ['cgroups.cpuset'],
  },
  'bare, no cgroup filesystem': {
    base: 'bare',
    change: (root) => write(root, 'proc/mounts', '/dev/sda2 / ext4 rw,relatime 0 0\n'),
    problems: ['cgroups.version', 'cgroups.controllers', 'cgroups.cpuset'],
  },
  'live: nothing installed': {
    base: 'bare',
    live: { which: () => null, version: '' },
    problems: ['qemu.binary', 'numa.numactl'],
  },
  'live: wrappers printing no version': {
    base: 'bare',
    live: { which: (name) => `/usr/local/bin/${name}`, version: 'usage: wrapper' },
    problems: ['qemu.binary', 'libvirt.virsh'],
  },
  'live: QEMU 5.2': {
    base: 'pvm',
    live: { which: (name) => `/usr/bin/${name}`, version: 'QEMU emulator version 5.2.0' },
    problems: ['qemu.binary'],
  },
};

async function audit(root: string, live?: Variant['live']): Promise<CheckResult[]> {
  let ctx: ProbeContext = buildProbeContext({ clock: realClock, hostFs: new HostFs(root), capturedRoot: true, env: {}, versionCacheFile: null });
  if (live) {
    const run: RunCommand = async () => OK(live.version);
    ctx = { ...ctx, run, which: live.which, versionOf: async (_binary, argv) => ({ text: (await run(argv)).stdout, error: null, cached: false }) };
  }
  return runChecks(ALL_CHECKS, ctx);
}

function assertEveryProblemHasAFix(results: CheckResult[], label: string) {
  for (const result of results) {
    if (result.status !== 'warn' && result.status !== 'fail') continue;
    assert.ok(result.fix, `${label}: ${result.id} [${result.status}] has no fix (${result.evidence})`);
    const lines = [...result.fix.runtime, ...result.fix.persistent];
    assert.ok(lines.length > 0 || result.fix.note, `${label}: ${result.id}: the fix says something`);
    const live = lines.filter((line) => !line.startsWith('#')).join('\n');
    assert.equal(spawnSync('bash', ['-n'], { input: live }).status, 0, `${label}: ${result.id}: live lines parse:\n${live}`);
  }
}

describe('every warn or fail row has a fix', () => {
  for (const host of fs.readdirSync(HOSTS_DIR).filter((name) => fs.statSync(path.join(HOSTS_DIR, name)).isDirectory())) {
    test(`fixture ${host}`, async () => assertEveryProblemHasAFix(await audit(path.join(HOSTS_DIR, host)), host));
  }
  for (const [label, variant] of Object.entries(VARIANTS)) {
    test(label, async () => {
      const root = path.join(scratchDir('fix-variant'), 'root');
      fs.cpSync(path.join(HOSTS_DIR, variant.base), root, { recursive: true });
      variant.change?.(root);
      const results = await audit(root, variant.live);
      const byId = new Map(results.map((result) => [result.id, result]));
      for (const id of variant.problems) assert.match(byId.get(id)!.status, /^(warn|fail)$/, `${label}: ${id} is a problem here (${byId.get(id)!.evidence})`);
      assertEveryProblemHasAFix(results, label);
    });
  }
});
