import { mulberry32 } from '../protocol/mulberry32.ts';
/**
 * Deterministic payloads: the same seed, room and sequence number give the same bytes in every process,
 * so two servers started with the same settings emit the same feed.
 */


/** FNV-1a, to turn a room name into a number. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// Characters that need no escaping in JSON, URLs or HTML, so a payload of S characters is S bytes on every wire.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class PayloadSource {
  readonly #text: string;
  readonly #bytes: Buffer;

  /** Builds a pool twice the payload size; each payload is a window into it chosen by room and seq. */
  constructor(readonly size: number, readonly seed: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`payload size must be a non-negative integer, got ${size}`);
    const random = mulberry32(seed);
    let text = '';
    const poolLength = Math.max(1, size * 2);
    for (let i = 0; i < poolLength; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
    this.#text = text;
    this.#bytes = Buffer.alloc(poolLength);
    for (let i = 0; i < poolLength; i++) this.#bytes[i] = Math.floor(random() * 256);
  }

  #offset(room: string, seq: number): number {
    return (hashString(room) + seq * 7919) % Math.max(1, this.size);
  }

  text(room: string, seq: number): string {
    const start = this.#offset(room, seq);
    return this.#text.slice(start, start + this.size);
  }

  bytes(room: string, seq: number): Buffer {
    const start = this.#offset(room, seq);
    return this.#bytes.subarray(start, start + this.size);
  }
}
