/**
 * A bounded log of one room's entries, addressed by sequence number. Holds the newest `capacity`
 * entries; older ones are overwritten, which a reader sees as a gap.
 */
export class RingLog<T extends { readonly seq: number }> {
  readonly #slots: (T | undefined)[];
  #head = 0; // seq of the newest entry, 0 when empty

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.#slots = new Array<T | undefined>(capacity);
  }

  get head(): number {
    return this.#head;
  }

  /** Oldest seq still held (head + 1 when empty). */
  get oldest(): number {
    return Math.max(1, this.#head - this.capacity + 1);
  }

  /** Appends the entry whose seq must be head + 1. */
  push(entry: T): void {
    if (entry.seq !== this.#head + 1) throw new RangeError(`expected seq ${this.#head + 1}, got ${entry.seq}`);
    this.#slots[(entry.seq - 1) % this.capacity] = entry;
    this.#head = entry.seq;
  }

  /**
   * Entries with seq > cursor, oldest first, at most `limit`. `gap` is true when some entries after the
   * cursor were already overwritten (the reader lost them).
   */
  after(cursor: number, limit = Infinity): { entries: T[]; gap: boolean } {
    const first = Math.max(cursor + 1, this.oldest);
    const last = Math.min(this.#head, first + limit - 1);
    const entries: T[] = [];
    for (let seq = first; seq <= last; seq++) entries.push(this.#slots[(seq - 1) % this.capacity] as T);
    return { entries, gap: first > cursor + 1 && this.#head > cursor };
  }
}
