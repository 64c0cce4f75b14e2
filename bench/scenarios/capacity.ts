import { z } from 'zod';
import type { StepMetrics } from '../../results/schema.ts';
import { percentiles } from '../measure/histogram.ts';
import type { RepeatMeasurement } from '../measure/repeat-measurement.ts';
import { measureFanOut } from './fan-out.ts';
import { byteSize, count, firstPollInterval, perSecond, pollInterval, serverOptions } from './params.ts';
import { defineScenario } from './scenario.ts';

/**
 * capacity: push at a fixed rate to more and more clients (config.capacityClients, in order) until the
 * p95 latency (corrected, from the intended send time) passes the SLA or any message is lost, as
 * websocket-shootout does. The result is the last client count that passed, with every count tried; the
 * repeat's other figures (latency, bytes, delivery …) are those of that last passing count.
 */

export const capacityParams = z.object({
  /** Messages/s published over all rooms (id key `rate`). */
  rate: perSecond,
  /** The client counts tried, in increasing order, comma-separated (a string: one step tries them all). */
  clients: z.string().regex(/^\d+(,\d+)*$/),
  /** The SLA: p95 latency at most this, ms (id key `sla`). */
  slaP95Ms: perSecond,
  /** Payload size, bytes. */
  payloadBytes: byteSize,
  /** Rooms, at most the smallest client count. */
  rooms: count,
  /** Short polling's interval, ms (id key `poll`). */
  pollIntervalMs: pollInterval,
});
export type CapacityParams = z.infer<typeof capacityParams>;

type CapacityStep = NonNullable<StepMetrics['capacity']>['steps'][number];

export const capacity = defineScenario({
  name: 'capacity',
  params: capacityParams,
  id: [['rate', 'rate'], ['slaP95Ms', 'sla'], ['pollIntervalMs', 'poll']],

  plan(config, transport) {
    const counts = [...config.capacityClients].sort((a, b) => a - b);
    const params = {
      rate: config.capacityRate,
      clients: counts.join(','),
      slaP95Ms: config.slaP95Ms,
      payloadBytes: config.payload[0]!,
      rooms: Math.min(config.rooms, counts[0]!),
      ...firstPollInterval(config, transport),
    };
    return [{ params, server: serverOptions(config, transport) }];
  },

  async runRepeat(ctx) {
    const { rate, slaP95Ms, payloadBytes, rooms, pollIntervalMs } = ctx.params;
    const counts = ctx.params.clients.split(',').map(Number);
    const steps: CapacityStep[] = [];
    let lastPassing: number | null = null;
    let best: RepeatMeasurement | undefined;

    for (const [i, clients] of counts.entries()) {
      let measured: RepeatMeasurement;
      try {
        measured = await measureFanOut(ctx, { clients, rate, payloadBytes, rooms, pollIntervalMs, roomPrefix: 'cap', progress: [i / counts.length, (i + 1) / counts.length] });
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        // A count the harness could not even connect is a failed step of the search, not an errored run.
        steps.push({ value: clients, p95Ms: null, lost: 0, passed: false, reason: error instanceof Error ? error.message : String(error) });
        break;
      }
      const p95Ms = measured.histograms.latency && measured.histograms.latency.totalCount > 0 ? percentiles(measured.histograms.latency).p95 / 1000 : null;
      const lost = measured.delivery?.lost ?? 0;
      const passed = p95Ms !== null && p95Ms <= slaP95Ms && lost === 0;
      const reason = passed ? undefined : p95Ms === null ? 'no message delivered' : lost > 0 ? `${lost} deliveries lost` : `p95 ${p95Ms.toFixed(1)} ms > ${slaP95Ms} ms`;
      steps.push({ value: clients, p95Ms, lost, passed, ...(reason ? { reason } : {}) });
      if (!passed) break;
      lastPassing = clients;
      best = measured;
    }

    const extra = { capacity: { dimension: 'clients' as const, lastPassing, slaP95Ms, steps } };
    if (!best) return { values: {}, histograms: {}, extra, notes: [`no client count met the SLA (first: ${steps[0]?.reason ?? 'none tried'})`] };
    return { ...best, extra, notes: [...(best.notes ?? []), `figures other than capacity are those of ${lastPassing} clients, the last count that passed`] };
  },
});
