/** Exit codes shared by every command; the README documents them. */
export const EXIT = {
  /** The command did what was asked and found nothing wrong. */
  OK: 0,
  /** The command ran and found a failure: errored benchmark steps, a regression. */
  FAILURE: 1,
  /** Bad usage or bad input: an unknown option, an invalid value, a missing or incompatible file. */
  USAGE: 2,
  /** Interrupted by Ctrl-C (SIGINT) or SIGTERM. */
  INTERRUPTED: 130,
} as const;
