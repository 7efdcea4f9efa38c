/** Bad usage or bad input: the CLI prints the one-line message and exits 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** A side effect failed; `hint` says what the user can do about it. */
export class ActionError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
