/**
 * A plan's QEMU argv and pin script, refused exactly where generateAll (index.ts) refuses the plan:
 * the QEMU argv's checks and the domain XML's checks both, in that order. A command that prints
 * one format gets the same refusals as one that builds all three, without loading the XML builder
 * (libvirt-xml.ts and xmlbuilder2, most of `generate`'s start-up otherwise) where no XML is printed.
 */
import type { Plan } from '../spec/types.js';
import { DomainXmlError, findPlanXmlProblems } from './domain-xml-checks.js';
import { buildPinScript } from './pin-script.js';
import { buildQemuArgs, type QemuArgsOptions } from './qemu-argv.js';

export interface CheckedOutputs {
  argv: string[];
  script: string;
}

/** Throws QemuArgsError or DomainXmlError (both list every problem) when the plan cannot be generated. */
export function generateChecked(plan: Plan, opts: QemuArgsOptions): CheckedOutputs {
  const argv = buildQemuArgs(plan, { runDir: opts.runDir, stateDir: opts.stateDir, qemuBinary: opts.qemuBinary, target: opts.target });
  const problems = findPlanXmlProblems(plan);
  if (problems.length > 0) throw new DomainXmlError(problems);
  const script = buildPinScript(plan, { runDir: opts.runDir });
  return { argv, script };
}
