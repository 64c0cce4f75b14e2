import type { FeedMessage } from './message.ts';

/**
 * Binary message codec for transports that carry binary frames (ws). Fixed layout, big-endian:
 *
 *   offset  size  field
 *   0       1     kind: 0x01 = feed message
 *   1       1     L: room length in bytes (1–64; rooms are ASCII)
 *   2       6     seq, unsigned 48-bit integer
 *   8       8     ts, float64, µs on the shared monotonic clock
 *   16      8     at, float64, µs
 *   24      L     room, ASCII
 *   24+L    …     payload bytes (the rest of the frame)
 *
 * The header is 24 + L bytes; the payload travels raw instead of base64.
 */

export const BINARY_KIND_MESSAGE = 0x01;
export const BINARY_HEADER_BYTES = 24;
const MAX_SEQ = 2 ** 48 - 1;

export interface BinaryMessage {
  seq: number;
  room: string;
  ts: number;
  at: number;
  payload: Buffer;
}

export function encodeBinaryFrame(message: Pick<FeedMessage, 'seq' | 'room' | 'ts' | 'at'>, payload: Buffer): Buffer {
  const roomLength = Buffer.byteLength(message.room, 'latin1');
  if (roomLength < 1 || roomLength > 255) throw new RangeError(`room length must be 1-255 bytes, got ${roomLength}`);
  if (!Number.isSafeInteger(message.seq) || message.seq < 0 || message.seq > MAX_SEQ) throw new RangeError(`seq out of range: ${message.seq}`);
  const frame = Buffer.allocUnsafe(BINARY_HEADER_BYTES + roomLength + payload.length);
  frame[0] = BINARY_KIND_MESSAGE;
  frame[1] = roomLength;
  frame.writeUIntBE(message.seq, 2, 6);
  frame.writeDoubleBE(message.ts, 8);
  frame.writeDoubleBE(message.at, 16);
  frame.write(message.room, BINARY_HEADER_BYTES, 'latin1');
  payload.copy(frame, BINARY_HEADER_BYTES + roomLength);
  return frame;
}

/** Decodes a frame; the payload is a view into `frame`, not a copy. Throws a RangeError on a malformed frame. */
export function decodeBinaryFrame(frame: Buffer): BinaryMessage {
  if (frame.length < BINARY_HEADER_BYTES + 1) throw new RangeError(`binary frame too short: ${frame.length} bytes`);
  if (frame[0] !== BINARY_KIND_MESSAGE) throw new RangeError(`unknown binary frame kind 0x${frame[0].toString(16)}`);
  const roomLength = frame[1];
  if (roomLength < 1 || frame.length < BINARY_HEADER_BYTES + roomLength) throw new RangeError(`binary frame room length ${roomLength} does not fit`);
  return {
    seq: frame.readUIntBE(2, 6),
    ts: frame.readDoubleBE(8),
    at: frame.readDoubleBE(16),
    room: frame.toString('latin1', BINARY_HEADER_BYTES, BINARY_HEADER_BYTES + roomLength),
    payload: frame.subarray(BINARY_HEADER_BYTES + roomLength),
  };
}

/** The FeedMessage a text transport would have carried for the same frame (payload as base64). */
export function binaryToFeedMessage(decoded: BinaryMessage): FeedMessage {
  return { seq: decoded.seq, room: decoded.room, ts: decoded.ts, at: decoded.at, payload: decoded.payload.toString('base64'), enc: 'base64' };
}
