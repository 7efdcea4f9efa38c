/**
 * The guest platform (spec.guest): the spec's defaults per OS and its refusals, and what both
 * generators emit for it from one decision (vm-facts.ts): UEFI flash, secure boot's SMM, the TPM,
 * Hyper-V enlightenments (KVM only; evmcs only for an Intel guest given VMX), the RTC base. The
 * same argv/XML agreement is checked against libvirt's own conversion in
 * test/real/libvirt-parity.test.ts, and real QEMU builds it in test/real/qemu-desktop.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDomainXml } from '../../src/generate/libvirt-xml.js';
import { buildQemuArgs, checkPlanForQemu } from '../../src/generate/qemu-argv.js';
import { buildSwtpmArgs } from '../../src/generate/swtpm.js';
import { HYPERV, OVMF_FILES } from '../../src/generate/vm-facts.js';
import { guestStateProblems } from '../../src/run/guest-state.js';
import { vmStateDir } from '../../src/shared/vm-paths.js';
import { parseVmSpec, SpecError } from '../../src/spec/vm-spec.js';
import type { VmSpec } from '../../src/spec/types.js';
import { all, attrs, one, parseDomain } from '../helpers/libvirt-dom.js';
import { parseKeyval } from '../helpers/libvirt-argv.js';
import { qemuPlan, qemuSpec } from '../helpers/qemu-plans.js';

const RUN = '/run/kvm-tui/vms/vm1-0000';
const valuesOf = (argv: string[], option: string) => argv.flatMap((arg, index) => (arg === option ? [argv[index + 1]!] : []));
const WINDOWS: VmSpec['guest'] = { os: 'windows', firmware: 'uefi', secureBoot: true, tpm: true, hyperv: true, clock: 'localtime' };

describe('spec: guest', () => {
  it('defaults by OS, with the shorthand', () => {
    assert.deepEqual(parseVmSpec({}, 't').guest, { os: 'linux', firmware: 'bios', secureBoot: false, tpm: false, hyperv: false, clock: 'utc' });
    assert.deepEqual(parseVmSpec({ guest: 'windows' }, 't').guest, WINDOWS);
    assert.deepEqual(parseVmSpec({ guest: 'other' }, 't').guest, { os: 'other', firmware: 'bios', secureBoot: false, tpm: false, hyperv: false, clock: 'utc' });
    // A part given wins; secure boot follows the firmware when it is only a default.
    assert.deepEqual(parseVmSpec({ guest: { os: 'windows', firmware: 'bios', tpm: false } }, 't').guest, { ...WINDOWS, firmware: 'bios', secureBoot: false, tpm: false });
    assert.deepEqual(parseVmSpec({ guest: { os: 'linux', firmware: 'uefi', secureBoot: true } }, 't').guest, { os: 'linux', firmware: 'uefi', secureBoot: true, tpm: false, hyperv: false, clock: 'utc' });
  });

  it('refuses what cannot be built, naming the field', () => {
    assert.throws(() => parseVmSpec({ guest: 'macos' }, 't'), (error: SpecError) => error.path === 'guest.os');
    assert.throws(() => parseVmSpec({ guest: { os: 'linux', secureBoot: true } }, 't'), (error: SpecError) => error.path === 'guest.secureBoot' && /uefi/.test(error.message));
    assert.throws(() => parseVmSpec({ guest: 'windows', machine: 'pc' }, 't'), (error: SpecError) => error.path === 'guest.secureBoot' && /q35/.test(error.message));
    assert.throws(() => parseVmSpec({ guest: { os: 'linux', tmp: true } }, 't'), (error: SpecError) => error.path === 'guest.tmp');
    assert.doesNotThrow(() => parseVmSpec({ guest: 'windows', machine: 'pc-q35-7.2' }, 't'));
  });
});

describe('generate: guest platform', () => {
  it('Windows under KVM: UEFI secure boot, SMM, TPM, every enlightenment, local time, in both outputs', () => {
    const plan = qemuPlan(qemuSpec({ guest: WINDOWS }));
    const argv = buildQemuArgs(plan, { runDir: RUN, stateDir: '/var/lib/kvm-tui/vms/vm1-0000' });
    const machine = parseKeyval(valuesOf(argv, '-machine')[0]!);
    assert.deepEqual(machine.pairs.filter(([key]) => ['smm', 'pflash0', 'pflash1'].includes(key)), [['smm', 'on'], ['pflash0', 'fw-code'], ['pflash1', 'fw-vars']]);
    assert.ok(valuesOf(argv, '-blockdev').includes(`driver=file,node-name=fw-code-file,filename=${OVMF_FILES.secureBoot.code},read-only=on`));
    assert.ok(valuesOf(argv, '-blockdev').includes('driver=file,node-name=fw-vars-file,filename=/var/lib/kvm-tui/vms/vm1-0000/uefi-vars.fd,read-only=off'));
    assert.ok(valuesOf(argv, '-global').includes('driver=cfi.pflash01,property=secure,value=on'));
    const cpu = parseKeyval(valuesOf(argv, '-cpu')[0]!).pairs.map(([key, value]) => `${key}=${value}`);
    assert.deepEqual(cpu.filter((prop) => prop.startsWith('hv-')), ['hv-time=on', ...HYPERV.map((entry) => `${entry.qemu}=${entry.value}`)]);
    assert.ok(!cpu.includes('hv-evmcs=on'), 'no evmcs: the guest is not given VMX');
    assert.deepEqual(valuesOf(argv, '-tpmdev'), ['emulator,id=tpm-tpm0,chardev=chrtpm']);
    assert.ok(valuesOf(argv, '-chardev').includes(`socket,id=chrtpm,path=${RUN}/swtpm.sock`));
    assert.ok(valuesOf(argv, '-device').includes('tpm-crb,tpmdev=tpm-tpm0,id=tpm0'));
    assert.deepEqual(valuesOf(argv, '-rtc'), ['base=localtime,driftfix=slew']);

    const domain = parseDomain(buildDomainXml(plan));
    assert.deepEqual(attrs(one(domain, 'os/loader')), { readonly: 'yes', secure: 'yes', type: 'pflash' });
    assert.equal(one(domain, 'os/loader').textContent, OVMF_FILES.secureBoot.code);
    assert.deepEqual(attrs(one(domain, 'os/nvram')), { template: OVMF_FILES.secureBoot.varsTemplate });
    assert.deepEqual(attrs(one(domain, 'features/smm')), { state: 'on' });
    assert.equal(all(domain, 'features/hyperv').length, 1);
    const hyperv = all(domain, 'features/hyperv')[0]!;
    assert.deepEqual(HYPERV.map((entry) => attrs(one(hyperv, entry.libvirt))), HYPERV.map((entry) => ({ state: 'on', ...entry.attrs })));
    assert.equal(one(domain, 'clock').getAttribute('offset'), 'localtime');
    assert.ok(all(domain, 'clock/timer').some((timer) => timer.getAttribute('name') === 'hypervclock' && timer.getAttribute('present') === 'yes'));
    assert.deepEqual(attrs(one(domain, 'devices/tpm')), { model: 'tpm-crb' });
    assert.deepEqual(attrs(one(domain, 'devices/tpm/backend')), { type: 'emulator', version: '2.0' });
  });

  it('enlightenments only under KVM; evmcs only for an Intel guest given VMX', () => {
    const tcg = qemuPlan(qemuSpec({ accel: 'tcg', cpu: { model: 'max' }, guest: WINDOWS }));
    assert.doesNotMatch(valuesOf(buildQemuArgs(tcg, { runDir: RUN }), '-cpu')[0]!, /hv-/);
    assert.doesNotMatch(buildDomainXml(tcg), /hyperv/);
    const nested = (vendor: 'intel' | 'amd') => valuesOf(buildQemuArgs(qemuPlan(qemuSpec({ cpu: { features: ['+vmx'] }, guest: WINDOWS }), { vendor }), { runDir: RUN }), '-cpu')[0]!;
    assert.match(nested('intel'), /,hv-evmcs=on/);
    assert.doesNotMatch(nested('amd'), /evmcs/);
    assert.match(buildDomainXml(qemuPlan(qemuSpec({ cpu: { features: ['+vmx'] }, guest: WINDOWS }), { vendor: 'intel' })), /<evmcs state="on"\/>/);
  });

  it('Linux keeps BIOS, no TPM, UTC; plain UEFI has no SMM lock', () => {
    const bios = buildQemuArgs(qemuPlan(qemuSpec()), { runDir: RUN });
    assert.ok(!bios.includes('-tpmdev') && !bios.some((arg) => /pflash|hv-/.test(arg)));
    assert.deepEqual(valuesOf(bios, '-rtc'), ['base=utc,driftfix=slew']);
    const uefi = qemuPlan(qemuSpec({ guest: { firmware: 'uefi' } }));
    const argv = buildQemuArgs(uefi, { runDir: RUN });
    assert.ok(!valuesOf(argv, '-machine')[0]!.includes('smm='));
    assert.ok(!valuesOf(argv, '-global').some((value) => value.includes('cfi.pflash01')));
    assert.ok(valuesOf(argv, '-blockdev').includes(`driver=file,node-name=fw-code-file,filename=${OVMF_FILES.plain.code},read-only=on`));
    const domain = parseDomain(buildDomainXml(uefi));
    assert.equal(one(domain, 'os/loader').getAttribute('secure'), 'no');
    assert.equal(all(domain, 'features/smm').length, 0);
  });

  it('hostile state and run dirs: ",," for QEMU, only fixed relative names for swtpm', () => {
    const plan = qemuPlan(qemuSpec({ guest: WINDOWS }));
    const argv = buildQemuArgs(plan, { runDir: '/tmp/r,x=y', stateDir: '/tmp/s,id=evil' });
    assert.ok(valuesOf(argv, '-blockdev').includes('driver=file,node-name=fw-vars-file,filename=/tmp/s,,id=evil/uefi-vars.fd,read-only=off'));
    assert.ok(valuesOf(argv, '-chardev').includes('socket,id=chrtpm,path=/tmp/r,,x=y/swtpm.sock'));
    assert.ok(buildSwtpmArgs().every((arg) => !arg.includes('/')), 'swtpm gets no path (it has no escape for ",")');
    assert.match(vmStateDir('a b', { uid: 1000, env: { HOME: '/home/u' } }), /^\/home\/u\/\.local\/state\/kvm-tui\/vms\/a-b-/);
    assert.match(vmStateDir('a b', { uid: 0 }), /^\/var\/lib\/kvm-tui\/vms\/a-b-/);
  });

  it('a hand-made plan with secure boot off q35 or without UEFI is refused by both generators', () => {
    const pc = qemuPlan(qemuSpec({ machine: 'pc', guest: WINDOWS }));
    assert.deepEqual(checkPlanForQemu(pc).map((problem) => problem.code), ['secure-boot-needs-q35']);
    assert.throws(() => buildDomainXml(pc), /q35/);
    const bios = qemuPlan(qemuSpec({ guest: { ...WINDOWS, firmware: 'bios' } }));
    assert.deepEqual(checkPlanForQemu(bios).map((problem) => problem.code), ['secure-boot-needs-uefi']);
  });

  it('launch names what the host lacks for the platform, with what to do', () => {
    const plan = qemuPlan(qemuSpec({ guest: WINDOWS }));
    const problems = guestStateProblems(plan, { PATH: '/nowhere' }, () => false);
    assert.deepEqual(problems.map((problem) => problem.message), [`UEFI firmware ${OVMF_FILES.secureBoot.code} is missing`, `UEFI firmware ${OVMF_FILES.secureBoot.varsTemplate} is missing`, 'the TPM needs swtpm, which is not on PATH']);
    assert.ok(problems.every((problem) => /apt-get install/.test(problem.hint)));
    assert.deepEqual(guestStateProblems(qemuPlan(qemuSpec()), { PATH: '/nowhere' }, () => false), []);
  });
});
