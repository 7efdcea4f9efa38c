import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildQemuArgs, checkPlanForQemu, optValue, QemuArgsError } from '../../src/generate/qemu-argv.js';
import type { Plan } from '../../src/spec/types.js';
import { HOSTILE_STRINGS, qemuPlan, qemuSpec } from '../helpers/qemu-plans.js';
import { vmMac, vmUuid } from '../../src/generate/vm-facts.js';

const RUN = '/run/kvm-tui/vms/vm1-00000000';

/** The value given to the n-th occurrence of an option. */
function valueOf(argv: string[], option: string, nth = 0): string {
  const indexes = argv.flatMap((word, index) => (word === option ? [index] : []));
  assert.ok(indexes.length > nth, `${option} appears ${indexes.length} times`);
  return argv[indexes[nth]! + 1]!;
}
const valuesOf = (argv: string[], option: string) => argv.flatMap((word, index) => (word === option ? [argv[index + 1]!] : []));
const codes = (plan: Plan) => checkPlanForQemu(plan).map((problem) => problem.code);

describe('buildQemuArgs', () => {
  it('builds the whole command line for a plain plan, options in a fixed order', () => {
    const spec = qemuSpec();
    const argv = buildQemuArgs(qemuPlan(spec), { runDir: RUN });
    assert.deepEqual(argv, [
      'qemu-system-x86_64',
      '-name', 'guest=vm1,debug-threads=on',
      '-machine', 'q35,memory-backend=mem0,usb=off,dump-guest-core=off,mem-merge=off,hpet=off',
      '-accel', 'kvm',
      '-cpu', 'host,migratable=off',
      '-smp', '4,sockets=1,dies=1,cores=2,threads=2,maxcpus=4',
      '-m', '4096M',
      '-uuid', vmUuid(spec),
      '-object', 'memory-backend-ram,id=mem0,size=4096M,host-nodes=0,policy=bind',
      '-netdev', 'user,id=net0',
      '-device', `virtio-net-pci,id=virtio-net0,netdev=net0,mac=${vmMac(spec)}`,
      '-chardev', `socket,id=qmp0,path=${RUN}/qmp.sock,server=on,wait=off`,
      '-mon', 'chardev=qmp0,mode=control',
      '-chardev', `socket,id=qmp1,path=${RUN}/monitor.sock,server=on,wait=off`,
      '-mon', 'chardev=qmp1,mode=control',
      '-chardev', `file,id=serial0,path=${RUN}/serial.log`,
      '-device', 'isa-serial,chardev=serial0,id=serial0',
      '-rtc', 'base=utc,driftfix=slew',
      '-global', 'kvm-pit.lost_tick_policy=delay',
      '-boot', 'strict=on',
      '-pidfile', `${RUN}/qemu.pid`,
      '-S',
      '-display', 'none',
      '-nodefaults',
      '-no-user-config',
    ]);
  });

  it('uses the given binary, appends extraArgs last and never drops -S', () => {
    const spec = qemuSpec({ extraArgs: ['-kernel', '/boot/vmlinuz', '-append', 'console=ttyS0 quiet'] });
    const argv = buildQemuArgs(qemuPlan(spec), { runDir: RUN, qemuBinary: '/opt/qemu/bin/qemu-system-x86_64' });
    assert.equal(argv[0], '/opt/qemu/bin/qemu-system-x86_64');
    assert.deepEqual(argv.slice(-4), ['-kernel', '/boot/vmlinuz', '-append', 'console=ttyS0 quiet']);
    assert.ok(argv.includes('-S'));
  });

  it('doubles commas in every user string placed inside an option value', () => {
    assert.equal(optValue('a,b,,c'), 'a,,b,,,,c');
    const spec = qemuSpec({
      name: 'web,id=evil',
      disks: [{ path: '/srv/a,b/disk,1.raw', format: 'raw', cache: 'writeback', aio: 'threads', iothread: false, readonly: false }],
      network: { mode: 'tap', ifname: 'tap,x', vhost: true, queues: 1 },
    });
    const argv = buildQemuArgs(qemuPlan(spec), { runDir: '/tmp/r,un' });
    assert.equal(valueOf(argv, '-name'), 'guest=web,,id=evil,debug-threads=on');
    assert.match(valueOf(argv, '-blockdev', 0), /,filename=\/srv\/a,,b\/disk,,1\.raw,/);
    assert.match(valueOf(argv, '-netdev'), /,ifname=tap,,x,/);
    assert.equal(valueOf(argv, '-chardev', 0), 'socket,id=qmp0,path=/tmp/r,,un/qmp.sock,server=on,wait=off');
    assert.equal(valueOf(argv, '-chardev', 1), 'socket,id=qmp1,path=/tmp/r,,un/monitor.sock,server=on,wait=off');
    assert.equal(valueOf(argv, '-chardev', 2), 'file,id=serial0,path=/tmp/r,,un/serial.log');
    // -pidfile is a plain path, not an option list: doubling there would name another file.
    assert.equal(valueOf(argv, '-pidfile'), '/tmp/r,un/qemu.pid');
  });

  for (const name of HOSTILE_STRINGS) {
    it(`keeps the hostile name ${JSON.stringify(name)} exact (commas doubled, nothing else touched)`, () => {
      const argv = buildQemuArgs(qemuPlan(qemuSpec({ name })), { runDir: RUN });
      assert.equal(valueOf(argv, '-name'), `guest=${name.replaceAll(',', ',,')},debug-threads=on`);
      assert.equal(argv.length, buildQemuArgs(qemuPlan(qemuSpec()), { runDir: RUN }).length, 'the name never splits or adds words');
    });
  }

  it('spells out -smp with dies and maxcpus', () => {
    const spec = qemuSpec({ vcpus: { count: 16, sockets: 2, dies: 2, cores: 2, threads: 2 } });
    assert.equal(valueOf(buildQemuArgs(qemuPlan(spec), { runDir: RUN }), '-smp'), '16,sockets=2,dies=2,cores=2,threads=2,maxcpus=16');
  });

  it('turns the plan\'s +/- features into name=on/off, in order, adding none of its own', () => {
    const spec = qemuSpec({ cpu: { model: 'EPYC', features: ['+invtsc', '-svm', '+topoext'] } });
    assert.equal(valueOf(buildQemuArgs(qemuPlan(spec, { vendor: 'amd' }), { runDir: RUN }), '-cpu'), 'EPYC,invtsc=on,svm=off,topoext=on,enforce');
    // The planner owns topoext (it adds +topoext for AMD SMT guests); a plan without it gets none.
    const bare = qemuSpec({ cpu: { model: 'EPYC' } });
    // A named model is enforced: QEMU refuses to start rather than drop a feature the host lacks.
    assert.equal(valueOf(buildQemuArgs(qemuPlan(bare, { vendor: 'amd' }), { runDir: RUN }), '-cpu'), 'EPYC,enforce');
  });

  it('passes host cache info with cache passthrough', () => {
    const spec = qemuSpec({ cpu: { model: 'host', cachePassthrough: true } });
    assert.equal(valueOf(buildQemuArgs(qemuPlan(spec), { runDir: RUN }), '-cpu'), 'host,migratable=off,host-cache-info=on,l3-cache=off');
  });

  it('runs TCG multi-threaded so every vCPU has its own thread', () => {
    const spec = qemuSpec({ accel: 'tcg', cpu: { model: 'qemu64' } });
    assert.equal(valueOf(buildQemuArgs(qemuPlan(spec), { runDir: RUN }), '-accel'), 'tcg,thread=multi');
    // mem-lock would otherwise lock TCG's whole 1 GiB translation cache.
    const locked = qemuSpec({ accel: 'tcg', cpu: { model: 'qemu64' }, memory: { lock: true } });
    assert.equal(valueOf(buildQemuArgs(qemuPlan(locked), { runDir: RUN }), '-accel'), 'tcg,thread=multi,tb-size=64');
  });

  it('backs huge pages with memfd (no hugetlbfs mount needed), preallocated, shared, bound and locked as asked', () => {
    const spec = qemuSpec({ memory: { sizeMiB: 2048, backing: 'hugepages-2M', prealloc: true, share: true, lock: true } });
    const argv = buildQemuArgs(qemuPlan(spec, { hostNodes: [0, 1, 3] }), { runDir: RUN });
    assert.equal(valueOf(argv, '-object'), 'memory-backend-memfd,id=mem0,size=2048M,hugetlb=on,hugetlbsize=2M,share=on,prealloc=on,host-nodes=0-1,host-nodes=3,policy=bind');
    assert.equal(valueOf(argv, '-overcommit'), 'mem-lock=on');
    const gig = qemuSpec({ memory: { sizeMiB: 4096, backing: 'hugepages-1G' } });
    assert.equal(valueOf(buildQemuArgs(qemuPlan(gig, { hostNodes: [] }), { runDir: RUN }), '-object'), 'memory-backend-memfd,id=mem0,size=4096M,hugetlb=on,hugetlbsize=1G,share=off');
    assert.ok(!buildQemuArgs(qemuPlan(qemuSpec()), { runDir: RUN }).includes('-overcommit'));
  });

  it('shares plain RAM through memfd (an fd vhost-user can map)', () => {
    const spec = qemuSpec({ memory: { share: true } });
    assert.equal(valueOf(buildQemuArgs(qemuPlan(spec), { runDir: RUN }), '-object'), 'memory-backend-memfd,id=mem0,size=4096M,share=on,host-nodes=0,policy=bind');
  });

  it('gives each guest NUMA node its own backend bound to its host node', () => {
    const spec = qemuSpec({
      vcpus: { count: 8, sockets: 2, dies: 1, cores: 2, threads: 2 },
      memory: { sizeMiB: 8192 },
      numa: [
        { vcpus: [0, 1, 2, 3], memMiB: 4096, hostNode: 0 },
        { vcpus: [4, 5, 7], memMiB: 4096, hostNode: 1 },
      ],
    });
    spec.numa[1]!.vcpus.push(6);
    const argv = buildQemuArgs(qemuPlan(spec), { runDir: RUN });
    assert.equal(valueOf(argv, '-machine'), 'q35,usb=off,dump-guest-core=off,mem-merge=off,hpet=off', 'no machine memory-backend with guest NUMA');
    assert.deepEqual(valuesOf(argv, '-object'), [
      'memory-backend-ram,id=mem0,size=4096M,host-nodes=0,policy=bind',
      'memory-backend-ram,id=mem1,size=4096M,host-nodes=1,policy=bind',
    ]);
    assert.deepEqual(valuesOf(argv, '-numa'), ['node,nodeid=0,cpus=0-3,memdev=mem0', 'node,nodeid=1,cpus=4-7,memdev=mem1']);
    const gappy = qemuSpec({ memory: { sizeMiB: 4096 }, numa: [{ vcpus: [0, 2], memMiB: 2048, hostNode: 0 }, { vcpus: [1, 3], memMiB: 2048, hostNode: 0 }] });
    assert.deepEqual(valuesOf(buildQemuArgs(qemuPlan(gappy), { runDir: RUN }), '-numa'), [
      'node,nodeid=0,cpus=0,cpus=2,memdev=mem0',
      'node,nodeid=1,cpus=1,cpus=3,memdev=mem1',
    ]);
  });

  it('builds -blockdev protocol + format nodes and a virtio-blk device per disk, iothreads round-robin', () => {
    const spec = qemuSpec({
      disks: [
        { path: '/vm/a.qcow2', format: 'qcow2', cache: 'none', aio: 'native', iothread: true, readonly: false },
        { path: '/vm/b.raw', format: 'raw', cache: 'writethrough', aio: 'threads', iothread: false, readonly: true },
        { path: '/vm/c.raw', format: 'raw', cache: 'unsafe', aio: 'io_uring', iothread: true, readonly: false },
        { path: '/vm/d.raw', format: 'raw', cache: 'directsync', aio: 'native', iothread: true, readonly: false },
      ],
      iothreads: { count: 2 },
    });
    const argv = buildQemuArgs(qemuPlan(spec), { runDir: RUN });
    assert.deepEqual(valuesOf(argv, '-object').slice(1), ['iothread,id=io0', 'iothread,id=io1']);
    assert.deepEqual(valuesOf(argv, '-blockdev'), [
      'driver=file,node-name=disk0-file,filename=/vm/a.qcow2,aio=native,cache.direct=on,cache.no-flush=off,read-only=off',
      'driver=qcow2,node-name=disk0,file=disk0-file,cache.direct=on,cache.no-flush=off,read-only=off',
      'driver=file,node-name=disk1-file,filename=/vm/b.raw,aio=threads,cache.direct=off,cache.no-flush=off,read-only=on',
      'driver=raw,node-name=disk1,file=disk1-file,cache.direct=off,cache.no-flush=off,read-only=on',
      'driver=file,node-name=disk2-file,filename=/vm/c.raw,aio=io_uring,cache.direct=off,cache.no-flush=on,read-only=off',
      'driver=raw,node-name=disk2,file=disk2-file,cache.direct=off,cache.no-flush=on,read-only=off',
      'driver=file,node-name=disk3-file,filename=/vm/d.raw,aio=native,cache.direct=on,cache.no-flush=off,read-only=off',
      'driver=raw,node-name=disk3,file=disk3-file,cache.direct=on,cache.no-flush=off,read-only=off',
    ]);
    assert.deepEqual(valuesOf(argv, '-device').slice(0, 4), [
      'virtio-blk-pci,id=virtio-disk0,drive=disk0,iothread=io0,write-cache=on',
      'virtio-blk-pci,id=virtio-disk1,drive=disk1,write-cache=off',
      'virtio-blk-pci,id=virtio-disk2,drive=disk2,iothread=io1,write-cache=on',
      'virtio-blk-pci,id=virtio-disk3,drive=disk3,iothread=io0,write-cache=off',
    ]);
  });

  it('builds a multiqueue vhost tap with 2N+2 vectors, a user netdev, or no NIC at all', () => {
    const tap = qemuSpec({ network: { mode: 'tap', ifname: 'tap0', vhost: true, queues: 4, mac: '52:54:00:12:34:56' } });
    let argv = buildQemuArgs(qemuPlan(tap), { runDir: RUN });
    assert.equal(valueOf(argv, '-netdev'), 'tap,id=net0,ifname=tap0,script=no,downscript=no,vhost=on,queues=4');
    assert.equal(valueOf(argv, '-device'), 'virtio-net-pci,id=virtio-net0,netdev=net0,mq=on,vectors=10,mac=52:54:00:12:34:56');
    const single = qemuSpec({ network: { mode: 'tap', ifname: 'tap1', vhost: false, queues: 1 } });
    argv = buildQemuArgs(qemuPlan(single), { runDir: RUN });
    assert.equal(valueOf(argv, '-netdev'), 'tap,id=net0,ifname=tap1,script=no,downscript=no,vhost=off');
    // No MAC in the spec: one from the VM's name (the XML gives the same), not QEMU's fixed default.
    assert.equal(valueOf(argv, '-device'), `virtio-net-pci,id=virtio-net0,netdev=net0,mac=${vmMac(single)}`);
    assert.notEqual(vmMac(single), vmMac({ ...single, name: 'other' }));
    argv = buildQemuArgs(qemuPlan(qemuSpec({ network: { mode: 'none' } })), { runDir: RUN });
    assert.equal(valueOf(argv, '-nic'), 'none');
    assert.ok(!argv.includes('-netdev'));
  });
});

describe('checkPlanForQemu', () => {
  it('accepts the hand-made plans', () => {
    assert.deepEqual(checkPlanForQemu(qemuPlan(qemuSpec())), []);
  });

  it('refuses a plan carrying planner errors, and buildQemuArgs throws listing them', () => {
    const plan = qemuPlan(qemuSpec());
    plan.errors.push({ code: 'not-enough-cpus', message: '4 vCPUs need 4 free host CPUs, 2 are free' });
    assert.throws(() => buildQemuArgs(plan, { runDir: RUN }), (error: unknown) => {
      assert.ok(error instanceof QemuArgsError);
      assert.deepEqual(error.problems.map((problem) => problem.code), ['not-enough-cpus']);
      assert.match(error.message, /2 are free/);
      return true;
    });
  });

  it('refuses aio=native without O_DIRECT (QEMU would refuse it at start)', () => {
    for (const cache of ['writeback', 'writethrough', 'unsafe'] as const) {
      const spec = qemuSpec({ disks: [{ path: '/d', format: 'raw', cache, aio: 'native', iothread: false, readonly: false }] });
      assert.deepEqual(codes(qemuPlan(spec)), ['aio-native-needs-direct'], cache);
    }
  });

  it('refuses what QEMU could not parse or run', () => {
    assert.deepEqual(codes(qemuPlan(qemuSpec({ accel: 'tcg' }))), ['host-cpu-needs-kvm']);
    assert.deepEqual(codes(qemuPlan(qemuSpec({ machine: 'q35,accel=tcg' }))), ['bad-machine']);
    assert.deepEqual(codes(qemuPlan(qemuSpec({ cpu: { model: 'EPYC', features: ['+a,b'] } }))), ['bad-cpu-feature']);
    assert.deepEqual(codes(qemuPlan(qemuSpec({ cpu: { model: 'EPYC', cachePassthrough: true } }))), ['cache-passthrough-needs-host']);
    assert.deepEqual(codes(qemuPlan(qemuSpec({ network: { mode: 'tap', ifname: null } }))), ['bad-tap']);
    assert.deepEqual(codes(qemuPlan(qemuSpec({ network: { mode: 'tap', ifname: 'a-very-long-ifname' } }))), ['bad-tap']);
    assert.deepEqual(codes(qemuPlan(qemuSpec({ network: { mode: 'user', queues: 2 } }))), ['multiqueue-needs-tap']);
    assert.deepEqual(codes(qemuPlan(qemuSpec({ network: { mode: 'user', mac: '52:54:00:12:34' } }))), ['bad-mac']);
    assert.deepEqual(codes(qemuPlan(qemuSpec({ memory: { sizeMiB: 3000, backing: 'hugepages-1G' } }))), ['memory-not-page-multiple']);
    assert.deepEqual(codes(qemuPlan(qemuSpec({ disks: [{ path: '/d', format: 'raw', cache: 'none', aio: 'native', iothread: true, readonly: false }] }))), ['disk-iothread-missing']);
  });

  it('refuses a topology that does not add up and vCPU entries that do not exist', () => {
    assert.deepEqual(codes(qemuPlan(qemuSpec({ vcpus: { count: 4, sockets: 1, dies: 1, cores: 3, threads: 1 } }))), ['bad-topology']);
    const extra = qemuPlan(qemuSpec());
    extra.vcpus.push({ ...extra.vcpus[3]!, vcpu: 7 });
    assert.deepEqual(codes(extra), ['bad-vcpus', 'bad-vcpu-index']);
  });

  it('refuses guest NUMA nodes that miss vCPUs, repeat them, or do not add up to the memory', () => {
    const spec = qemuSpec({ numa: [{ vcpus: [0, 1], memMiB: 2048, hostNode: 0 }, { vcpus: [1, 2], memMiB: 1024, hostNode: 0 }] });
    assert.deepEqual(codes(qemuPlan(spec)).sort(), ['bad-numa', 'bad-numa', 'bad-numa'].sort());
    const messages = checkPlanForQemu(qemuPlan(spec)).map((problem) => problem.message).join('\n');
    assert.match(messages, /hold 3072 MiB, the VM has 4096 MiB/);
    assert.match(messages, /vCPU 1 is in two guest NUMA nodes/);
    assert.match(messages, /cover 3 of 4 vCPUs/);
  });

  it('refuses a plan whose iothread-to-disk map differs from the round-robin the argv uses', () => {
    const spec = qemuSpec({
      disks: [
        { path: '/a', format: 'raw', cache: 'none', aio: 'threads', iothread: true, readonly: false },
        { path: '/b', format: 'raw', cache: 'none', aio: 'threads', iothread: true, readonly: false },
      ],
      iothreads: { count: 2 },
    });
    const plan = qemuPlan(spec);
    plan.iothreads[0]!.disks = [0];
    plan.iothreads[1]!.disks = [1];
    assert.deepEqual(codes(plan), []);
    plan.iothreads[0]!.disks = [1];
    plan.iothreads[1]!.disks = [0];
    assert.deepEqual(codes(plan), ['iothread-disks-mismatch', 'iothread-disks-mismatch']);
  });
});
