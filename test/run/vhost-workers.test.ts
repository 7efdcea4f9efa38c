/**
 * vhost-net's worker threads found for the QEMU they serve, over a fake /proc: threads of QEMU
 * named vhost-PID (Linux >= 6.4), else kernel threads of that name (children of kthreadd, before
 * 6.4); a user process that only names itself so, or another QEMU's worker, is never taken.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { vhostWorkers } from '../../src/run/affinity.js';
import { describeThread, threadPlan } from '../../src/run/launch.js';
import { writeFakeKernelThread, writeFakeProcess } from '../helpers/fake-proc.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { qemuPlan, qemuSpec } from '../helpers/qemu-plans.js';

const roots: string[] = [];
after(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

function host(): { root: string; procFs: HostFs } {
  const root = scratchDir('vhost-proc');
  roots.push(root);
  return { root, procFs: new HostFs(root, { record: false }) };
}

describe('vhostWorkers', () => {
  it('takes QEMU\'s own threads named vhost-PID (Linux >= 6.4) and does not look further', () => {
    const { root, procFs } = host();
    writeFakeProcess(root, 4242, 777, [
      { tid: 4242, comm: 'qemu-system-x86' },
      { tid: 4250, comm: 'CPU 0/KVM' },
      { tid: 4270, comm: 'vhost-4242' },
      { tid: 4271, comm: 'vhost-4242' },
    ]);
    // A kernel thread of the same name would only exist on an older kernel: not looked for.
    writeFakeKernelThread(root, 300, 'vhost-4242');
    assert.deepEqual(vhostWorkers(procFs, 4242), [{ tid: 4270, tgid: 4242 }, { tid: 4271, tgid: 4242 }]);
  });

  it('finds kernel threads of kthreadd named vhost-PID (Linux < 6.4), each its own process', () => {
    const { root, procFs } = host();
    writeFakeProcess(root, 4242, 777, [{ tid: 4242, comm: 'qemu-system-x86' }, { tid: 4250, comm: 'CPU 0/KVM' }]);
    writeFakeKernelThread(root, 4300, 'vhost-4242');
    writeFakeKernelThread(root, 4301, 'vhost-4242');
    writeFakeKernelThread(root, 4302, 'vhost-9999'); // another QEMU's worker
    writeFakeKernelThread(root, 4303, 'vhost-4242', { ppid: 1 }); // a user process naming itself so
    writeFakeKernelThread(root, 4304, 'kworker/0:1');
    assert.deepEqual(
      vhostWorkers(procFs, 4242).sort((a, b) => a.tid - b.tid),
      [{ tid: 4300, tgid: 4300 }, { tid: 4301, tgid: 4301 }],
    );
  });

  it('is empty for a QEMU without vhost-net', () => {
    const { root, procFs } = host();
    writeFakeProcess(root, 4242, 777, [{ tid: 4242, comm: 'qemu-system-x86' }]);
    writeFakeKernelThread(root, 4302, 'vhost-9999');
    assert.deepEqual(vhostWorkers(procFs, 4242), []);
  });
});

describe('launch\'s thread plan', () => {
  const cpus = [{ 'cpu-index': 0, 'thread-id': 4250 }, { 'cpu-index': 1, 'thread-id': 4251 }];
  const spec = (vhost: boolean) => qemuSpec({ vcpus: { count: 2, sockets: 1, dies: 1, cores: 2, threads: 1 }, network: { mode: 'tap', ifname: 'tap0', vhost, queues: 1, mac: null } });

  it('puts vhost kernel threads with the emulator, as their own processes, named as vhost workers', () => {
    const { root, procFs } = host();
    writeFakeProcess(root, 4242, 777, [{ tid: 4242, comm: 'qemu-system-x86' }, { tid: 4250, comm: 'CPU 0/KVM' }, { tid: 4251, comm: 'CPU 1/KVM' }]);
    writeFakeKernelThread(root, 4300, 'vhost-4242');
    const plan = qemuPlan(spec(true), { hostCpus: [2, 3], emulator: [0, 1] });
    const threads = threadPlan(plan, cpus as never, [], 4242, procFs);
    assert.deepEqual(
      threads.map((t) => [t.role, t.tid, t.tgid ?? null, t.plannedAffinity]),
      [['vcpu', 4250, null, [2]], ['vcpu', 4251, null, [3]], ['vhost', 4300, 4300, [0, 1]], ['emulator', 4242, null, [0, 1]]],
    );
    assert.equal(describeThread(threads[2]!), 'vhost worker 0');
  });

  it('names QEMU\'s own vhost threads (Linux >= 6.4) without a second entry, and looks for none without vhost', () => {
    const { root, procFs } = host();
    writeFakeProcess(root, 4242, 777, [{ tid: 4242, comm: 'qemu-system-x86' }, { tid: 4250, comm: 'CPU 0/KVM' }, { tid: 4251, comm: 'CPU 1/KVM' }, { tid: 4270, comm: 'vhost-4242' }]);
    const withVhost = threadPlan(qemuPlan(spec(true), { hostCpus: [2, 3], emulator: [0] }), cpus as never, [], 4242, procFs);
    assert.deepEqual(withVhost.map((t) => [t.role, t.tid, t.tgid ?? null]), [['vcpu', 4250, null], ['vcpu', 4251, null], ['vhost', 4270, null], ['emulator', 4242, null]]);
    const without = threadPlan(qemuPlan(spec(false), { hostCpus: [2, 3], emulator: [0] }), cpus as never, [], 4242, procFs);
    assert.deepEqual(without.map((t) => [t.role, t.tid]), [['vcpu', 4250], ['vcpu', 4251], ['emulator', 4242], ['emulator', 4270]]);
  });
});
