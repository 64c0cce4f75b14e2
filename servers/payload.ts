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

/** Seeds the bytes pool's stream apart from the letters' (any odd constant would do). */
const BYTES_SEED_MIX = 0x5bd1e995;

export class PayloadSource {
  readonly #text: string;
  #bytes: Buffer | undefined;

  /**
   * Builds a pool of random characters (and, on first use, one of random bytes); each payload is a window into
   * it chosen by room and seq.
   * The pool is at least POOL_MIN_BYTES and each window starts at a hashed place in it, so a compressor with
   * context takeover (ws --ws-deflate, a 32 KiB window) seldom finds an earlier copy of a payload among the
   * messages it remembers (a few % of messages share part of one) and compresses it as the random text it is.
   * With a pool of twice the payload and windows 7,919 apart, as before, it found most of every payload.
   */
  constructor(readonly size: number, readonly seed: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`payload size must be a non-negative integer, got ${size}`);
    const random = mulberry32(seed);
    const poolLength = Math.max(POOL_MIN_BYTES, size * 2);
    // The letters as bytes, decoded once into a flat string: appending a megabyte a character at a time took
    // 250-390 ms here, which a server building its first pool of a size mid-window spent blocking every client.
    const letters = Buffer.allocUnsafe(poolLength);
    for (let i = 0; i < poolLength; i++) letters[i] = ALPHABET.charCodeAt(Math.floor(random() * ALPHABET.length));
    this.#text = letters.toString('latin1');
  }

  /** The bytes pool, built on first use (binary payloads only) from a stream of its own, so text alone never pays for it. */
  #bytesPool(): Buffer {
    if (this.#bytes) return this.#bytes;
    const random = mulberry32((this.seed ^ BYTES_SEED_MIX) >>> 0);
    const pool = Buffer.allocUnsafe(this.#text.length);
    for (let i = 0; i < pool.length; i++) pool[i] = Math.floor(random() * 256);
    return (this.#bytes = pool);
  }

  /** One source per size and seed in this process: building a pool takes ~30 ms here, a schedule should not wait on it twice. */
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
    return this.#bytesPool().subarray(start, start + this.size);
  }
}
