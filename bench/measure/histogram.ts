import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/**
 * Latency histograms for the whole harness: microseconds, 1 µs lowest discernible value, 3 significant
 * digits, auto-resizing. The pure JS implementation: the WebAssembly one needs an async init and gains
 * nothing at our recording rates.
 */

export type { Histogram };

export const HISTOGRAM_SIGNIFICANT_DIGITS = 3;

export function createHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: HISTOGRAM_SIGNIFICANT_DIGITS,
    autoResize: true,
    useWebAssembly: false,
  });
}

/**
 * Records a value in µs, rounded to the nearest µs. A negative value (a clock read a hair before the
 * stamp it is compared with) is recorded as 0 rather than thrown away, so counts stay exact.
 */
export function recordUs(histogram: Histogram, valueUs: number): void {
  if (!Number.isFinite(valueUs)) return;
  histogram.recordValue(valueUs > 0 ? Math.round(valueUs) : 0);
}

/** A new histogram holding every value of `histograms` (exact: the buckets are added, not the percentiles). */
export function mergeHistograms(histograms: readonly Histogram[]): Histogram {
  const merged = createHistogram();
  for (const histogram of histograms) merged.add(histogram);
  return merged;
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/**
 * Decodes `encodeHistogram`'s output; the result auto-resizes like a fresh one. The encoding keeps the buckets,
 * so the largest value comes back as its bucket's highest equivalent value; `exactMax`, when the encoder sent
 * the histogram's own maxValue beside it, puts the exact one back.
 */
export function decodeHistogram(base64: string, exactMax?: number): Histogram {
  const histogram = decodeFromCompressedBase64(base64, 32, false);
  // Decoded histograms come back fixed-size; merging a larger value into one would throw.
  histogram.autoResize = true;
  // maxValue is a plain field of the pure-JS histogram (readonly in the interface only); add() takes the max of both.
  if (exactMax !== undefined && histogram.totalCount > 0) (histogram as unknown as { maxValue: number }).maxValue = exactMax;
  return histogram;
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** The percentiles the results carry, in µs (all 0 for an empty histogram). */
export function percentiles(histogram: Histogram): Percentiles {
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  const max = histogram.maxValue;
  // A percentile is its bucket's highest equivalent value, which can pass the largest value recorded.
  const at = (percentile: number): number => Math.min(histogram.getValueAtPercentile(percentile), max);
  return { count, p50: at(50), p90: at(90), p95: at(95), p99: at(99), p999: at(99.9), max, mean: histogram.mean };
}
