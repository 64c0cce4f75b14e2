/**
 * The messages of the wire contract every server and client speaks: the feed message, publish requests
 * and acks, poll answers and error bodies. docs/protocol.md is the full statement.
 */

/** Room names: 1–64 characters of letters, digits, `_` and `-`, so they are safe in URLs, logs and HTML. */
export const ROOM_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
const roomRegExp = new RegExp(ROOM_PATTERN);
export function isValidRoom(value: unknown): value is string {
  return typeof value === 'string' && roomRegExp.test(value);
}

/**
 * One message of the feed.
 * - `seq`: its position in its room, 1, 2, 3 … with no gaps, so every client can count loss,
 *   duplicates and reordering from sequence numbers alone. A cursor is the last `seq` a client saw.
 * - `ts`: actual publish time, µs on the shared monotonic clock (see clock.ts).
 * - `at`: intended publish time on the open-loop schedule, µs; equal to `ts` for a message published
 *   on demand (POST /publish). Latency from `at` is coordinated-omission corrected; from `ts` it is not.
 * - `payload`: text, or base64 of the bytes when `enc` is 'base64' (binary payloads on text transports).
 */
export interface FeedMessage {
  seq: number;
  room: string;
  ts: number;
  at: number;
  payload: string;
  enc?: 'base64';
}

/** Publish request body, as accepted by `POST /publish` and by the ws, Socket.IO and TCP publish commands. */
export interface PublishRequest {
  room: string;
  payload: string;
}

/** Answer to a publish: the sequence number the message got in its room. */
export interface PublishAck {
  seq: number;
  room: string;
}

/** Shape of every 4xx answer and of error control frames. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
}

/** Long/short polling answer: messages after the cursor and the cursor to send next time. */
export interface PollResponse {
  messages: FeedMessage[];
  cursor: number;
  /** The log no longer held the messages right after the request's cursor. */
  gap?: true;
  /** The request's cursor was beyond the room's head (the server restarted): `cursor` starts over. */
  reset?: true;
}
