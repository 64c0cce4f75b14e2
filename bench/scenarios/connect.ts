import { ClientPool } from '../run/client-pool.ts';
import { createHistogram, recordUs } from '../measure/histogram.ts';
import type { Scenario } from './scenario.ts';
import { clientOptionsFor, expectStep, firstPollInterval, makeStep, numberParam, primeRooms, repeatRooms, serverOptions } from './common.ts';

/**
 * connect: a storm of N clients connecting at once (no concurrency limit). Per client: time from starting
 * to connect until ready (the client's own notion: first poll answered, stream open, upgrade done) and the
 * bytes both ways until then, Socket.IO's polling handshake and upgrade included in full.
 */
export const connect: Scenario = {
  name: 'connect',

  plan(config, transport) {
    const poll = firstPollInterval(config, transport);
    const idParts = { clients: config.connectClients, ...poll.id };
    const params = { clients: config.connectClients, rooms: Math.min(config.rooms, config.connectClients), ...poll.params };
    return [makeStep('connect', transport, idParts, params, serverOptions(config, transport))];
  },

  async runRepeat(ctx) {
    const step = expectStep(ctx, 'connect');
    const clients = numberParam(step, 'clients');
    const rooms = repeatRooms('connect', Math.max(1, numberParam(step, 'rooms')));
    await primeRooms(ctx.server, rooms);

    await ctx.server.startResourceWindow();
    ctx.generator.start();
    let pool: ClientPool;
    try {
      pool = await ClientPool.connect({
        transport: step.transport,
        host: ctx.server.host,
        port: ctx.server.port,
        clients,
        rooms,
        clientOptions: clientOptionsFor(step),
        concurrency: clients,
        signal: ctx.signal,
      });
    } catch (error) {
      // Close the windows anyway, so the server's next window starts clean.
      ctx.generator.end();
      await ctx.server.endResourceWindow().catch(() => undefined);
      throw error;
    }
    try {
      const generator = ctx.generator.end();
      const server = await ctx.server.endResourceWindow();
      ctx.progress(0.9);
      const setupTime = createHistogram();
      for (const member of pool.members) recordUs(setupTime, member.readyUs);
      return {
        values: { setupBytes: pool.setupBytes() / pool.size },
        histograms: { setupTime },
        server,
        generator,
        notes: ['set-up includes one message replayed on connect: every room holds a primer message (bench/scenarios/common.ts primeRooms)'],
      };
    } finally {
      await pool.close();
    }
  },
};
