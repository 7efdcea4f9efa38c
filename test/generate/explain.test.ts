/**
 * Every option and element the generators emit has a reason (src/generate/explain.ts): the argv
 * and domain XML of every preset, as is and with disks, a tap, no network, TCG, hand-placed
 * helpers and extraArgs, on every fixture host (test/fixtures/hosts and the captured
 * topologies), for an unknown and a current QEMU/libvirt. A new option without a reason fails.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { explainArgvLines, explainOption, xmlElementsWithoutReason, explainXmlLines } from '../../src/generate/explain.js';
import { buildDomainXml } from '../../src/generate/libvirt-xml.js';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import type { OutputTarget } from '../../src/generate/vm-facts.js';
import { planVm } from '../../src/plan/plan-vm.js';
import { applyPresetOverrides, type SpecOverrides } from '../../src/spec/resolve.js';
import { formatArgLines } from '../../src/shared/shell-quote.js';
import type { Plan, Preset } from '../../src/spec/types.js';
import { fixtureRoot, topologyFixtureNames } from '../helpers/fixture-root.js';
import { capturedHostServices } from '../helpers/wizard-services.js';

const HOSTS_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'hosts');
const HOST_ROOTS = [...['bare', 'hugepages-one-node', 'pvm', 'pvm-no-kvm', 'well-tuned'].map((name) => path.join(HOSTS_DIR, name)), ...topologyFixtureNames().map(fixtureRoot)];
const VARIANTS: SpecOverrides[] = [{}, { disks: ['a.qcow2', 'b.raw'], net: 'tap:tap0' }, { net: 'none' }, { accel: 'tcg', disks: ['c.img'] }];
const TARGETS: OutputTarget[] = [{ qemu: null, libvirt: null }, { qemu: { major: 9, minor: 2 }, libvirt: { major: 10, minor: 5 } }];

/** The preset with extraArgs, so qemu:commandline and the argv's tail are walked too. */
function withExtraArgs(preset: Preset): Preset {
  return { ...preset, input: { ...(preset.input ?? {}), extraArgs: ['-device', 'virtio-rng-pci'] } };
}

function* plans(): Generator<{ where: string; plan: Plan }> {
  for (const root of HOST_ROOTS) {
    let services;
    let host;
    try {
      services = capturedHostServices(root);
      host = services.readHost();
    } catch {
      continue; // a capture without a readable topology: nothing to plan
    }
    for (const preset of services.presets) {
      for (const [index, overrides] of VARIANTS.entries()) {
        for (const source of index === 1 ? [preset, withExtraArgs(preset)] : [preset]) {
          let spec;
          try {
            spec = applyPresetOverrides(source, overrides, { kvmUsable: host.devices.kvm !== 'missing' });
          } catch {
            continue; // the spec's rules refuse this variant for this preset
          }
          const plan = planVm({ topology: host.topology, cpuInfo: host.cpuInfo, spec, taken: host.taken, devices: host.devices });
          if (plan.errors.length === 0) yield { where: `${path.basename(root)} ${preset.name} ${JSON.stringify(overrides)}`, plan };
        }
      }
    }
  }
}

describe('explain: a reason for every emitted option and element', () => {
  test('every preset on every fixture host: no argv line and no XML element without a reason', () => {
    const missing = new Map<string, string>();
    let walked = 0;
    for (const { where, plan } of plans()) {
      for (const target of TARGETS) {
        let argv: string[];
        let xml: string;
        try {
          argv = buildQemuArgs(plan, { runDir: '/run/kvm-tui/vm', target });
          xml = buildDomainXml(plan, { target });
        } catch {
          continue; // a plan the generators refuse (their own tests cover why)
        }
        walked++;
        const lines = formatArgLines(argv);
        const reasons = explainArgvLines(argv, plan);
        assert.equal(reasons.length, lines.length, `${where}: one reason per preview line`);
        reasons.forEach((reason, index) => {
          if (reason === null || reason.includes('undefined')) missing.set(lines[index]!.split(' ')[0]! + ' ' + (lines[index]!.split(' ')[1] ?? '').split(/[,=]/)[0], where);
        });
        for (const element of xmlElementsWithoutReason(xml, plan)) missing.set(element.replace(/\s.*$/, ''), where);
        explainXmlLines(xml, plan).forEach((reason, index) => {
          if (reason?.includes('undefined')) missing.set(`${xml.split('\n')[index]!.trim()} (a reason with a missing fact)`, where);
        });
      }
    }
    assert.ok(walked > 50, `walked only ${walked} plans`);
    assert.deepEqual([...missing.entries()].map(([what, where]) => `${what} (first in ${where})`), [], 'options and elements without a reason');
  });

  test('the reasons use the plan: an iothread says where it runs; a closing tag has its element\'s reason', () => {
    const services = capturedHostServices(path.join(HOSTS_DIR, 'well-tuned'));
    const host = services.readHost();
    const preset = services.presets.find((entry) => entry.name === 'balanced')!;
    const spec = applyPresetOverrides(preset, { disks: ['a.qcow2'], iothreadCpus: [1] });
    const plan = planVm({ topology: host.topology, cpuInfo: host.cpuInfo, spec, taken: host.taken, devices: host.devices });
    assert.deepEqual(plan.errors, []);
    assert.equal(explainOption('-object', 'iothread,id=io0', plan), "iothread=io0: disk I/O runs on its own thread (host CPU 1, as placed by hand), out of QEMU's main loop");
    assert.match(explainOption('-device', 'virtio-blk-pci,id=virtio-disk0,drive=disk0,iothread=io0,write-cache=on', plan)!, /^iothread=io0: disk I\/O of a\.qcow2 \(qcow2\) runs on its own pinned thread \(host CPU 1, as placed by hand\)$/);
    assert.equal(explainOption('-frobnicate', undefined, plan), null, 'an option it does not know has no reason');
    const xml = buildDomainXml(plan);
    const lines = xml.split('\n');
    const reasons = explainXmlLines(xml, plan);
    const open = lines.findIndex((line) => line.trim() === '<cputune>');
    const close = lines.findIndex((line) => line.trim() === '</cputune>');
    assert.ok(open >= 0 && close > open);
    assert.equal(reasons[close], reasons[open]);
    const pin = lines.findIndex((line) => line.includes('<iothreadpin'));
    assert.match(reasons[pin]!, /^iothread 1 \(io0\) runs on host CPU\(s\) 1/);
  });
});
