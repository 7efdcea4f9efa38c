/**
 * Every generated domain XML against libvirt's own RelaxNG schema (`virt-xml-validate FILE domain`,
 * offline, no daemon): every builtin preset on the golden hosts, plus hand-made plans for the
 * shapes presets do not reach (tap with MAC, shared memfd RAM, 1G pages with guest NUMA, named
 * models with features, no pinning, no disks). Hostile names are read back by libxml2 (xmllint),
 * an XML parser independent of the one that wrote them.
 *
 * The schema does not know how many vCPUs a domain has, so it accepts pins libvirt would drop:
 * that is what buildDomainXml's own checks are for (test/generate/libvirt-xml.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDomainXml } from '../../src/generate/libvirt-xml.js';
import type { Plan } from '../../src/spec/types.js';
import { presetCases } from '../helpers/libvirt-cases.js';
import { handPlan, handSpec, HOSTILE_NAMES } from '../helpers/libvirt-plans.js';
import { requireTool } from '../helpers/libvirt-real.js';

let scratch = '';

before(() => {
  requireTool('virt-xml-validate', 'libvirt-clients');
  requireTool('xmllint', 'libxml2-utils');
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-xml-'));
});

after(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

let counter = 0;
function writeXml(xml: string): string {
  const file = path.join(scratch, `domain-${counter++}.xml`);
  fs.writeFileSync(file, xml);
  return file;
}

function validate(xml: string): { ok: boolean; output: string } {
  const file = writeXml(xml);
  const result = spawnSync('virt-xml-validate', [file, 'domain'], { encoding: 'utf8', timeout: 30_000 });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

function assertValid(xml: string): void {
  const { ok, output } = validate(xml);
  assert.ok(ok, `virt-xml-validate refused the XML:\n${output}\n--- XML ---\n${xml}`);
}

describe('virt-xml-validate accepts every generated domain XML', () => {
  it('refuses a broken document (the validator is live, not a no-op)', () => {
    const xml = buildDomainXml(handPlan(handSpec())).replace('<vcpu placement="static">', '<vcpu placement="sometimes">');
    const { ok, output } = validate(xml);
    assert.equal(ok, false);
    assert.match(output, /fails to validate/);
  });

  for (const { file, plan } of presetCases()) {
    if (plan.errors.length > 0) continue; // refused before any XML exists; see libvirt-golden.test.ts
    it(`preset case ${file}`, () => assertValid(buildDomainXml(plan)));
  }

  const disk = { format: 'raw' as const, cache: 'none' as const, aio: 'native' as const, iothread: true, readonly: false };
  const handCases: Array<[string, Plan]> = [
    ['host-passthrough with cache passthrough and features', handPlan(handSpec({ cpu: { model: 'host', features: ['+topoext', '-svm'], cachePassthrough: true } }))],
    ['TCG with mode maximum', handPlan(handSpec({ accel: 'tcg', cpu: { model: 'max', features: [], cachePassthrough: false } }))],
    ['TCG with a named model and features', handPlan(handSpec({ accel: 'tcg', cpu: { model: 'qemu64', features: ['+sse4.2', '-svm'], cachePassthrough: false } }))],
    ['tap with vhost, queues and MAC', handPlan(handSpec({ network: { mode: 'tap', ifname: 'tap-vm1', vhost: true, queues: 4, mac: '52:54:00:ab:cd:ef' } }))],
    ['tap without vhost', handPlan(handSpec({ network: { mode: 'tap', ifname: 'tap0', vhost: false, queues: 1, mac: null } }))],
    ['no network, no disks, no iothreads', handPlan(handSpec({ network: { mode: 'none', ifname: null, vhost: false, queues: 1, mac: null }, disks: [], iothreads: { count: 0, placement: 'housekeeping' } }))],
    ['shared memfd RAM, locked, preallocated', handPlan(handSpec({ memory: { sizeMiB: 2048, backing: 'ram', prealloc: true, lock: true, share: true } }))],
    [
      '1G pages with two guest NUMA cells on two host nodes',
      handPlan(
        handSpec({
          vcpus: { count: 4, sockets: 2, dies: 1, cores: 2, threads: 1 },
          memory: { sizeMiB: 8192, backing: 'hugepages-1G', prealloc: true, lock: false, share: false },
          numa: [
            { vcpus: [0, 1], memMiB: 4096, hostNode: 0 },
            { vcpus: [2, 3], memMiB: 4096, hostNode: 1 },
          ],
        }),
        { hostNodes: [0, 1] },
      ),
    ],
    ['extra QEMU arguments through <qemu:commandline>', handPlan(handSpec({ extraArgs: ['-smbios', 'type=1,product=a "b" & <c>'] }))],
    ['pinning off', handPlan(handSpec({ pinning: { strategy: 'none' } }), { hostCpus: [null, null, null, null], emulator: [], iothreadCpus: [[]], hostNodes: [] })],
    [
      'four disks (qcow2, raw, readonly), two iothreads, dies',
      handPlan(
        handSpec({
          vcpus: { count: 8, sockets: 1, dies: 2, cores: 2, threads: 2 },
          iothreads: { count: 3, placement: 'dedicated' },
          disks: [
            { ...disk, path: '/a.qcow2', format: 'qcow2' },
            { ...disk, path: '/b.raw', iothread: false, cache: 'writeback', aio: 'threads' },
            { ...disk, path: '/c.raw', aio: 'io_uring' },
            { ...disk, path: '/d.iso', readonly: true },
          ],
        }),
        { iothreadCpus: [[0], [1], [0, 1]] },
      ),
    ],
  ];
  for (const [what, plan] of handCases) {
    it(`hand-made: ${what}`, () => assertValid(buildDomainXml(plan)));
  }
});

describe('libxml2 reads hostile names back unchanged', () => {
  for (const name of HOSTILE_NAMES) {
    it(JSON.stringify(name), () => {
      const diskPath = `/var/lib/vm/${name}.qcow2`;
      const xml = buildDomainXml(handPlan(handSpec({ name, disks: [{ path: diskPath, format: 'qcow2', cache: 'none', aio: 'native', iothread: true, readonly: false }] })));
      assertValid(xml);
      const file = writeXml(xml);
      const read = (xpath: string) => {
        const result = spawnSync('xmllint', ['--xpath', xpath, file], { encoding: 'utf8', timeout: 30_000 });
        assert.equal(result.status, 0, result.stderr);
        // xmllint ends a string result with one newline of its own (names never hold one).
        return result.stdout.replace(/\n$/, '');
      };
      assert.equal(read('string(/domain/name)'), name);
      assert.equal(read('string(/domain/devices/disk/source/@file)'), diskPath);
    });
  }
});
