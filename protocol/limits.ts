/**
 * Limits every server applies, with their defaults and units. docs/protocol.md lists them for users.
 * They bound what one client can make the server hold, so a hostile or slow peer cannot exhaust memory.
 */
export interface Limits {
  /** Largest accepted HTTP request body (POST /publish), bytes. */
  bodyLimit: number;
  /** Largest payload in a publish request, bytes (characters of the payload string). */
  maxPayload: number;
  /** Largest ws frame a client may send, bytes (ws `maxPayload`); also Socket.IO `maxHttpBufferSize`. */
  wsMaxPayload: number;
  /** Most long polls held open at once; the next one gets 429 with a Retry-After. */
  maxLongPollWaiters: number;
  /** How long a long poll is held before it answers with no messages, ms. */
  longPollTimeoutMs: number;
  /** Most messages returned by one poll; the client polls again for the rest. */
  maxPollBatch: number;
  /** Longest line a raw TCP client may send, bytes (the newline included). */
  tcpMaxLine: number;
  /** Bytes queued for one slow client before the server drops it (ws bufferedAmount, TCP writableLength, …). */
  maxBufferedBytes: number;
  /** Longest an HTTP client may take to send a whole request, head and body, ms; then 408 (0: no bound). Held answers are not cut. */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  bodyLimit: 1_048_576, // 1 MiB
  maxPayload: 1_000_000,
  wsMaxPayload: 1_048_576,
  maxLongPollWaiters: 10_000,
  longPollTimeoutMs: 25_000,
  maxPollBatch: 1_000,
  tcpMaxLine: 1_048_576,
  maxBufferedBytes: 8_388_608, // 8 MiB
  requestTimeoutMs: 10_000,
});

export function resolveLimits(overrides: Partial<Limits> = {}): Readonly<Limits> {
  return Object.freeze({ ...DEFAULT_LIMITS, ...overrides });
}
