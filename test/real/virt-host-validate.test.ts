/**
 * Our audit against libvirt's virt-host-validate on this very machine: on every check both
 * make, the verdicts agree; where they legitimately differ (no vmx/svm, yet a working /dev/kvm
 * from kvm_pvm), our row must say why. virt-host-validate comes from Debian's libvirt-clients,
 * which scripts/test-all.sh installs; a missing binary fails this test, it is never skipped.
 */
import assert from 'node:assert/strict';
import { realClock, realIdentity } from '../../src/run/real-services.js';
import { runCommand } from '../../src/run/run-command.js';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ALL_CHECKS } from '../../src/audit/checks/index.js';
import { buildProbeContext } from '../../src/audit/probe-context.js';
import { runChecks } from '../../src/audit/run-checks.js';
import type { CheckResult, CheckStatus } from '../../src/audit/types.js';
import { HostFs } from '../../src/host/host-fs.js';

interface VhvLine {
  what: string;
  verdict: 'PASS' | 'WARN' | 'FAIL' | 'NOTE';
  detail: string;
}

/** "  QEMU: Checking for hardware virtualization      : FAIL (Host not compatible ...)" */
export function parseVirtHostValidate(output: string): VhvLine[] {
  const lines: VhvLine[] = [];
  for (const raw of output.split('\n')) {
    const match = /^\s*QEMU: Checking (.+?)\s*:\s*(PASS|WARN|FAIL|NOTE)(?:\s*\((.*)\))?\s*$/.exec(raw);
    if (match) lines.push({ what: match[1]!.trim(), verdict: match[2] as VhvLine['verdict'], detail: match[3] ?? '' });
  }
  return lines;
}

interface Mapping {
  ids: string[];
  /** Statuses of ours that agree with each of their verdicts. */
  agree: Record<VhvLine['verdict'], CheckStatus[]>;
  /** Extra agreement on the evidence (per-controller lines share one row of ours). */
  evidence?: (line: VhvLine, result: CheckResult) => void;
}

const STRICT: Mapping['agree'] = { PASS: ['pass'], WARN: ['warn'], FAIL: ['fail'], NOTE: ['info'] };

function mappingFor(what: string): Mapping | null {
  if (what === 'for hardware virtualization') return { ids: ['virt.cpu-flags'], agree: STRICT };
  if (what === 'if device /dev/kvm exists' || what === 'if device /dev/kvm is accessible') return { ids: ['kvm.device'], agree: STRICT };
  if (what === 'if device /dev/vhost-net exists') return { ids: ['dev.vhost-net'], agree: STRICT };
  if (what === 'if device /dev/net/tun exists') return { ids: ['dev.tun'], agree: { ...STRICT, WARN: ['warn', 'fail'] } };
  if (what === 'for device assignment IOMMU support' || what === 'if IOMMU is enabled by kernel') {
    // Their WARN is "Unknown if this platform has IOMMU support" when no ACPI table is visible;
    // ours is warn (no table) or, when the table directory is unreadable, an explicit unknown.
    return {
      ids: ['dev.iommu'],
      agree: { ...STRICT, WARN: ['warn', 'skip'] },
      evidence: (line, result) => {
        if (result.status === 'skip') assert.match(result.evidence, /^unknown: /);
      },
    };
  }
  if (what === 'for secure guest support') {
    // virt-host-validate warns "Unknown if this platform has Secure Guest support" on every
    // host without SEV/TDX/s390-PV; we report that absence as info (ordinary VMs do not need
    // it). Both say "not available": a pass here would be the disagreement.
    return { ids: ['dev.secure-guest'], agree: { ...STRICT, WARN: ['warn', 'info'] } };
  }
  const cgroup = /^for cgroup '(\w+)' controller (?:support|mount-point)$/.exec(what);
  if (cgroup) {
    const controller = cgroup[1]!;
    return {
      ids: controller === 'cpuset' ? ['cgroups.controllers', 'cgroups.cpuset'] : ['cgroups.controllers'],
      agree: { PASS: ['pass', 'warn'], WARN: ['warn'], FAIL: ['warn', 'fail'], NOTE: ['info'] },
      evidence: (line, result) => {
        if (result.id === 'cgroups.cpuset') {
          assert.equal(result.status === 'pass', line.verdict === 'PASS', `cpuset: theirs ${line.verdict}, ours ${result.status}: ${result.evidence}`);
          return;
        }
        const missing = new RegExp(`\\b${controller}: missing`).test(result.evidence);
        assert.equal(missing, line.verdict !== 'PASS', `cgroup ${controller}: theirs ${line.verdict}, ours "${result.evidence}"`);
      },
    };
  }
  return null;
}

test('the audit agrees with virt-host-validate on every check both make', async () => {
  const vhv = spawnSync('virt-host-validate', ['qemu'], { encoding: 'utf8', timeout: 30_000 });
  assert.ok(
    !vhv.error,
    `virt-host-validate could not run (${vhv.error?.message}); install Debian's libvirt-clients (scripts/test-all.sh does)`,
  );
  const lines = parseVirtHostValidate(`${vhv.stdout}\n${vhv.stderr}`);
  assert.ok(lines.length >= 5, `virt-host-validate printed too few checks:\n${vhv.stdout}${vhv.stderr}`);

  const hostFs = new HostFs('/');
  const ctx = buildProbeContext({ clock: realClock, hostFs, capturedRoot: false, env: process.env, run: runCommand, user: realIdentity(), versionCacheFile: null });
  const results = new Map((await runChecks(ALL_CHECKS, ctx)).map((result) => [result.id, result]));

  const compared: string[] = [];
  for (const line of lines) {
    const mapping = mappingFor(line.what);
    assert.ok(mapping, `no mapping for virt-host-validate check "${line.what}": add one (or a check) so the audit covers it`);
    for (const id of mapping.ids) {
      const ours = results.get(id)!;
      compared.push(`${line.what}: ${line.verdict} ~ ${id}: ${ours.status}`);
      if (line.what === 'for hardware virtualization' && line.verdict === 'FAIL' && ours.status === 'warn') {
        // The one legitimate difference: no vmx/svm, but kvm_pvm provides a working /dev/kvm.
        assert.ok(hostFs.exists('/dev/kvm'), 'we may only soften their FAIL when /dev/kvm exists');
        assert.match(ours.evidence, /no vmx or svm/);
        assert.match(ours.evidence, /kvm_pvm/);
        assert.match(ours.evidence, /crawls/);
        continue;
      }
      assert.ok(
        mapping.agree[line.verdict].includes(ours.status),
        `"${line.what}": virt-host-validate ${line.verdict}${line.detail ? ` (${line.detail})` : ''}, ours ${id} ${ours.status}: ${ours.evidence}`,
      );
      mapping.evidence?.(line, ours);
    }
  }
  // When their hardware check fails on a kvm_pvm host, our row names the real cause either way.
  const hw = lines.find((line) => line.what === 'for hardware virtualization');
  if (hw?.verdict === 'FAIL' && hostFs.exists('/sys/module/kvm_pvm')) {
    assert.match(results.get('virt.cpu-flags')!.evidence, /kvm_pvm/);
    assert.match(results.get('kvm.backend')!.evidence, /kvm_pvm/);
  }
  assert.ok(compared.length >= lines.length, compared.join('\n'));
});

test('parseVirtHostValidate reads verdicts and details', () => {
  const parsed = parseVirtHostValidate(
    "  QEMU: Checking for hardware virtualization                                 : FAIL (Host not compatible with KVM; HW virtualization CPU features not found. Only emulated CPUs are available; performance will be significantly limited)\n" +
      "  QEMU: Checking for cgroup 'cpuset' controller support                      : PASS\n",
  );
  assert.deepEqual(parsed.map((line) => [line.what, line.verdict]), [
    ['for hardware virtualization', 'FAIL'],
    ["for cgroup 'cpuset' controller support", 'PASS'],
  ]);
  assert.match(parsed[0]!.detail, /^Host not compatible with KVM; .*limited$/);
});
