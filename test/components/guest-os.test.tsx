/**
 * The VM step's guest OS: a line says which OS and what of the platform it chose, o cycles it
 * (the same override as --guest), and the Preview follows (OVMF and a TPM for windows).
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { Wizard } from '../../components/Wizard.js';
import { fixtureRoot } from '../helpers/fixture-root.js';
import { plain, waitFor } from '../helpers/ink.js';
import { capturedHostServices } from '../helpers/wizard-services.js';
import { assertFits, fakeHostOffer, pressUntil } from './wizard-helpers.js';

afterEach(() => cleanup());

test('o cycles the guest OS on the VM step; its platform is shown and reaches the Preview', async () => {
  const services = { ...capturedHostServices(fixtureRoot('hwloc-32intel64-2p8co2t+8ve')), hostOffer: fakeHostOffer() };
  const app = render(<Wizard services={services} host={services.readHost()} initialScreen="plan" initialPresetName="balanced" size={{ columns: 80, rows: 24 }} color={false} />);
  const frame = () => plain(app.lastFrame());
  await waitFor(() => /^guest linux \(o: change\) · BIOS, RTC in UTC$/m.test(frame()), 'the guest line');
  await pressUntil(app.stdin, 'o', () => /^guest windows \(o: change\)/m.test(frame()), 'windows', frame);
  // The capture has no /dev/kvm, so the VM is TCG: Hyper-V is said to be off there.
  assert.match(frame(), /^guest windows \(o: change\) · UEFI with secure boot, TPM 2\.0, Hyper-V\s+enlightenments \(KVM only: off under TCG\), RTC in local time$/m);
  assertFits(frame(), 80, 24, 'the VM step with a windows guest');
  await pressUntil(app.stdin, '4', () => /\[4 Preview\]/.test(frame()), 'the Preview', frame);
  await waitFor(() => /tpm-crb/.test(frame()) || /OVMF/.test(frame()), 'the windows platform in the argv');
});
