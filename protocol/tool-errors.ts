/**
 * The tool's own error codes, one catalogue (the wire's codes, TB_ERR_*, are in error-codes.ts). Every
 * error the tool raises on purpose is a ToolError carrying one of these; docs/results-format.md, "Error codes", lists them.
 */
export const TOOL_ERRORS = {
  // Why a benchmark step failed: the code of its errored row in the results.
  /** The server process exited (crashed or was killed) while it was in use. */
  SERVER_EXITED: 'BENCH_ERR_SERVER_EXITED',
  /** The server process did not send its ready message in time, or exited before it. */
  SERVER_NOT_READY: 'BENCH_ERR_SERVER_NOT_READY',
  /** A request to the server process (schedule, stats, resource window …) failed inside it. */
  SERVER_REQUEST_FAILED: 'BENCH_ERR_SERVER_REQUEST',
  /** The step did not finish within stepTimeoutMs. */
  STEP_TIMEOUT: 'BENCH_ERR_STEP_TIMEOUT',
  /** A client could not connect to the server. */
  CONNECTION_REFUSED: 'BENCH_ERR_CONNECTION_REFUSED',
  /** The scenario threw (any other failure while measuring). */
  SCENARIO_FAILED: 'BENCH_ERR_SCENARIO_FAILED',
  /** The scenario named by the plan is not registered. */
  UNKNOWN_SCENARIO: 'BENCH_ERR_UNKNOWN_SCENARIO',
  /** The run was interrupted (Ctrl-C, SIGTERM) while this step ran. */
  INTERRUPTED: 'BENCH_ERR_INTERRUPTED',
  /** The step was planned but never started because the run was interrupted first. */
  NOT_RUN: 'BENCH_ERR_NOT_RUN',
  /** Summarising the repeats into metrics failed. */
  SUMMARY_FAILED: 'BENCH_ERR_SUMMARY_FAILED',
  /** The step cannot run as asked: raw TCP in a browser, or a scenario the browser runtime does not run yet. */
  NOT_APPLICABLE: 'BENCH_ERR_NOT_APPLICABLE',
  /**
   * The step needs a system package this machine lacks and the run was not asked for it by name: a profile's
   * browser steps without chromium, outside CI. Skipped, its row naming the install command.
   */
  SKIPPED: 'BENCH_ERR_SKIPPED',

  // Bad input to a command (exit code 2).
  /** A command-line option, a --config key or a server start option is unknown or out of range. */
  BAD_OPTION: 'BENCH_ERR_BAD_OPTION',
  /** `run --loss` on a machine that cannot emulate it (not root, no ip or iptables): nothing runs without it. */
  LOSS_UNSUPPORTED: 'BENCH_ERR_LOSS_UNSUPPORTED',
  /** `run --client-runtime browser` without Debian's chromium: nothing runs without the browser it was asked for. */
  BROWSER_UNAVAILABLE: 'BENCH_ERR_BROWSER_UNAVAILABLE',
  /** `run --feed redis` without Debian's redis-server, or a --feed Redis that does not answer: nothing runs without it. */
  REDIS_UNAVAILABLE: 'BENCH_ERR_REDIS_UNAVAILABLE',
  /** A thresholds file is missing, not JSON, or has a bad field. */
  BAD_THRESHOLDS: 'COMPARE_ERR_THRESHOLDS',
  /** A results file cannot be read. */
  RESULTS_MISSING: 'RESULTS_ERR_MISSING',
  /** A results file is not JSON (corrupt or truncated). */
  RESULTS_NOT_JSON: 'RESULTS_ERR_NOT_JSON',
  /** A results file has another schema version. */
  RESULTS_VERSION: 'RESULTS_ERR_VERSION',
  /** A results file is JSON of the wrong shape. */
  RESULTS_SHAPE: 'RESULTS_ERR_SHAPE',

  // Refusals inside a server (the client sees the wire code TB_ERR_TOO_MANY_ROOMS).
  /** Publishing to one room more than the feed's maxRooms. */
  FEED_TOO_MANY_ROOMS: 'FEED_ERR_TOO_MANY_ROOMS',
} as const;

export type ToolErrorCode = (typeof TOOL_ERRORS)[keyof typeof TOOL_ERRORS];

/** Codes that mean the user's input was wrong: a command exits 2 on them. */
export const INPUT_ERRORS: ReadonlySet<ToolErrorCode> = new Set([
  TOOL_ERRORS.BAD_OPTION,
  TOOL_ERRORS.LOSS_UNSUPPORTED,
  TOOL_ERRORS.BROWSER_UNAVAILABLE,
  TOOL_ERRORS.REDIS_UNAVAILABLE,
  TOOL_ERRORS.BAD_THRESHOLDS,
  TOOL_ERRORS.RESULTS_MISSING,
  TOOL_ERRORS.RESULTS_NOT_JSON,
  TOOL_ERRORS.RESULTS_VERSION,
  TOOL_ERRORS.RESULTS_SHAPE,
]);

const NOT_RUN_HERE: ReadonlySet<string> = new Set([TOOL_ERRORS.NOT_APPLICABLE, TOOL_ERRORS.SKIPPED]);

/** Whether a step errored with `code` was marked, not run, and does not fail the run: not applicable, or skipped on this machine. */
export const notRunHere = (code: string): boolean => NOT_RUN_HERE.has(code);

export class ToolError extends Error {
  constructor(
    readonly code: ToolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ToolError';
  }
}

/** Whether `error` is a ToolError with one of `codes` (any code when none is given). */
export function isToolError(error: unknown, ...codes: ToolErrorCode[]): error is ToolError {
  return error instanceof ToolError && (codes.length === 0 || codes.includes(error.code));
}
