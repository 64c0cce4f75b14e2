/**
 * The harness's error catalogue: every reason a step can fail, with a stable code. An errored row in the
 * results carries one of these codes; docs/results-format.md lists them.
 */
export const BENCH_ERRORS = {
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
} as const;

export type BenchErrorCode = (typeof BENCH_ERRORS)[keyof typeof BENCH_ERRORS];

export class BenchError extends Error {
  constructor(
    readonly code: BenchErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BenchError';
  }
}

/** The `{ code, message }` of an errored row, whatever was thrown. */
export function toStepError(error: unknown): { code: string; message: string } {
  if (error instanceof BenchError) return { code: error.code, message: error.message };
  const err = error as (Error & { code?: unknown; cause?: unknown }) | undefined;
  const message = err instanceof Error ? err.message : String(error);
  // Sockets report refusal as ECONNREFUSED, sometimes wrapped (AggregateError, fetch's cause).
  const codes = [err?.code, (err?.cause as { code?: unknown } | undefined)?.code];
  if (err instanceof AggregateError) for (const inner of err.errors) codes.push((inner as { code?: unknown }).code);
  if (codes.includes('ECONNREFUSED') || /ECONNREFUSED/.test(message)) {
    return { code: BENCH_ERRORS.CONNECTION_REFUSED, message: message || 'connection refused' };
  }
  return { code: BENCH_ERRORS.SCENARIO_FAILED, message: message || 'the scenario failed without a message' };
}
