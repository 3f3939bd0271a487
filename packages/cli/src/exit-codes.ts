// The CLI's exit codes and the error that carries one.

/** Exit codes of `lockstep`: stable, documented in the README. */
export const EXIT_CODES = Object.freeze({
  /** Done. */
  ok: 0,
  /** The name has no holders, waiters or keys (or a force release matched nothing). */
  notFound: 1,
  /** Bad command line: unknown command or option, bad value, missing `--force` or confirmation. */
  usage: 2,
  /** Redis could not be reached or did not answer. */
  unreachable: 3,
  /**
   * Unexpected: Redis returned what Lockstep did not write (another program's keys under the
   * prefix), or a bug (BSD's EX_SOFTWARE).
   */
  unexpected: 70,
});

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** An error that ends the command with `exitCode` and prints `message`. */
export class CliError extends Error {
  /**
   * @param exitCode - the process exit code
   * @param message - printed to stderr, prefixed with `lockstep: `
   */
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
