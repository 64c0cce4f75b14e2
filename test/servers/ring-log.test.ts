import { describe, expect, it } from 'vitest';
import { RingLog } from '../../servers/ring-log.ts';

const filled = (capacity: number, count: number): RingLog<{ seq: number }> => {
  const log = new RingLog<{ seq: number }>(capacity);
  for (let seq = 1; seq <= count; seq++) log.push({ seq });
  return log;
};
const seqs = (entries: { seq: number }[]): number[] => entries.map((e) => e.seq);

describe('#RingLog', () => {
  it('starts empty: head 0, nothing after any cursor, no gap', () => {
    const log = new RingLog<{ seq: number }>(4);
    expect(log.head).toBe(0);
    expect(log.oldest).toBe(1);
    expect(log.after(0)).toEqual({ entries: [], gap: false });
  });

  it('returns the entries after a cursor, oldest first', () => {
    const log = filled(8, 5);
    expect(log.head).toBe(5);
    expect(seqs(log.after(0).entries)).toEqual([1, 2, 3, 4, 5]);
    expect(seqs(log.after(3).entries)).toEqual([4, 5]);
    expect(log.after(5).entries).toEqual([]);
  });

  it('returns nothing for a cursor ahead of the head', () => {
    expect(filled(8, 5).after(99)).toEqual({ entries: [], gap: false });
  });

  it('caps the answer at the limit, from the cursor on', () => {
    const log = filled(8, 8);
    expect(seqs(log.after(2, 3).entries)).toEqual([3, 4, 5]);
  });

  it('keeps only the newest `capacity` entries and reports a gap to a reader behind them', () => {
    const log = filled(4, 10);
    expect(log.oldest).toBe(7);
    expect(log.after(2)).toEqual({ entries: [{ seq: 7 }, { seq: 8 }, { seq: 9 }, { seq: 10 }], gap: true });
    // A reader right at the edge lost nothing.
    expect(log.after(6).gap).toBe(false);
    expect(seqs(log.after(6).entries)).toEqual([7, 8, 9, 10]);
  });

  it('reports no gap to a reader that is up to date, however old the log', () => {
    expect(filled(4, 10).after(10).gap).toBe(false);
  });

  it('refuses an entry out of sequence', () => {
    const log = filled(4, 2);
    expect(() => log.push({ seq: 4 })).toThrow(/expected seq 3/);
    expect(() => log.push({ seq: 2 })).toThrow(RangeError);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RingLog(0)).toThrow(RangeError);
    expect(() => new RingLog(1.5)).toThrow(/positive integer/);
  });

  it('with a byte budget keeps the newest entries that fit, the newest always, and reports the gap', () => {
    const log = new RingLog<{ seq: number; size: number }>(100, { maxBytes: 10, sizeOf: (e) => e.size });
    for (let seq = 1; seq <= 5; seq++) log.push({ seq, size: 3 });
    // 3 entries are 9 bytes, a fourth would be 12.
    expect(log.oldest).toBe(3);
    expect(log.bytes).toBe(9);
    expect(log.after(1)).toEqual({ entries: [{ seq: 3, size: 3 }, { seq: 4, size: 3 }, { seq: 5, size: 3 }], gap: true });
    log.push({ seq: 6, size: 50 });
    expect(log.oldest).toBe(6);
    expect(log.bytes).toBe(50);
    expect(log.after(5)).toEqual({ entries: [{ seq: 6, size: 50 }], gap: false });
  });

  it('with a byte budget still drops by capacity first, and counts what it dropped', () => {
    const log = new RingLog<{ seq: number }>(3, { maxBytes: 1_000, sizeOf: () => 10 });
    for (let seq = 1; seq <= 7; seq++) log.push({ seq });
    expect(log.oldest).toBe(5);
    expect(log.bytes).toBe(30);
  });
});
