import { BINARY_HEADER_BYTES } from '../../protocol/binary-frame.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { BinaryCarriage } from '../../protocol/transports.ts';

/**
 * The payload / envelope split of a delivered message, the two parts of "bytes per message" that do not
 * depend on the transport.
 * - payload: the payload's own bytes (for a binary feed, the decoded bytes, not their base64 text);
 * - envelope: the message's own fields (seq, room, timestamps) as they travel. As JSON, the UTF-8 length of
 *   `JSON.stringify(message)` minus the payload text's own length: the keys, seq, room, timestamps,
 *   punctuation and the payload's quotes. A binary payload in our binary frame (ws) travels with a
 *   24 + room-length byte header instead; as a Socket.IO attachment, with the JSON fields but no `"enc"`.
 * The transport part is the rest: total wire bytes per message − payload − envelope (HTTP headers, frame
 * headers, protocol prefixes, empty polls, heartbeats, base64 growth of binary payloads, Socket.IO's
 * attachment placeholder).
 */

export interface MessageBytes {
  payload: number;
  envelope: number;
}

// Characters that JSON escapes or that take more than one UTF-8 byte: such payloads take the slow path.
const NEEDS_CARE = /["\\\u0000-\u001f\u007f-\uffff]/;

const numberLength = (n: number): number => String(n).length;

const ENC_FIELD = ',"enc":"base64"'.length;

/**
 * The split for one message as `carriage` carries a binary payload (a text payload is always JSON); equal to
 * measuring JSON.stringify(message) but without building the string.
 */
export function messageBytes(message: FeedMessage, carriage: BinaryCarriage = 'base64'): MessageBytes {
  const split = jsonMessageBytes(message);
  if (message.enc !== 'base64' || carriage === 'base64') return split;
  if (carriage === 'frame') return { payload: split.payload, envelope: BINARY_HEADER_BYTES + Buffer.byteLength(message.room, 'latin1') };
  return { payload: split.payload, envelope: split.envelope - ENC_FIELD };
}

function jsonMessageBytes(message: FeedMessage): MessageBytes {
  const keys = Object.keys(message);
  const canonical = keys.length === (message.enc === undefined ? 5 : 6) && keys[0] === 'seq' && keys[1] === 'room' && keys[2] === 'ts' && keys[3] === 'at' && keys[4] === 'payload';
  if (!canonical || NEEDS_CARE.test(message.payload) || NEEDS_CARE.test(message.room)) return slowMessageBytes(message);
  const payloadText = message.payload.length;
  // {"seq":N,"room":"R","ts":T,"at":A,"payload":"P"} plus ,"enc":"base64" before the brace when binary.
  const json =
    '{"seq":'.length + numberLength(message.seq) +
    ',"room":""'.length + message.room.length +
    ',"ts":'.length + numberLength(message.ts) +
    ',"at":'.length + numberLength(message.at) +
    ',"payload":""'.length + payloadText +
    (message.enc === undefined ? 0 : ENC_FIELD) +
    '}'.length;
  return { payload: payloadBytes(message), envelope: json - payloadText };
}

function slowMessageBytes(message: FeedMessage): MessageBytes {
  const json = Buffer.byteLength(JSON.stringify(message));
  const payloadText = Buffer.byteLength(message.payload);
  return { payload: payloadBytes(message), envelope: json - payloadText };
}

function payloadBytes(message: FeedMessage): number {
  if (message.enc === 'base64') return Buffer.byteLength(message.payload, 'base64');
  return Buffer.byteLength(message.payload);
}

/** Sums the split over the messages a set of clients delivered; `average()` is the per-message figure. */
export class MessageBytesAccumulator {
  #payload = 0;
  #envelope = 0;
  #count = 0;

  /** @param carriage how the transport carries binary payloads (protocol/transports.ts) */
  constructor(readonly carriage: BinaryCarriage = 'base64') {}

  add(message: FeedMessage): void {
    const split = messageBytes(message, this.carriage);
    this.#payload += split.payload;
    this.#envelope += split.envelope;
    this.#count++;
  }

  merge(other: MessageBytesAccumulator): void {
    const avg = other.average();
    this.#payload += avg.payload * other.count;
    this.#envelope += avg.envelope * other.count;
    this.#count += other.count;
  }

  get count(): number {
    return this.#count;
  }

  /** Mean payload and envelope bytes per message (0 when nothing was added). */
  average(): MessageBytes {
    if (this.#count === 0) return { payload: 0, envelope: 0 };
    return { payload: this.#payload / this.#count, envelope: this.#envelope / this.#count };
  }
}

/** Bytes per delivered message: total wire bytes / messages, and the transport's part of it. */
export function bytesPerMessage(wireBytes: number, delivered: number, split: MessageBytes): { total: number; transport: number } {
  if (delivered <= 0) return { total: 0, transport: 0 };
  const total = wireBytes / delivered;
  return { total, transport: total - split.payload - split.envelope };
}
