/**
 * Golden libvirt domain XML: every builtin preset planned on three captured hosts (the same ones
 * as the QEMU argv goldens). UPDATE_GOLDEN=1 rewrites them; review the diff. A plan the planner
 * refuses on a host (1G pages without pdpe1gb) has no golden: the generator must refuse it too,
 * naming the planner's error. A golden with no case behind it any more is an error.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { expectGolden, staleGoldens } from '../helpers/golden.js';
import { fileURLToPath } from 'node:url';
import { buildDomainXml, DomainXmlError } from '../../src/generate/libvirt-xml.js';
import { all, one, parseDomain } from '../helpers/libvirt-dom.js';
import { builtinPresetNames, presetCases } from '../helpers/libvirt-cases.js';

const GOLDEN_DIR = fileURLToPath(new URL('./golden/xml/', import.meta.url));

describe('libvirt XML goldens (preset x captured host)', () => {
  const cases = presetCases();
  const expected = new Set<string>();

  it('covers every builtin preset', () => {
    assert.ok(builtinPresetNames().length >= 7, 'the builtin presets are all there');
    assert.deepEqual([...new Set(cases.map((entry) => entry.preset))].sort(), builtinPresetNames().sort());
  });

  for (const { file, plan } of cases) {
    if (plan.errors.length > 0) {
      it(`${file}: refused, as the planner refused it`, () => {
        assert.throws(
          () => buildDomainXml(plan),
          (error: unknown) => error instanceof DomainXmlError && plan.errors.every((planError) => error.message.includes(planError.code)),
        );
      });
      continue;
    }
    expected.add(file);
    it(file, () => {
      const xml = buildDomainXml(plan);
      // The golden must agree with the plan it came from, not only with its earlier self.
      const domain = parseDomain(xml);
      const pins = all(domain, 'cputune/vcpupin').map((pin) => [Number(pin.getAttribute('vcpu')), Number(pin.getAttribute('cpuset'))]);
      assert.deepEqual(pins, plan.vcpus.map((vcpu) => [vcpu.vcpu, vcpu.hostCpu]));
      assert.equal(one(domain, 'vcpu').textContent, String(plan.spec.vcpus.count));
      assert.equal(all(domain, 'cputune/iothreadpin').length, plan.iothreads.filter((iothread) => iothread.hostCpus.length > 0).length);

      expectGolden(path.join(GOLDEN_DIR, file), xml);
    });
  }

  it('every preset has a golden, and the matrix is not mostly refusals', () => {
    for (const preset of builtinPresetNames()) {
      const withGolden = [...expected].filter((file) => file.startsWith(`${preset}__`));
      assert.ok(withGolden.length >= 1, `${preset} has no golden at all`);
    }
    assert.ok(expected.size >= 2 * builtinPresetNames().length, `only ${expected.size} goldens`);
  });

  it('has no stale goldens', () => {
    assert.deepEqual(staleGoldens(GOLDEN_DIR, '.xml', expected), [], 'goldens for presets or hosts no longer tested');
  });
});
