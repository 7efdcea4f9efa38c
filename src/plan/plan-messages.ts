/**
 * The warnings and errors one planning run collects. Every step of planning reports through the
 * same collector, so the order of a Plan's messages is the order the steps ran in.
 */
import type { PlanMessage } from '../spec/types.js';
import type { PlanErrorCode, PlanWarningCode } from './codes.js';

export interface PlanMessages {
  readonly warnings: PlanMessage[];
  readonly errors: PlanMessage[];
  /** Records a warning: the plan is made, but the user should know this. */
  warn(code: PlanWarningCode, message: string): void;
  /** Records an error: the plan cannot be made as asked. */
  fail(code: PlanErrorCode, message: string): void;
}

/** A fresh collector for one plan. */
export function createPlanMessages(): PlanMessages {
  const warnings: PlanMessage[] = [];
  const errors: PlanMessage[] = [];
  return {
    warnings,
    errors,
    warn(code, message) {
      // One message per code and text: the same fact found twice is said once.
      if (!warnings.some((entry) => entry.code === code && entry.message === message)) warnings.push({ code, message });
    },
    fail(code, message) {
      errors.push({ code, message });
    },
  };
}
