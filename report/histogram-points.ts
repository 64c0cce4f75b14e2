import { decodeFromCompressedBase64 } from 'hdr-histogram-js';

/**
 * Decodes an encoded hdr histogram (µs) into the points of an HdrHistogram-style percentile plot:
 * x = 1 / (1 − p), so 50 % sits at 2, 90 % at 10, 99 % at 100 …, and y = latency in ms. The decoding
 * happens here, in Node, so the page inlines points and never the decoder.
 */

export interface PercentilePoint {
  /** 1 / (1 − percentile/100). */
  x: number;
  /** Latency, ms. */
  y: number;
}

/** Points per decade of x: enough for a smooth curve, few enough to keep the page small. */
const STEPS_PER_DECADE = 12;

export function percentilePoints(encoded: string): PercentilePoint[] {
  if (encoded === '') return [];
  const histogram = decodeFromCompressedBase64(encoded);
  try {
    const total = histogram.totalCount;
    if (total === 0) return [];
    const points: PercentilePoint[] = [];
    // The curve stops where one sample is left (x = total); beyond it the plot would invent resolution.
    const xs = [2]; // the median gets its own point: it is the first labelled tick
    for (let k = 0; 10 ** (k / STEPS_PER_DECADE) <= total; k++) xs.push(round(10 ** (k / STEPS_PER_DECADE), 4));
    for (const x of [...new Set(xs)].filter((x) => x < total).sort((a, b) => a - b)) {
      points.push({ x, y: round(histogram.getValueAtPercentile(100 * (1 - 1 / x)) / 1000, 4) });
    }
    points.push({ x: round(total, 0), y: round(histogram.maxValue / 1000, 4) });
    return points;
  } finally {
    histogram.destroy();
  }
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
