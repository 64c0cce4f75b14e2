import type { Spread } from '../results/schema.ts';

/** Number formatting shared by the HTML and the Markdown, so both say the same thing the same way. */

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Three significant digits, no exponent: 0.0934, 1.54, 21.8, 1,240. */
export function sig3(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return grouped.format(value);
  const digits = Math.max(0, 2 - Math.floor(Math.log10(abs)));
  return value.toFixed(Math.min(digits, 4));
}

/** A latency given in µs, shown in ms. */
export function ms(us: number): string {
  return `${sig3(us / 1000)} ms`;
}

/** Bytes: B below 1,000, then SI kB / MB / GB (10^3 / 10^6 / 10^9 bytes). */
export function bytes(value: number): string {
  if (Math.abs(value) < 1000) return `${sig3(value)} B`;
  if (Math.abs(value) < 1_000_000) return `${sig3(value / 1e3)} kB`;
  if (Math.abs(value) < 1_000_000_000) return `${sig3(value / 1e6)} MB`;
  return `${sig3(value / 1e9)} GB`;
}

export function count(value: number): string {
  return grouped.format(value);
}

export function ratio(value: number): string {
  return `×${value >= 10 ? sig3(value) : value.toFixed(2)}`;
}

/** A ratio in prose: "1.46 times", "67.8 times". */
export function times(value: number): string {
  return `${value >= 10 ? sig3(value) : value.toFixed(2)} times`;
}

export function mbps(value: number): string {
  return `${sig3(value)} Mbps`;
}

/** "median (min–max)" of a spread with the given formatter; the range is left out when it is a single value. */
export function withRange(spread: Spread, format: (n: number) => string): { median: string; range: string } {
  if (spread.min === spread.max) return { median: format(spread.median), range: '' };
  const [low, high] = [format(spread.min), format(spread.max)];
  // "1.46 – 1.65 ms" rather than "1.46 ms – 1.65 ms" when both ends share a unit.
  const unit = (text: string) => /\s(\S+)$/.exec(text)?.[1];
  const shared = unit(low) !== undefined && unit(low) === unit(high);
  return { median: format(spread.median), range: shared ? `${low.slice(0, -unit(low)!.length - 1)} – ${high}` : `${low} – ${high}` };
}
