import type { z } from 'zod';
import { createHistogram, recordUs } from '../measure/histogram.ts';
import { MeasuredWindow } from './measured-window.ts';
import { primeRooms } from './rooms.ts';
import { clientsInRooms, firstPollInterval, serverOptions } from './params.ts';
import { defineScenario } from './scenario.ts';

/**
 * connect: a storm of N clients connecting at once (no concurrency limit). Per client: time from starting
 * to connect until ready (the client's own notion: first poll answered, stream open, upgrade done) and the
 * bytes both ways until then, Socket.IO's polling handshake and upgrade included in full.
 */

/** The clients of the storm all connect at once. */
export const connectParams = clientsInRooms;
export type ConnectParams = z.infer<typeof connectParams>;

export const connect = defineScenario({
  name: 'connect',
  params: connectParams,
  id: [['clients', 'clients'], ['pollIntervalMs', 'poll']],

  plan(config, transport) {
    const params = { clients: config.connectClients, rooms: Math.min(config.rooms, config.connectClients), ...firstPollInterval(config, transport) };
    return [{ params, server: serverOptions(config, transport) }];
  },

  async runRepeat(ctx) {
    const { clients } = ctx.params;
    const window = new MeasuredWindow(ctx, 'connect', ctx.params.rooms);
    try {
      await primeRooms(ctx.server, window.rooms);
      // The storm is the window: resources are measured while the clients connect.
      await window.begin();
      const pool = await window.connect(clients, { concurrency: clients, prime: false }).catch(async (error: unknown) => {
        // Closed anyway, so the server's next window starts clean.
        await window.end().catch(() => undefined);
        throw error;
      });
      const samples = await window.end();
      ctx.progress(0.9);
      const setupTime = createHistogram();
      for (const member of pool.members) recordUs(setupTime, member.readyUs);
      return {
        values: { setupBytes: pool.setupBytes() / pool.size },
        histograms: { setupTime },
        ...samples,
        notes: ['set-up includes one message replayed on connect: every room holds a primer message (bench/scenarios/rooms.ts primeRooms)'],
      };
    } finally {
      await window.close();
    }
  },
});
