import type { Scenario, StepPlan } from './scenario.ts';
import { expectStep, makeStep, numberParam, pollIntervals, serverOptions } from './common.ts';
import { measureFanOut } from './fan-out.ts';

/**
 * push: the server publishes on its own open-loop schedule at R messages/s (payload S) to C subscribers
 * spread over the configured rooms; every client measures latency, loss and bytes. Swept over R × C × S;
 * short polling also over each poll interval, at the first load point only (that is where the report draws
 * its interval trade-off), so the sweep does not multiply by the interval count.
 */
export const push: Scenario = {
  name: 'push',

  plan(config, transport) {
    const steps: StepPlan[] = [];
    const intervals = pollIntervals(config, transport);
    for (const [r, rate] of config.rate.entries()) {
      for (const [c, clients] of config.clients.entries()) {
        for (const [p, payload] of config.payload.entries()) {
          // The poll-interval trade-off is drawn at one load point (the first); the sweeps use the first interval.
          const atFirstPoint = r === 0 && c === 0 && p === 0;
          for (const poll of atFirstPoint ? intervals : intervals.slice(0, 1)) {
            const idParts = { rate, clients, payload, ...(poll !== undefined ? { poll } : {}) };
            const params = { rate, clients, payloadBytes: payload, rooms: Math.min(config.rooms, clients), ...(poll !== undefined ? { pollIntervalMs: poll } : {}) };
            steps.push(makeStep('push', transport, idParts, params, serverOptions(config, transport, payload)));
          }
        }
      }
    }
    return steps;
  },

  async runRepeat(ctx) {
    const step = expectStep(ctx, 'push');
    return measureFanOut(ctx, {
      clients: numberParam(step, 'clients'),
      rate: numberParam(step, 'rate'),
      payloadBytes: numberParam(step, 'payloadBytes'),
      rooms: numberParam(step, 'rooms'),
      roomPrefix: 'push',
    });
  },
};
