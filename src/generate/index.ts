/**
 * Every artefact `generate` can produce for one plan, checked together: a plan either yields a
 * QEMU argv, a libvirt domain XML and a pin script that all describe the same VM, or nothing.
 */
import type { Plan } from '../spec/types.js';
import { buildDomainXml } from './libvirt-xml.js';
import { buildPinScript } from './pin-script.js';
import { buildQemuArgs, type QemuArgsOptions } from './qemu-argv.js';

export interface GenerateOptions extends QemuArgsOptions {
  /** `<emulator>` path for the libvirt XML (libvirt wants an absolute path). */
  emulatorBinary?: string;
  /** See DomainXmlOptions.serialLog. */
  serialLog?: boolean;
}

export interface GeneratedVm {
  argv: string[];
  xml: string;
  script: string;
  plan: Plan;
}

/** Throws QemuArgsError or DomainXmlError (both list every problem) when the plan cannot be generated. */
export function generateAll(plan: Plan, opts: GenerateOptions): GeneratedVm {
  const argv = buildQemuArgs(plan, { runDir: opts.runDir, stateDir: opts.stateDir, qemuBinary: opts.qemuBinary, target: opts.target });
  const xml = buildDomainXml(plan, {
    ...(opts.emulatorBinary === undefined ? {} : { emulatorBinary: opts.emulatorBinary }),
    ...(opts.serialLog === undefined ? {} : { serialLog: opts.serialLog }),
    ...(opts.target === undefined ? {} : { target: opts.target }),
  });
  const script = buildPinScript(plan, { runDir: opts.runDir });
  return { argv, xml, script, plan };
}
