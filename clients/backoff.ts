/**
 * The one reconnect backoff of every client: the first retry after 50 ms, then doubling, at most 2 s apart,
 * with no jitter; back to 50 ms after a success. The drop and crash scenarios' reconnect times include it
 * (docs/method.md, "Reconnecting"); Socket.IO's client is given the same numbers.
 */
export const BACKOFF = Object.freeze({ firstMs: 50, factor: 2, maxMs: 2_000 });

export class Backoff {
  #attempt = 0;

  /** The delay before the next attempt, ms; each call counts one attempt. */
  take(): number {
    return Math.min(BACKOFF.maxMs, BACKOFF.firstMs * BACKOFF.factor ** this.#attempt++);
  }

  /** A connection succeeded: the next failure waits the first delay again. */
  reset(): void {
    this.#attempt = 0;
  }
}
