import { percentiles } from '../../bench/measure/histogram.ts';
import { measureFanOut } from '../../bench/scenarios/fan-out.ts';
import { rtt } from '../../bench/scenarios/rtt.ts';
import type { StepPlan } from '../../bench/scenarios/scenario.ts';
import { BOUNDS, context, pushStep, withServer, type CheckRow } from './check-support.ts';

/** Checks (d) and (e): the precise open-loop publisher (docs/method.md, "The publisher"). */

/** The headline figure against the transport's own: corrected p50 over uncorrected p50, load process sleeping when idle (the default). */
export async function checkCorrection(): Promise<CheckRow> {
  const step = pushStep('tcp', 1_000, 1);
  const m = await withServer(step.server, (server) =>
    measureFanOut(context(step, server, 1_000, 3_000), { clients: 1, rate: 1_000, payloadBytes: 64, rooms: 1, roomPrefix: 'selfcheck' }),
  );
  const corrected = percentiles(m.histograms.latency!);
  const uncorrected = percentiles(m.histograms.latencyUncorrected!);
  const lag = percentiles(m.histograms.schedulerLag!);
  const ratio = corrected.p50 / Math.max(1, uncorrected.p50);
  return {
    check: '(d) raw TCP corrected / uncorrected p50, 1 client, 1,000 msg/s',
    figure: `${ratio.toFixed(2)}×`,
    bare: '-',
    bound: `≤ ${BOUNDS.correctedOverUncorrected}×`,
    pass: ratio <= BOUNDS.correctedOverUncorrected && (m.delivery?.lost ?? 1) === 0,
    detail: `corrected (from intended time) p50 ${corrected.p50} / p99 ${corrected.p99} µs; uncorrected (from actual send) p50 ${uncorrected.p50} / p99 ${uncorrected.p99} µs; scheduler lag p50 ${lag.p50} / p99 ${lag.p99} µs; ${m.delivery?.delivered} delivered, ${m.delivery?.lost} lost`,
  };
}

const LAG_RATES = [100, 1_000, 5_000] as const;

/**
 * The pacer's lateness where it runs in the harness: the server's push schedule (1 raw TCP client) and the
 * load process's rtt schedule (1 raw TCP client, every round trip a publish), 3 s windows each. A light load
 * on purpose: what is checked is the publisher, not how a busy event loop delays it (docs/method.md).
 */
export async function checkPublisherLag(): Promise<CheckRow> {
  const figures: string[] = [];
  let worst = { p50: 0, p99: 0 };
  let lost = 0;
  await withServer({ transport: 'tcp', payloadBytes: 64 }, async (server) => {
    for (const rate of LAG_RATES) {
      const push = pushStep('tcp', rate, 1);
      const m = await measureFanOut(context(push, server, 1_000, 3_000), { clients: 1, rate, payloadBytes: 64, rooms: 1, roomPrefix: 'selfcheck' });
      const trip: StepPlan = { id: `self-check/rtt/tcp/rate=${rate}`, scenario: 'rtt', transport: 'tcp', params: { clients: 1, ratePerClient: rate, payloadBytes: 64 }, server: push.server };
      const r = await rtt.runRepeat({ ...context(trip, server, 1_000, 3_000), params: rtt.params.parse(trip.params) });
      for (const [side, measured] of [['server', m], ['load', r]] as const) {
        const lag = percentiles(measured.histograms.schedulerLag!);
        lost += measured.delivery?.lost ?? 0;
        worst = { p50: Math.max(worst.p50, lag.p50), p99: Math.max(worst.p99, lag.p99) };
        figures.push(`${side} ${rate}/s p50 ${lag.p50} / p99 ${lag.p99} / max ${lag.max} µs`);
      }
    }
  });
  return {
    check: '(e) publisher lag, 100-5,000 msg/s, server and load side',
    figure: `p50 ≤ ${worst.p50}, p99 ≤ ${worst.p99} µs`,
    bare: '-',
    bound: `p50 ≤ ${BOUNDS.lagP50Us}, p99 ≤ ${BOUNDS.lagP99Us} µs`,
    pass: worst.p50 <= BOUNDS.lagP50Us && worst.p99 <= BOUNDS.lagP99Us && lost === 0,
    detail: `${figures.join('; ')}; ${lost} lost`,
  };
}

