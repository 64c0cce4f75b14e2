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

/** The smallest pool, bytes: 1 MiB, 32 times deflate's window. */
const POOL_MIN_BYTES = 1 << 20;

const SOURCES = new Map<string, PayloadSource>();

export class PayloadSource {
  readonly #text: string;
  readonly #bytes: Buffer;

  /**
   * Builds a pool of random characters (and bytes); each payload is a window into it chosen by room and seq.
   * The pool is at least POOL_MIN_BYTES and each window starts at a hashed place in it, so a compressor with
   * context takeover (ws --ws-deflate, a 32 KiB window) seldom finds an earlier copy of a payload among the
   * messages it remembers (a few % of messages share part of one) and compresses it as the random text it is.
   * With a pool of twice the payload and windows 7,919 apart, as before, it found most of every payload.
   */
  constructor(readonly size: number, readonly seed: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`payload size must be a non-negative integer, got ${size}`);
    const random = mulberry32(seed);
    let text = '';
    const poolLength = Math.max(POOL_MIN_BYTES, size * 2);
    for (let i = 0; i < poolLength; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
    this.#text = text;
    this.#bytes = Buffer.alloc(poolLength);
    for (let i = 0; i < poolLength; i++) this.#bytes[i] = Math.floor(random() * 256);
  }

  /** One source per size and seed in this process: building a pool takes ~0.1 s, a schedule should not wait on it twice. */
  static of(size: number, seed: number): PayloadSource {
    const key = `${size}/${seed}`;
    let source = SOURCES.get(key);
    if (!source) SOURCES.set(key, (source = new PayloadSource(size, seed)));
    return source;
  }

  #offset(room: string, seq: number): number {
    // A 32-bit mix of room and seq (murmur3's finaliser), so successive windows land far apart.
    let h = (hashString(room) ^ Math.imul(seq, 0x9e3779b1)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h = (h ^ (h >>> 16)) >>> 0;
    return h % (this.#text.length - this.size + 1);
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
