import { TOOL_ERRORS, ToolError } from '../../protocol/tool-errors.ts';

/** The `{ code, message }` of an errored row, whatever was thrown. */
export function toStepError(error: unknown): { code: string; message: string } {
  if (error instanceof ToolError) return { code: error.code, message: error.message };
  const err = error as (Error & { code?: unknown; cause?: unknown }) | undefined;
  const message = err instanceof Error ? err.message : String(error);
  // Sockets report refusal as ECONNREFUSED, sometimes wrapped (AggregateError, fetch's cause).
  const codes = [err?.code, (err?.cause as { code?: unknown } | undefined)?.code];
  if (err instanceof AggregateError) for (const inner of err.errors) codes.push((inner as { code?: unknown }).code);
  if (codes.includes('ECONNREFUSED') || /ECONNREFUSED/.test(message)) {
    return { code: TOOL_ERRORS.CONNECTION_REFUSED, message: message || 'connection refused' };
  }
  return { code: TOOL_ERRORS.SCENARIO_FAILED, message: message || 'the scenario failed without a message' };
}
