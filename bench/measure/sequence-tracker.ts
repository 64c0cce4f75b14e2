/**
 * Loss accounting for one client from sequence numbers alone (seq is 1, 2, 3 … per room, no gaps):
 * duplicates and reordering as they arrive, loss against the seqs the client should have received.
 * Seen seqs are kept in a bitmap, so a client costs one bit per message, not a Set entry.
 */

export interface DeliveryCounts {
  /** Deliveries the client should have had. */
  expected: number;
  /** Distinct expected seqs it received. */
  delivered: number;
  /** expected − delivered. */
  lost: number;
  /** Receipts of a seq already received. */
  duplicated: number;
  /** Receipts of a new seq lower than one already received. */
  outOfOrder: number;
}

/** The seqs a client should receive: a contiguous range (a ScheduleReport's) or an explicit set (publishers' acks). */
export type ExpectedSeqs = { firstSeq: number; lastSeq: number } | ReadonlySet<number>;

export type Observation = 'new' | 'duplicate' | 'out-of-order';

export class SequenceTracker {
  #bits = new Uint8Array(0);
  /** Seq of bit 0 of the bitmap (set by the first observation). */
  #base = -1;
  #highest = -Infinity;
  #duplicated = 0;
  #outOfOrder = 0;
  #distinct = 0;

  /** Records one receipt of `seq`. */
  observe(seq: number): Observation {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`seq must be a non-negative integer, got ${seq}`);
    if (this.#base < 0) this.#base = seq;
    if (seq < this.#base) this.#rebase(seq);
    const offset = seq - this.#base;
    const byte = offset >>> 3;
    if (byte >= this.#bits.length) this.#grow(byte + 1);
    const mask = 1 << (offset & 7);
    if (this.#bits[byte] & mask) {
      this.#duplicated++;
      return 'duplicate';
    }
    this.#bits[byte] |= mask;
    this.#distinct++;
    if (seq < this.#highest) {
      this.#outOfOrder++;
      return 'out-of-order';
    }
    this.#highest = seq;
    return 'new';
  }

  has(seq: number): boolean {
    if (this.#base < 0 || seq < this.#base) return false;
    const offset = seq - this.#base;
    const byte = offset >>> 3;
    return byte < this.#bits.length && (this.#bits[byte] & (1 << (offset & 7))) !== 0;
  }

  /** Distinct seqs received, expected or not. */
  get distinct(): number {
    return this.#distinct;
  }

  /** The counts against `expected`; seqs received outside it count for duplicates and reordering only. */
  count(expected: ExpectedSeqs): DeliveryCounts {
    let total = 0;
    let delivered = 0;
    if (expected instanceof Set) {
      total = expected.size;
      for (const seq of expected as ReadonlySet<number>) if (this.has(seq)) delivered++;
    } else {
      const { firstSeq, lastSeq } = expected as { firstSeq: number; lastSeq: number };
      total = Math.max(0, lastSeq - firstSeq + 1);
      for (let seq = firstSeq; seq <= lastSeq; seq++) if (this.has(seq)) delivered++;
    }
    return { expected: total, delivered, lost: total - delivered, duplicated: this.#duplicated, outOfOrder: this.#outOfOrder };
  }

  #grow(minBytes: number): void {
    const next = new Uint8Array(Math.max(minBytes, this.#bits.length * 2, 64));
    next.set(this.#bits);
    this.#bits = next;
  }

  /** Moves the base down to `seq` (a seq older than the first one seen: rare, so rebuilt bit by bit). */
  #rebase(seq: number): void {
    const old = this.#bits;
    const shift = this.#base - seq;
    this.#bits = new Uint8Array(old.length + (shift >>> 3) + 1);
    for (let i = 0; i < old.length * 8; i++) {
      if (old[i >>> 3] & (1 << (i & 7))) this.#bits[(i + shift) >>> 3] |= 1 << ((i + shift) & 7);
    }
    this.#base = seq;
  }
}

/** Sums the counts of several clients (or repeats). */
export function sumDelivery(counts: readonly DeliveryCounts[]): DeliveryCounts {
  const sum: DeliveryCounts = { expected: 0, delivered: 0, lost: 0, duplicated: 0, outOfOrder: 0 };
  for (const c of counts) {
    sum.expected += c.expected;
    sum.delivered += c.delivered;
    sum.lost += c.lost;
    sum.duplicated += c.duplicated;
    sum.outOfOrder += c.outOfOrder;
  }
  return sum;
}
