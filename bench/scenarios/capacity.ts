import { percentiles } from '../measure/histogram.ts';
import type { RepeatMeasurement, Scenario, StepPlan } from './scenario.ts';
import type { StepMetrics } from '../../results/schema.ts';
import { expectStep, firstPollInterval, makeStep, numberParam, serverOptions } from './common.ts';
import { measureFanOut } from './fan-out.ts';

/**
 * capacity: push at a fixed rate to more and more clients (config.capacityClients, in order) until the
 * p95 latency (corrected, from the intended send time) passes the SLA or any message is lost, as
 * websocket-shootout does. The result is the last client count that passed, with every count tried; the
 * repeat's other figures (latency, bytes, delivery …) are those of that last passing count.
 */

type CapacityStep = NonNullable<StepMetrics['capacity']>['steps'][number];

export const capacity: Scenario = {
  name: 'capacity',

  plan(config, transport) {
    const poll = firstPollInterval(config, transport);
    const counts = [...config.capacityClients].sort((a, b) => a - b);
    const idParts = { rate: config.capacityRate, sla: config.slaP95Ms, ...poll.id };
    const params = {
      rate: config.capacityRate,
      clients: counts.join(','),
      slaP95Ms: config.slaP95Ms,
      payloadBytes: config.payload[0],
      rooms: config.rooms,
      ...poll.params,
    };
    const step: StepPlan = makeStep('capacity', transport, idParts, params, serverOptions(config, transport, config.payload[0]));
    return [step];
  },

  async runRepeat(ctx) {
    const step = expectStep(ctx, 'capacity');
    const counts = String(step.params.clients).split(',').map(Number);
    const slaP95Ms = numberParam(step, 'slaP95Ms');
    const steps: CapacityStep[] = [];
    let lastPassing: number | null = null;
    let best: RepeatMeasurement | undefined;

    for (let i = 0; i < counts.length; i++) {
      const clients = counts[i];
      const progress: [number, number] = [i / counts.length, (i + 1) / counts.length];
      let measured: RepeatMeasurement;
      try {
        measured = await measureFanOut(ctx, {
          clients,
          rate: numberParam(step, 'rate'),
          payloadBytes: numberParam(step, 'payloadBytes'),
          rooms: numberParam(step, 'rooms'),
          roomPrefix: 'cap',
          progress,
        });
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
};
