import type { StepMetrics } from '../../results/schema.ts';
import { percentiles } from '../measure/histogram.ts';
import type { RepeatMeasurement } from '../measure/repeat-measurement.ts';
import { saturation } from '../measure/summarise.ts';
import { busyPolling } from '../run/busy-poll.ts';

/**
 * The search capacity (more clients) and ceiling (more messages/s) share: measure at each value in
 * increasing order until one fails, and keep the last that passed. A value passes when p95 latency (corrected,
 * from the intended send time) is within the SLA and nothing was lost. The search also stops, without a
 * verdict on the transport, when the load generator itself saturated: past that point the figures describe
 * the load process, so the limit found is the generator's and the result says so (`stoppedBy: 'generator'`).
 */

type Capacity = NonNullable<StepMetrics['capacity']>;
type SearchStep = Capacity['steps'][number];

export interface LimitSearch {
  dimension: Capacity['dimension'];
  /** The values tried, increasing. */
  values: readonly number[];
  slaP95Ms: number;
  /** Measures at one value; the i-th of the values. */
  measure(value: number, i: number): Promise<RepeatMeasurement>;
  /** Aborted searches rethrow; any other failure to measure is a failed value of the search. */
  signal: AbortSignal;
}

function judge(measured: RepeatMeasurement, slaP95Ms: number): Pick<SearchStep, 'p95Ms' | 'lost' | 'passed' | 'reason'> & { stoppedBy?: Capacity['stoppedBy'] } {
  const p95Ms = measured.histograms.latency && measured.histograms.latency.totalCount > 0 ? percentiles(measured.histograms.latency).p95 / 1000 : null;
  const lost = measured.delivery?.lost ?? 0;
  const saturated = saturation(measured.generator, { busyPoll: busyPolling() });
  if (p95Ms === null) return { p95Ms, lost, passed: false, reason: 'no message delivered', stoppedBy: 'sla' };
  if (lost > 0) return { p95Ms, lost, passed: false, reason: `${lost} deliveries lost`, stoppedBy: 'loss' };
  if (saturated) {
    // Both sides' CPU at that value, so the reader can do the arithmetic: µs per delivery on each side.
    const cpu = [`load side CPU ${measured.generator!.cpuPercent.toFixed(0)} %`, ...(measured.server ? [`server CPU ${measured.server.cpuPercent.toFixed(0)} %`] : [])].join(', ');
    return { p95Ms, lost, passed: false, reason: `load generator saturated (${saturated}; ${cpu}, p95 ${p95Ms.toFixed(1)} ms): the limit lies beyond what the load side drives here`, stoppedBy: 'generator' };
  }
  if (p95Ms > slaP95Ms) return { p95Ms, lost, passed: false, reason: `p95 ${p95Ms.toFixed(1)} ms > ${slaP95Ms} ms`, stoppedBy: 'sla' };
  return { p95Ms, lost, passed: true };
}

/** Runs the search; the measurement returned is the last passing value's, with `extra.capacity` set. */
export async function searchLimit(search: LimitSearch): Promise<RepeatMeasurement> {
  const steps: SearchStep[] = [];
  let lastPassing: number | null = null;
  let best: RepeatMeasurement | undefined;
  let stoppedBy: Capacity['stoppedBy'] = null;

  for (const [i, value] of search.values.entries()) {
    let measured: RepeatMeasurement;
    try {
      measured = await search.measure(value, i);
    } catch (error) {
      if (search.signal.aborted) throw error;
      // A value the harness could not even connect is a failed step of the search, not an errored run.
      steps.push({ value, p95Ms: null, lost: 0, passed: false, reason: error instanceof Error ? error.message : String(error) });
      stoppedBy = 'error';
      break;
    }
    const { stoppedBy: why, ...verdict } = judge(measured, search.slaP95Ms);
    const deliveredPerSec = measured.values.deliveredPerSec;
    steps.push({ value, ...verdict, ...(deliveredPerSec !== undefined ? { deliveredPerSec } : {}) });
    if (!verdict.passed) {
      stoppedBy = why ?? null;
      break;
    }
    lastPassing = value;
    best = measured;
  }

  const capacity: Capacity = {
    dimension: search.dimension,
    lastPassing,
    slaP95Ms: search.slaP95Ms,
    steps,
    stoppedBy,
    deliveredPerSec: best?.values.deliveredPerSec ?? null,
  };
  if (!best) return { values: {}, histograms: {}, extra: { capacity }, notes: [`no ${search.dimension === 'rate' ? 'rate' : 'client count'} met the SLA (first: ${steps[0]?.reason ?? 'none tried'})`] };
  const unit = search.dimension === 'rate' ? 'rate' : 'client count';
  return { ...best, extra: { capacity }, notes: [...(best.notes ?? []), `latency, bytes and delivery are those of each repeat's last passing ${unit} (the search's own figures are the median repeat's)`] };
}
