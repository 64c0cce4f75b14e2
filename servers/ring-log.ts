/**
 * A bounded log of one room's entries, addressed by sequence number. Holds the newest `capacity` entries, and
 * with a byte budget no more of them than fit in it (the newest always stays); older ones are overwritten or
 * dropped, which a reader sees as a gap.
 */
export interface ByteBudget<T> {
  /** Most bytes the entries may hold together. */
  readonly maxBytes: number;
  /** What one entry holds, bytes. */
  readonly sizeOf: (entry: T) => number;
}

export class RingLog<T extends { readonly seq: number }> {
  readonly #slots: (T | undefined)[];
  readonly #budget: ByteBudget<T> | undefined;
  #head = 0; // seq of the newest entry, 0 when empty
  #oldest = 1; // seq of the oldest entry held, head + 1 when empty
  #bytes = 0;

  constructor(
    readonly capacity: number,
    budget?: ByteBudget<T>,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    if (budget !== undefined && !(budget.maxBytes > 0)) throw new RangeError(`maxBytes must be above 0, got ${budget.maxBytes}`);
    this.#slots = new Array<T | undefined>(capacity);
    this.#budget = budget;
  }

  get head(): number {
    return this.#head;
  }

  /** Oldest seq still held (head + 1 when empty). */
  get oldest(): number {
    return this.#oldest;
  }

  /** Bytes the entries held take, by the budget's measure (0 without a budget). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends the entry whose seq must be head + 1. */
  push(entry: T): void {
    if (entry.seq !== this.#head + 1) throw new RangeError(`expected seq ${this.#head + 1}, got ${entry.seq}`);
    if (this.#head - this.#oldest + 1 === this.capacity) this.#dropOldest();
    this.#slots[(entry.seq - 1) % this.capacity] = entry;
    this.#head = entry.seq;
    if (this.#budget === undefined) return;
    this.#bytes += this.#budget.sizeOf(entry);
    while (this.#bytes > this.#budget.maxBytes && this.#oldest < this.#head) this.#dropOldest();
  }

  /**
   * Forgets every entry and makes `head` the last seq, so the next entry pushed is head + 1: a replica that
   * missed entries (they were trimmed from the shared log before it read them) goes on from where the log is.
   */
  restartAt(head: number): void {
    if (!Number.isInteger(head) || head < 0) throw new RangeError(`head must be a non-negative integer, got ${head}`);
    this.#slots.fill(undefined);
    this.#head = head;
    this.#oldest = head + 1;
    this.#bytes = 0;
  }

  /**
   * Entries with seq > cursor, oldest first, at most `limit`. `gap` is true when some entries after the
   * cursor were already dropped (the reader lost them).
   */
  after(cursor: number, limit = Infinity): { entries: T[]; gap: boolean } {
    const first = Math.max(cursor + 1, this.#oldest);
    const last = Math.min(this.#head, first + limit - 1);
    const entries: T[] = [];
    for (let seq = first; seq <= last; seq++) entries.push(this.#slots[(seq - 1) % this.capacity] as T);
    return { entries, gap: first > cursor + 1 && this.#head > cursor };
  }

  #dropOldest(): void {
    const index = (this.#oldest - 1) % this.capacity;
    if (this.#budget !== undefined) this.#bytes -= this.#budget.sizeOf(this.#slots[index] as T);
    this.#slots[index] = undefined;
    this.#oldest++;
  }
}
