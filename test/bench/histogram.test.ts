import { describe, expect, it } from 'vitest';
import { createHistogram, decodeHistogram, encodeHistogram, mergeHistograms, percentiles, recordUs } from '../../bench/measure/histogram.ts';

const filled = (from: number, to: number) => {
  const h = createHistogram();
  for (let v = from; v <= to; v++) recordUs(h, v);
  return h;
};

describe('#percentiles', () => {
  it('reads the percentiles of 1..1000 µs within 3 significant digits', () => {
    const p = percentiles(filled(1, 1000));
    expect(p.count).toBe(1000);
    expect(p.p50).toBe(500);
    expect(p.p90).toBe(900);
    expect(p.p99).toBe(990);
    expect(p.max).toBe(1000);
    expect(p.mean).toBeCloseTo(500.5, 1);
  });

  it('keeps large values within 0.1 %', () => {
    const h = createHistogram();
    recordUs(h, 1_234_567);
    const p = percentiles(h);
    expect(Math.abs(p.p50 - 1_234_567) / 1_234_567).toBeLessThan(0.001);
  });

  it('never reports a percentile above the largest value recorded', () => {
    const h = createHistogram();
    recordUs(h, 2048);
    const p = percentiles(h);
    expect(p.p99).toBeLessThanOrEqual(p.max);
    expect(p.p50).toBeLessThanOrEqual(p.p99);
  });

  it('gives zeros for an empty histogram', () => {
    expect(percentiles(createHistogram())).toMatchObject({ count: 0, p50: 0, max: 0 });
  });
});

describe('#recordUs', () => {
  it('rounds to the µs and records a negative value as 0', () => {
    const h = createHistogram();
    recordUs(h, 12.6);
    recordUs(h, -3);
    expect(h.totalCount).toBe(2);
    expect(h.maxValue).toBe(13);
    expect(h.getValueAtPercentile(0)).toBe(0);
  });

  it('grows for a value far beyond the first ones', () => {
    const h = createHistogram();
    recordUs(h, 5);
    recordUs(h, 60_000_000);
    expect(h.maxValue).toBeGreaterThan(59_900_000);
  });
});

describe('#mergeHistograms', () => {
  it('equals recording both sets into one histogram', () => {
    const a = filled(1, 700);
    const b = filled(300, 5000);
    const both = createHistogram();
    for (let v = 1; v <= 700; v++) recordUs(both, v);
    for (let v = 300; v <= 5000; v++) recordUs(both, v);
    const merged = mergeHistograms([a, b]);
    expect(percentiles(merged)).toEqual(percentiles(both));
    for (let q = 0; q <= 100; q += 0.5) expect(merged.getValueAtPercentile(q)).toBe(both.getValueAtPercentile(q));
  });

  it('leaves its inputs untouched', () => {
    const a = filled(1, 10);
    mergeHistograms([a, filled(1, 10)]);
    expect(a.totalCount).toBe(10);
  });
});

describe('#encodeHistogram', () => {
  it('round-trips through base64 with the same counts and percentiles', () => {
    const h = filled(1, 20_000);
    recordUs(h, 3_000_000);
    const decoded = decodeHistogram(encodeHistogram(h));
    expect(decoded.totalCount).toBe(h.totalCount);
    for (let q = 0; q <= 100; q += 0.5) expect(decoded.getValueAtPercentile(q)).toBe(h.getValueAtPercentile(q));
    // The encoding keeps buckets, so the largest value comes back as its bucket's, within 3 significant digits.
    expect(Math.abs(decoded.maxValue - 3_000_000) / 3_000_000).toBeLessThan(0.001);
  });

  it('decodes into a histogram that still grows', () => {
    const decoded = decodeHistogram(encodeHistogram(filled(1, 10)));
    recordUs(decoded, 1e9);
    expect(decoded.totalCount).toBe(11);
  });
});
