import type { z } from 'zod';
import { measureFanOut } from './fan-out.ts';
import { byteSize, clientsInRooms, perSecond, pollIntervals, serverOptions } from './params.ts';
import { defineScenario, type PlannedStep } from './scenario.ts';

/**
 * push: the server publishes on its own open-loop schedule at R messages/s (payload S) to C subscribers
 * spread over the configured rooms; every client measures latency, loss and bytes. Swept over R × C at the
 * first payload size, and over the payload sizes at the first R and C; short polling also over each poll
 * interval, at the first load point only (that is where the report draws its interval trade-off). So each
 * sweep adds its own steps instead of multiplying the others (full's 64 B … 64 KiB sweep is 3 steps, not 27).
 */

export const pushParams = clientsInRooms.extend({
  /** Messages/s published over all rooms (id key `rate`). */
  rate: perSecond,
  /** Payload size, bytes (id key `payload`). */
  payloadBytes: byteSize,
});
export type PushParams = z.infer<typeof pushParams>;

export const push = defineScenario({
  name: 'push',
  browser: true,
  encodings: true,
  params: pushParams,
  id: [['rate', 'rate'], ['clients', 'clients'], ['payloadBytes', 'payload'], ['pollIntervalMs', 'poll']],

  plan(config, transport) {
    const steps: PlannedStep<PushParams>[] = [];
    const intervals = pollIntervals(config, transport);
    for (const [r, rate] of config.rate.entries()) {
      for (const [c, clients] of config.clients.entries()) {
        for (const [p, payloadBytes] of config.payload.entries()) {
          // The payload sweep runs at the first rate and client count.
          if (p > 0 && (r > 0 || c > 0)) continue;
          // The poll-interval trade-off is drawn at one load point (the first); the sweeps use the first interval.
          const atFirstPoint = r === 0 && c === 0 && p === 0;
          for (const pollIntervalMs of atFirstPoint ? intervals : intervals.slice(0, 1)) {
            const params = { rate, clients, payloadBytes, rooms: Math.min(config.rooms, clients), ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}) };
            // One server for every payload size: the schedule and the primer ask for the size (one process start
            // less per size and transport, ~0.9 s each here).
            steps.push({ params, server: serverOptions(config, transport) });
          }
        }
      }
    }
    return steps;
  },

  runRepeat(ctx) {
    return measureFanOut(ctx, { ...ctx.params, roomPrefix: 'push' });
  },
});
