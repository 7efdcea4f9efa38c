/**
 * The two kinds of error the CLI turns into exit codes. The bundled CLI loads its heavier
 * commands from a second embedded bundle with its own copies of these classes, so the entry
 * recognises them by their `kind` brand (isUsageError / isActionError), not by instanceof.
 */

/** Bad usage or bad input: the CLI prints the one-line message and exits 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  readonly kind = 'kvm-tui-usage';
}

/** A side effect failed; `hint` says what the user can do about it. */
export class ActionError extends Error {
  readonly kind = 'kvm-tui-action';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError || (error as { kind?: unknown } | null)?.kind === 'kvm-tui-usage';
}

export function isActionError(error: unknown): error is ActionError {
  return error instanceof ActionError || (error as { kind?: unknown } | null)?.kind === 'kvm-tui-action';
}
