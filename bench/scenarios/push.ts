import type { Scenario, StepPlan } from '../scenario.ts';
import { expectStep, makeStep, numberParam, pollIntervals, serverOptions } from './common.ts';
import { measureFanOut } from './fan-out.ts';

/**
 * push: the server publishes on its own open-loop schedule at R messages/s (payload S) to C subscribers
 * spread over the configured rooms; every client measures latency, loss and bytes. Swept over R × C × S,
 * and for short polling over each poll interval too.
 */
export const push: Scenario = {
  name: 'push',

  plan(config, transport) {
    const steps: StepPlan[] = [];
    for (const rate of config.rate) {
      for (const clients of config.clients) {
        for (const payload of config.payload) {
          for (const poll of pollIntervals(config, transport)) {
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
