import type { z } from 'zod';
import { measureFanOut } from './fan-out.ts';
import { searchLimit } from './limit-search.ts';
import { firstPollInterval, limitSearchParams, perSecond, serverOptions, triedValues } from './params.ts';
import { defineScenario } from './scenario.ts';

/**
 * capacity: push at a fixed rate to more and more clients (config.capacityClients, in order) until the
 * p95 latency (corrected, from the intended send time) passes the SLA or any message is lost, as
 * websocket-shootout does (limit-search.ts). The result is the last client count that passed, with every
 * count tried; the repeat's other figures (latency, bytes, delivery …) are those of that last passing count.
 */

export const capacityParams = limitSearchParams.extend({
  /** Messages/s published over all rooms (id key `rate`). */
  rate: perSecond,
  /** The client counts tried, in increasing order. */
  clients: triedValues,
});
export type CapacityParams = z.infer<typeof capacityParams>;

export const capacity = defineScenario({
  name: 'capacity',
  encodings: true,
  params: capacityParams,
  id: [['rate', 'rate'], ['slaP95Ms', 'sla'], ['pollIntervalMs', 'poll']],

  plan(config, transport) {
    const step = (clients: readonly number[], rate: (rooms: number) => number) => {
      const counts = [...clients].sort((a, b) => a - b);
      const rooms = Math.min(config.rooms, counts[0]!);
      const params = { rate: rate(rooms), clients: counts.join(','), slaP95Ms: config.slaP95Ms, payloadBytes: config.payload[0]!, rooms, ...firstPollInterval(config, transport) };
      // Connecting is most of a large step: 10,000 Socket.IO clients (polling, then the upgrade) took over a
      // minute here. 20 ms per client tried, when that is more than the config's budget.
      const timeoutMs = 20 * counts.reduce((a, b) => a + b, 0);
      return { params, server: serverOptions(config, transport), timeoutMs };
    };
    const steps = [step(config.capacityClients, () => config.capacityRate)];
    // At scale, one message per client per second: as many messages/s as rooms. Short polling asks 10 times a
    // second per client whatever arrives: 10,000 clients are 100,000 requests/s, which it cannot hold here.
    if (config.capacityScaleClients.length > 0 && transport !== 'short-polling') steps.push(step(config.capacityScaleClients, (rooms) => rooms));
    return steps;
  },

  async runRepeat(ctx) {
    const { rate, slaP95Ms, payloadBytes, rooms, pollIntervalMs } = ctx.params;
    const counts = ctx.params.clients.split(',').map(Number);
    return searchLimit({
      dimension: 'clients',
      values: counts,
      slaP95Ms,
      signal: ctx.signal,
      measure: (clients, i) => measureFanOut(ctx, { clients, rate, payloadBytes, rooms, pollIntervalMs, roomPrefix: 'cap', progress: [i / counts.length, (i + 1) / counts.length] }),
    });
  },
});
