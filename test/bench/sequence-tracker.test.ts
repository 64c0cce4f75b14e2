import { describe, expect, it } from 'vitest';
import { SequenceTracker, sumDelivery } from '../../bench/measure/sequence-tracker.ts';

const track = (seqs: number[]) => {
  const t = new SequenceTracker();
  for (const s of seqs) t.observe(s);
  return t;
};

describe('#SequenceTracker', () => {
  it('counts nothing lost when every expected seq arrived in order', () => {
    expect(track([1, 2, 3, 4, 5]).count({ firstSeq: 1, lastSeq: 5 })).toEqual({ expected: 5, delivered: 5, lost: 0, duplicated: 0, outOfOrder: 0 });
  });

  it('counts gaps as lost', () => {
    expect(track([1, 2, 5]).count({ firstSeq: 1, lastSeq: 6 })).toMatchObject({ expected: 6, delivered: 3, lost: 3 });
  });

  it('counts a repeated seq as duplicated, not delivered twice', () => {
    const t = track([1, 2, 2, 3, 3, 3]);
    expect(t.count({ firstSeq: 1, lastSeq: 3 })).toMatchObject({ delivered: 3, lost: 0, duplicated: 3 });
  });

  it('counts a seq below the highest seen as out of order', () => {
    const t = track([1, 3, 2, 5, 4]);
    expect(t.observe(6)).toBe('new');
    expect(t.count({ firstSeq: 1, lastSeq: 6 })).toMatchObject({ delivered: 6, lost: 0, outOfOrder: 2, duplicated: 0 });
  });

  it('ignores seqs outside the expected range for delivery', () => {
    const t = track([8, 9, 10, 11, 12, 13]);
    expect(t.count({ firstSeq: 10, lastSeq: 12 })).toMatchObject({ expected: 3, delivered: 3, lost: 0 });
  });

  it('accepts the expected seqs as a set', () => {
    const t = track([2, 4, 6]);
    expect(t.count(new Set([2, 3, 4]))).toMatchObject({ expected: 3, delivered: 2, lost: 1 });
  });

  it('handles a seq older than the first one seen', () => {
    const t = track([1000, 1001, 3]);
    expect(t.has(3) && t.has(1000) && t.has(1001)).toBe(true);
    expect(t.has(999)).toBe(false);
    expect(t.count({ firstSeq: 1000, lastSeq: 1001 })).toMatchObject({ delivered: 2, outOfOrder: 1 });
  });

  it('keeps large ranges exact', () => {
    const t = new SequenceTracker();
    for (let s = 1; s <= 100_000; s++) if (s % 1000 !== 0) t.observe(s);
    expect(t.count({ firstSeq: 1, lastSeq: 100_000 })).toMatchObject({ delivered: 99_900, lost: 100 });
  });

  it('counts an empty range as nothing expected', () => {
    expect(track([1]).count({ firstSeq: 5, lastSeq: 4 })).toMatchObject({ expected: 0, lost: 0 });
  });

  it('rejects a negative seq', () => {
    expect(() => new SequenceTracker().observe(-1)).toThrow(RangeError);
  });
});

describe('#sumDelivery', () => {
  it('adds the counts of several clients', () => {
    const a = track([1, 2, 2]).count({ firstSeq: 1, lastSeq: 3 });
    const b = track([2, 1]).count({ firstSeq: 1, lastSeq: 2 });
    expect(sumDelivery([a, b])).toEqual({ expected: 5, delivered: 4, lost: 1, duplicated: 1, outOfOrder: 1 });
  });
});
