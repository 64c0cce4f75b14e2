import type { ErrorBody } from '../protocol/message.ts';

/** How the clients word what a server refused, and any thrown value as an Error. */

/** An Error carrying the server's error code (an error frame, line or ack). */
export class ServerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'ServerError';
  }
}

/** The message of a JSON error answer, or the status line when the body is not one. */
export function errorMessage(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as Partial<ErrorBody>;
    if (typeof parsed.message === 'string') return `${status}: ${parsed.message}`;
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${status}`;
}

export const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
