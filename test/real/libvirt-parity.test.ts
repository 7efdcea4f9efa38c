/**
 * The QEMU argv and the libvirt XML are the same VM: for every builtin preset planned on every
 * captured host (the hwloc topologies, the fixture hosts and the synthetic 512-thread host), the
 * XML kvm-tui writes is turned into a QEMU command line by libvirt itself (`virsh
 * domxml-to-native qemu-argv`, real libvirtd) and compared, property by property, with the argv
 * kvm-tui writes for the same plan (test/helpers/libvirt-argv.ts vmFacts: machine, CPU, topology,
 * memory backends and their preallocation contexts, clock, identity, devices, disks, NIC, serial,
 * UEFI flash, TPM, Hyper-V enlightenments).
 * Any option on either command line that the comparison neither reads nor ignores for a named
 * reason fails the case, so a new difference cannot slip in unread.
 *
 * Two things libvirt's conversion cannot carry, handled here and checked elsewhere:
 * - host NUMA nodes: libvirt refuses nodes this machine lacks, so numatune's host nodesets become
 *   "0" before the conversion, and kvm-tui's host-nodes are read as [0] too (the binding itself
 *   is checked on a started domain in libvirt-domains.test.ts);
 * - the network backend: domxml-to-native replaces every interface with a tap it would open
 *   itself, so the netdev type and queues are not compared here (libvirt-domains.test.ts starts
 *   real domains with real taps); the NIC model and its MAC are.
 * The CPU check (argv `enforce`, XML check='partial': libvirt compares before the start) is not on libvirt's command line (it
 * checks after start): it is compared between the two documents directly.
 *
 * Needs a running libvirtd (scripts/test-all.sh starts one); fails, never skips, without it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { specRequestFromArgs, type ParsedArgs } from '../../src/cli-args.js';
import { buildDomainXml } from '../../src/generate/libvirt-xml.js';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import { firmwareFacts, parseQemuVersion, type OutputTarget } from '../../src/generate/vm-facts.js';
import { readCpuInfo } from '../../src/host/cpuinfo.js';
import { HostFs } from '../../src/host/host-fs.js';
import { readTopology } from '../../src/host/topology.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { resolveSpec } from '../../src/spec/resolve.js';
import type { Plan } from '../../src/spec/types.js';
import { writeSyntheticHost } from '../make-synthetic-host.js';
import { fixtureRoot, scratchDir, topologyFixtureNames } from '../helpers/fixture-root.js';
import { nativeArgv, unexplainedOptions, vmFacts, type VmFacts } from '../helpers/libvirt-argv.js';
import { BUILTIN_ONLY, builtinPresetNames, GOLDEN_DISKS } from '../helpers/libvirt-cases.js';
import { all, one, parseDomain } from '../helpers/libvirt-dom.js';
import { LIBVIRT_URI, requireTool } from '../helpers/libvirt-real.js';

const run = promisify(execFile);
const scratch = scratchDir('libvirt-parity');
const FIXTURE_HOSTS = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'hosts');

interface Host {
  name: string;
  root: string;
}

function hosts(): Host[] {
  const list: Host[] = topologyFixtureNames().map((name) => ({ name, root: fixtureRoot(name) }));
  for (const name of fs.readdirSync(FIXTURE_HOSTS).sort()) {
    const root = path.join(FIXTURE_HOSTS, name);
    if (fs.statSync(root).isDirectory()) list.push({ name: `hosts/${name}`, root });
  }
  const synthetic = path.join(scratch, 'synthetic-512');
  writeSyntheticHost(synthetic);
  list.push({ name: 'synthetic-512', root: synthetic });
  return list;
}

function planOn(preset: string, root: string): Plan {
  const args: ParsedArgs = { command: 'generate', positionals: [], values: { preset, disk: GOLDEN_DISKS } };
  const spec = resolveSpec(specRequestFromArgs(args), BUILTIN_ONLY);
  const hostFs = new HostFs(root);
  return planVm({ topology: readTopology(hostFs), cpuInfo: readCpuInfo(hostFs), spec });
}

/** numatune's host nodesets -> "0" (this machine's only node); guest cell lists are left alone. */
function hostNodesToZero(xml: string): string {
  return xml.replace(/<numatune>[\s\S]*?<\/numatune>/, (block) => block.replace(/nodeset="[^"]*"/g, 'nodeset="0"'));
}

/** What cannot be compared through domxml-to-native (see the file comment), made equal on both sides. */
function comparable(facts: VmFacts): Omit<VmFacts, 'net'> {
  const { net: _net, ...rest } = facts;
  return {
    ...rest,
    memory: rest.memory.map((backend) => ({ ...backend, hostNodes: backend.hostNodes.length > 0 ? [0] : [] })),
    preallocContexts: rest.preallocContexts.map((nodes) => (nodes === null ? null : [0])),
  };
}

let target: OutputTarget;

before(async () => {
  requireTool('virsh', 'libvirt-clients');
  const version = await run('qemu-system-x86_64', ['--version']);
  target = { qemu: parseQemuVersion(version.stdout) };
  assert.ok(target.qemu, `qemu-system-x86_64 --version: ${version.stdout}`);
  // Fails (never skips) when libvirtd is not there.
  await run('virsh', ['-c', LIBVIRT_URI, 'version']);
});

after(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('the argv and the XML are the same VM (libvirt domxml-to-native, every preset on every captured host)', () => {
  let compared = 0;
  for (const host of hosts()) {
    describe(host.name, () => {
      for (const preset of builtinPresetNames()) {
        it(preset, async (t) => {
          const plan = planOn(preset, host.root);
          if (plan.errors.length > 0) {
            t.diagnostic(`refused by the planner: ${plan.errors.map((error) => error.code).join(', ')}`);
            assert.throws(() => buildDomainXml(plan));
            assert.throws(() => buildQemuArgs(plan, { runDir: '/run/x', target }));
            return;
          }
          const xml = buildDomainXml(plan);
          const file = path.join(scratch, `${preset}.xml`);
          // The CPU check compares with the machine libvirt runs on, which is not the captured
          // host: off for the conversion (the check itself is compared below).
          fs.writeFileSync(file, hostNodesToZero(xml).replace(/ check="partial"/, ' check="none"'));
          const native = await run('virsh', ['-c', LIBVIRT_URI, 'domxml-to-native', '--format', 'qemu-argv', '--xml', file], { maxBuffer: 16 * 1024 * 1024 });
          const libvirts = nativeArgv(native.stdout);
          const ours = buildQemuArgs(plan, { runDir: path.join(scratch, 'run'), target });
          assert.deepEqual(unexplainedOptions(libvirts, plan.spec.extraArgs), [], 'options on libvirt\'s command line the comparison does not read');
          assert.deepEqual(unexplainedOptions(ours, plan.spec.extraArgs), [], 'options on kvm-tui\'s command line the comparison does not read');
          assert.deepEqual(comparable(vmFacts(libvirts)), comparable(vmFacts(ours)));
          const check = one(parseDomain(xml), 'cpu').getAttribute('check');
          // Both refuse to start when the host lacks a feature of a named model, or neither does.
          assert.equal(check === 'partial' || check === 'full', /(^|,)enforce(,|$)/.test(ours[ours.indexOf('-cpu') + 1]!), `XML check='${check}' and the argv's enforce agree`);
          // UEFI: both start the VM's variable store from the same template (the copies' paths differ).
          const nvram = all(parseDomain(xml), 'os/nvram')[0];
          assert.equal(nvram?.getAttribute('template') ?? null, firmwareFacts(plan.spec)?.varsTemplate ?? null, 'the XML names the variable store template the argv\'s copy is made from');
          compared += 1;
        });
      }
    });
  }
  it('compared most cases (the matrix is not mostly refusals)', () => {
    assert.ok(compared >= 3 * builtinPresetNames().length, `only ${compared} cases compared`);
  });
});
