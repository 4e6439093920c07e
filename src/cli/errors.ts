/**
 * How the command line ends. A gate's exit code is the interface CI scripts branch on, so every
 * failure has one meaning: a regression is never confused with a typo or a missing run.
 */
export const EXIT = {
  /** Done; a gate holds. */
  ok: 0,
  /** A gate does not hold (a regression); for other commands, part of the work failed. */
  failed: 1,
  /** The command line is wrong: an unknown flag, a bad value, a filter that does not parse. */
  usage: 2,
  /** A run, a model, an alias, a metric or the store itself is not there. */
  missing: 3,
  /** Something else went wrong: an unreadable store, no Python for the registry, a refused change. */
  error: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one message and an exit code, never as a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

export function missing(message: string): CliError {
  return new CliError(message, EXIT.missing);
}
