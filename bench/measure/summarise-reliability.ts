import type { ReliabilityMetrics, Spread } from '../../results/schema.ts';
import type { Histogram } from './histogram.ts';
import type { ReliabilityRepeat } from './repeat-measurement.ts';
import { sumDelivery } from './sequence-tracker.ts';
import type { LatencyMetrics } from '../../results/schema.ts';

/**
 * metrics.reliability from the repeats of a fault scenario: counts are summed, one-number-per-repeat
 * figures become a median with min–max, and the reconnect times of every client of every repeat are one
 * merged histogram (summarised by the caller's latency summariser).
 */

type Summarisers = {
  spread: (values: readonly number[]) => Spread;
  latency: (histograms: readonly (Histogram | undefined)[]) => LatencyMetrics | undefined;
};

const sum = (values: ReadonlyArray<number | undefined>): number => values.reduce<number>((n, v) => n + (v ?? 0), 0);
const defined = <T>(values: ReadonlyArray<T | undefined>): T[] => values.filter((v): v is T => v !== undefined);

export function summariseReliability(repeats: readonly ReliabilityRepeat[], reconnects: readonly (Histogram | undefined)[], by: Summarisers): ReliabilityMetrics | undefined {
  const first = repeats[0];
  if (!first) return undefined;
  const out: ReliabilityMetrics = { fault: first.fault };
  const reconnect = by.latency(reconnects);
  if (reconnect) out.reconnect = reconnect;
  if (repeats.some((r) => r.clients !== undefined)) {
    out.clients = sum(repeats.map((r) => r.clients));
    out.resumed = sum(repeats.map((r) => r.resumed));
  }
  if (repeats.some((r) => r.moved !== undefined)) {
    out.moved = sum(repeats.map((r) => r.moved));
    out.movedResumed = sum(repeats.map((r) => r.movedResumed));
  }
  const outages = defined(repeats.map((r) => r.outageMs));
  if (outages.length > 0) out.outageMs = by.spread(outages);
  const before = defined(repeats.map((r) => r.beforeCrash));
  if (before.length > 0) out.beforeCrash = sumDelivery(before);
  const after = defined(repeats.map((r) => r.afterRestart));
  if (after.length > 0) out.afterRestart = sumDelivery(after);

  const slow = defined(repeats.map((r) => r.slowConsumer));
  if (slow.length > 0) {
    const spreadOf = (values: ReadonlyArray<number | undefined>) => (defined(values).length > 0 ? by.spread(defined(values)) : undefined);
    const dropAfterMs = spreadOf(slow.map((s) => s.dropAfterMs));
    const rssBeforeBytes = spreadOf(slow.map((s) => s.rssBeforeBytes));
    const rssPeakBytes = spreadOf(slow.map((s) => s.rssPeakBytes));
    const logBytes = spreadOf(slow.map((s) => s.logBytes));
    // The note of the repeat with the longest time to the drop (or one never dropped): the worst case speaks.
    const worst = [...slow].sort((a, b) => (b.dropAfterMs ?? Infinity) - (a.dropAfterMs ?? Infinity))[0]!;
    out.slowConsumer = {
      note: worst.note,
      dropped: slow.filter((s) => s.dropped).length,
      repeats: slow.length,
      maxBufferedBytes: slow[0]!.maxBufferedBytes,
      ...(dropAfterMs ? { dropAfterMs } : {}),
      ...(rssBeforeBytes ? { rssBeforeBytes } : {}),
      ...(rssPeakBytes ? { rssPeakBytes } : {}),
      ...(logBytes ? { logBytes } : {}),
    };
  }

  const hostile = defined(repeats.map((r) => r.hostile));
  if (hostile.length > 0) {
    out.hostile = {
      tried: sum(hostile.map((h) => h.tried)),
      handled: sum(hostile.map((h) => h.handled)),
      skipped: sum(hostile.map((h) => h.skipped)),
      failures: [...new Set(hostile.flatMap((h) => h.failures))].slice(0, 20),
      servedAfter: hostile.every((h) => h.servedAfter),
    };
  }
  return out;
}
