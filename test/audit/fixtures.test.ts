/**
 * The audit against the four fixture hosts (test/fixtures/hosts, built by make-fixtures.mjs):
 * the exact status of every check on each host, plus the fixes that matter on each. A check
 * added without its expected status here fails the "covers every check" assertion.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ALL_CHECKS } from '../../src/audit/checks/index.js';
import { fixText } from '../../src/audit/fix.js';
import { CAPTURED_HOST_REASON } from '../../src/audit/probe-context.js';
import type { CheckStatus } from '../../src/audit/types.js';
import type { RunCommand } from '../../src/run/run-command.js';
import { auditFixture } from './fixture-hosts.js';

const EXPECTED: Record<string, Record<string, CheckStatus>> = {
  'well-tuned': {
    'virt.cpu-flags': 'pass', 'virt.firmware': 'pass', 'kvm.device': 'pass', 'kvm.modules': 'pass', 'kvm.backend': 'pass',
    'kvm.nested': 'info', 'kvm.halt-poll': 'pass', 'kvm.nx-huge-pages': 'pass', 'qemu.binary': 'skip', 'libvirt.virsh': 'skip',
    'dev.vhost-net': 'pass', 'dev.tun': 'pass', 'dev.iommu': 'pass', 'dev.secure-guest': 'info',
    'mem.hugepages': 'pass', 'mem.hugetlbfs': 'pass', 'mem.1g-pages': 'pass', 'mem.thp': 'pass', 'mem.ksm': 'pass',
    'mem.swappiness': 'pass', 'mem.memlock': 'pass',
    'cpu.governor': 'pass', 'cpu.epp': 'pass', 'cpu.idle': 'pass', 'cpu.smt': 'info', 'cpu.isolation': 'pass',
    'cpu.numa-balancing': 'pass', 'cpu.irqbalance': 'pass', 'cpu.tuned': 'pass',
    'numa.nodes': 'info', 'numa.numactl': 'skip', 'storage.io-scheduler': 'pass',
    'cgroups.version': 'pass', 'cgroups.controllers': 'pass', 'cgroups.cpuset': 'pass',
  },
  bare: {
    'virt.cpu-flags': 'fail', 'virt.firmware': 'fail', 'kvm.device': 'fail', 'kvm.modules': 'fail', 'kvm.backend': 'skip',
    'kvm.nested': 'skip', 'kvm.halt-poll': 'skip', 'kvm.nx-huge-pages': 'skip', 'qemu.binary': 'skip', 'libvirt.virsh': 'skip',
    'dev.vhost-net': 'warn', 'dev.tun': 'fail', 'dev.iommu': 'warn', 'dev.secure-guest': 'info',
    'mem.hugepages': 'warn', 'mem.hugetlbfs': 'warn', 'mem.1g-pages': 'info', 'mem.thp': 'warn', 'mem.ksm': 'info',
    'mem.swappiness': 'info', 'mem.memlock': 'info',
    'cpu.governor': 'warn', 'cpu.epp': 'info', 'cpu.idle': 'info', 'cpu.smt': 'info', 'cpu.isolation': 'info',
    'cpu.numa-balancing': 'info', 'cpu.irqbalance': 'info', 'cpu.tuned': 'info',
    'numa.nodes': 'info', 'numa.numactl': 'skip', 'storage.io-scheduler': 'warn',
    'cgroups.version': 'info', 'cgroups.controllers': 'warn', 'cgroups.cpuset': 'warn',
  },
  pvm: {
    'virt.cpu-flags': 'warn', 'virt.firmware': 'info', 'kvm.device': 'pass', 'kvm.modules': 'pass', 'kvm.backend': 'warn',
    'kvm.nested': 'skip', 'kvm.halt-poll': 'pass', 'kvm.nx-huge-pages': 'pass', 'qemu.binary': 'skip', 'libvirt.virsh': 'skip',
    'dev.vhost-net': 'warn', 'dev.tun': 'pass', 'dev.iommu': 'warn', 'dev.secure-guest': 'info',
    'mem.hugepages': 'warn', 'mem.hugetlbfs': 'warn', 'mem.1g-pages': 'info', 'mem.thp': 'pass', 'mem.ksm': 'pass',
    'mem.swappiness': 'info', 'mem.memlock': 'pass',
    'cpu.governor': 'info', 'cpu.epp': 'info', 'cpu.idle': 'info', 'cpu.smt': 'info', 'cpu.isolation': 'info',
    'cpu.numa-balancing': 'pass', 'cpu.irqbalance': 'info', 'cpu.tuned': 'info',
    'numa.nodes': 'info', 'numa.numactl': 'skip', 'storage.io-scheduler': 'pass',
    'cgroups.version': 'info', 'cgroups.controllers': 'pass', 'cgroups.cpuset': 'pass',
  },
  // pvm without /dev/kvm: only TCG runs; the /dev/kvm row fails and says what to do.
  'pvm-no-kvm': {
    'virt.cpu-flags': 'fail', 'virt.firmware': 'info', 'kvm.device': 'fail', 'kvm.modules': 'pass', 'kvm.backend': 'warn',
    'kvm.nested': 'skip', 'kvm.halt-poll': 'pass', 'kvm.nx-huge-pages': 'pass', 'qemu.binary': 'skip', 'libvirt.virsh': 'skip',
    'dev.vhost-net': 'warn', 'dev.tun': 'pass', 'dev.iommu': 'warn', 'dev.secure-guest': 'info',
    'mem.hugepages': 'warn', 'mem.hugetlbfs': 'warn', 'mem.1g-pages': 'info', 'mem.thp': 'pass', 'mem.ksm': 'pass',
    'mem.swappiness': 'info', 'mem.memlock': 'pass',
    'cpu.governor': 'info', 'cpu.epp': 'info', 'cpu.idle': 'info', 'cpu.smt': 'info', 'cpu.isolation': 'info',
    'cpu.numa-balancing': 'pass', 'cpu.irqbalance': 'info', 'cpu.tuned': 'info',
    'numa.nodes': 'info', 'numa.numactl': 'skip', 'storage.io-scheduler': 'pass',
    'cgroups.version': 'info', 'cgroups.controllers': 'pass', 'cgroups.cpuset': 'pass',
  },
  'hugepages-one-node': {
    'virt.cpu-flags': 'pass', 'virt.firmware': 'pass', 'kvm.device': 'pass', 'kvm.modules': 'pass', 'kvm.backend': 'pass',
    'kvm.nested': 'info', 'kvm.halt-poll': 'pass', 'kvm.nx-huge-pages': 'pass', 'qemu.binary': 'skip', 'libvirt.virsh': 'skip',
    'dev.vhost-net': 'pass', 'dev.tun': 'pass', 'dev.iommu': 'pass', 'dev.secure-guest': 'info',
    'mem.hugepages': 'warn', 'mem.hugetlbfs': 'warn', 'mem.1g-pages': 'pass', 'mem.thp': 'pass', 'mem.ksm': 'pass',
    'mem.swappiness': 'pass', 'mem.memlock': 'pass',
    'cpu.governor': 'pass', 'cpu.epp': 'pass', 'cpu.idle': 'pass', 'cpu.smt': 'info', 'cpu.isolation': 'info',
    'cpu.numa-balancing': 'warn', 'cpu.irqbalance': 'pass', 'cpu.tuned': 'pass',
    'numa.nodes': 'info', 'numa.numactl': 'skip', 'storage.io-scheduler': 'pass',
    'cgroups.version': 'pass', 'cgroups.controllers': 'pass', 'cgroups.cpuset': 'pass',
  },
};

describe('audit on fixture hosts', () => {
  test('there are at least 25 checks with unique ids, each with a title and a why', () => {
    assert.ok(ALL_CHECKS.length >= 25, `${ALL_CHECKS.length} checks`);
    assert.equal(new Set(ALL_CHECKS.map((check) => check.id)).size, ALL_CHECKS.length);
    for (const check of ALL_CHECKS) {
      assert.ok(check.title.length > 0 && check.why.length > 20, check.id);
    }
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    test(`${name}: the exact status of every check`, async () => {
      const results = await auditFixture(name);
      assert.deepEqual([...results.keys()].sort(), Object.keys(expected).sort(), 'expected table covers every check');
      const actual = Object.fromEntries([...results.values()].map((result) => [result.id, result.status]));
      assert.deepEqual(actual, expected);
      for (const result of results.values()) {
        assert.ok(result.evidence.length > 0, `${result.id} has evidence`);
        if (result.status === 'pass') assert.equal(result.fix, null, `${result.id}: a pass has nothing to fix`);
        if (result.status === 'warn' || result.status === 'fail') assert.notEqual(result.fix, null, `${result.id} [${result.status}] says what to do`);
      }
    });
  }

  test('a captured host never runs commands, even when a runner is given', async () => {
    let calls = 0;
    const run: RunCommand = async () => {
      calls++;
      return { ok: true, stdout: 'QEMU emulator version 9.9.9', stderr: '', exitCode: 0, timedOut: false, error: null };
    };
    const results = await auditFixture('well-tuned', run);
    assert.equal(calls, 0);
    for (const id of ['qemu.binary', 'libvirt.virsh', 'numa.numactl']) {
      assert.equal(results.get(id)!.evidence, CAPTURED_HOST_REASON);
    }
  });

  test('pvm: the CPU-flag row explains kvm_pvm instead of stopping at "no vmx/svm"', async () => {
    const results = await auditFixture('pvm');
    const flags = results.get('virt.cpu-flags')!;
    assert.match(flags.evidence, /no vmx or svm/);
    assert.match(flags.evidence, /kvm_pvm/);
    assert.match(flags.evidence, /-accel tcg/);
    assert.match(results.get('kvm.backend')!.evidence, /guest kernel crawls/);
  });

  test('bare: the failures carry the fixes the user needs', async () => {
    const results = await auditFixture('bare');
    assert.match(fixText(results.get('virt.firmware')!.fix)!, /firmware setup.*reboot|reboot/s);
    assert.equal(results.get('virt.firmware')!.fix!.reboot, true);
    const governor = results.get('cpu.governor')!.fix!;
    assert.equal(governor.applicable, true);
    assert.deepEqual(governor.apply, [
      {
        argv: ['tee', ...[0, 1, 2, 3].map((cpu) => `/sys/devices/system/cpu/cpu${cpu}/cpufreq/scaling_governor`)],
        input: 'performance\n',
      },
    ]);
    // Module loading works on this host (it has /proc/modules): loading vhost_net is offered,
    // skipped when the module is already there.
    assert.deepEqual(results.get('dev.vhost-net')!.fix!.apply, [{ argv: ['modprobe', 'vhost_net'], unless: ['test', '-d', '/sys/module/vhost_net'] }]);
    const hugetlbfs = results.get('mem.hugetlbfs')!.fix!;
    assert.deepEqual(hugetlbfs.apply, [
      { argv: ['mkdir', '-p', '/dev/hugepages'] },
      { argv: ['mount', '-t', 'hugetlbfs', '-o', 'pagesize=2M', 'hugetlbfs', '/dev/hugepages'], unless: ['mountpoint', '-q', '/dev/hugepages'] },
    ]);
    // 16000 MiB node: an eighth is 2000 MiB (under the 2 GiB cap) -> 1000 pages of 2M.
    assert.deepEqual(results.get('mem.hugepages')!.fix!.apply, [
      { argv: ['sysctl', '-w', 'vm.nr_hugepages=1000'], unless: ['grep', '-qxF', '--', '1000', '/proc/sys/vm/nr_hugepages'] },
    ]);
    // No VT-x: the /dev/kvm and module rows point at the firmware switch, as virt.cpu-flags does.
    for (const id of ['kvm.device', 'kvm.modules']) {
      assert.deepEqual(results.get(id)!.fix!.persistent, results.get('virt.cpu-flags')!.fix!.persistent, id);
      assert.match(results.get(id)!.fix!.note!, /same fix as virt\.cpu-flags/);
    }
    assert.deepEqual(results.get('storage.io-scheduler')!.fix!.apply, [{ argv: ['tee', '/sys/block/sda/queue/scheduler'], input: 'none\n' }]);
    assert.match(results.get('cgroups.controllers')!.evidence, /cpuset: missing.*devices: missing.*blkio: missing/);
    // Persistent changes are text for the script, never steps kvm-tui runs.
    for (const result of results.values()) {
      for (const step of result.fix?.apply ?? []) assert.ok(!step.argv.join(' ').includes('/etc/'), `${result.id} applies no persistent change`);
    }
  });

  test('pvm: vhost_net cannot be loaded on a kernel without module support, so it is not applicable', async () => {
    const results = await auditFixture('pvm');
    const fix = results.get('dev.vhost-net')!.fix!;
    assert.equal(fix.applicable, false);
    assert.deepEqual(fix.apply, []);
    assert.match(results.get('dev.vhost-net')!.evidence, /no loadable module support/);
    // The commands stay visible as instructions, with the reason they cannot run here.
    assert.deepEqual(fix.runtime, ['# not on this host (this kernel has no loadable module support (no /proc/modules)): test -d /sys/module/vhost_net || modprobe vhost_net']);
    assert.match(fix.persistent[0]!, /^# not on this host \(.*\): mkdir -p \/etc\/modules-load\.d; echo vhost_net > /);
  });

  test('pvm-no-kvm: /dev/kvm fails with the virtualization row\'s fix (TCG now, nested virtualization outside)', async () => {
    const results = await auditFixture('pvm-no-kvm');
    const device = results.get('kvm.device')!;
    assert.equal(device.status, 'fail');
    assert.match(device.evidence, /kvm_pvm module is loaded but registered no \/dev\/kvm/);
    assert.deepEqual(device.fix!.runtime, results.get('virt.cpu-flags')!.fix!.runtime);
    assert.deepEqual(device.fix!.persistent, results.get('virt.cpu-flags')!.fix!.persistent);
    assert.match(fixText(device.fix)!, /-accel tcg.*\n.*OUTER host.*nested=1/s);
    assert.match(fixText(device.fix)!, /same fix as virt\.cpu-flags/);
  });

  test('hugepages-one-node: reserves the same pool on the node that lacks it, per node', async () => {
    const results = await auditFixture('hugepages-one-node');
    const hugepages = results.get('mem.hugepages')!;
    assert.match(hugepages.evidence, /only on node0/);
    assert.deepEqual(hugepages.fix!.apply, [
      { argv: ['tee', '/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages'], input: '512\n' },
    ]);
    assert.match(hugepages.fix!.persistent.join('\n'), /hugepages=0:512,1:512/);
    assert.match(results.get('mem.hugetlbfs')!.evidence, /1G pages are reserved but no pagesize=1G mount/);
  });
});
