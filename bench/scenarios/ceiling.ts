import type { z } from 'zod';
import { measureFanOut } from './fan-out.ts';
import { searchLimit } from './limit-search.ts';
import { count, firstPollInterval, limitSearchParams, serverOptions, triedValues } from './params.ts';
import { defineScenario } from './scenario.ts';

/**
 * ceiling: the throughput ceiling. A fixed number of clients, and push at higher and higher rates
 * (config.ceilingRates, in order) until p95 latency passes the SLA or a message is lost (limit-search.ts).
 * Because publishing is open-loop, a server that became slower delivers as many messages/s as before
 * until it cannot keep up; this scenario finds where that happens. The figure is the delivered messages/s
 * at the last rate that passed (`capacity.deliveredPerSec`), with every rate tried. When the load
 * generator saturates first, the search stops there and says so: the ceiling is then at least that.
 */

export const ceilingParams = limitSearchParams.extend({
  /** Subscribers, fixed for the whole search; each message reaches clients / rooms of them. */
  clients: count,
  /** The publish rates tried, messages/s over all rooms, increasing. */
  rates: triedValues,
});
export type CeilingParams = z.infer<typeof ceilingParams>;

export const ceiling = defineScenario({
  name: 'ceiling',
  encodings: true,
  params: ceilingParams,
  id: [['clients', 'clients'], ['slaP95Ms', 'sla'], ['pollIntervalMs', 'poll']],

  plan(config, transport) {
    const rates = [...config.ceilingRates].sort((a, b) => a - b);
    const params = {
      clients: config.ceilingClients,
      rates: rates.join(','),
      slaP95Ms: config.slaP95Ms,
      payloadBytes: config.payload[0]!,
      rooms: Math.min(config.rooms, config.ceilingClients),
      ...firstPollInterval(config, transport),
    };
    return [{ params, server: serverOptions(config, transport) }];
  },

  async runRepeat(ctx) {
    const { clients, slaP95Ms, payloadBytes, rooms, pollIntervalMs } = ctx.params;
    const rates = ctx.params.rates.split(',').map(Number);
    return searchLimit({
      dimension: 'rate',
      values: rates,
      slaP95Ms,
      signal: ctx.signal,
      measure: (rate, i) => measureFanOut(ctx, { clients, rate, payloadBytes, rooms, pollIntervalMs, roomPrefix: 'ceil', progress: [i / rates.length, (i + 1) / rates.length] }),
    });
  },
});
