import type { z } from 'zod';
import { createHistogram, recordUs } from '../measure/histogram.ts';
import { MeasuredWindow } from './measured-window.ts';
import { primeRooms } from './rooms.ts';
import { clientsInRooms, firstPollInterval, serverOptions } from './params.ts';
import { defineScenario } from './scenario.ts';
import { waitUntil } from './waits.ts';
import type { ByteCount } from '../../clients/wire-meter.ts';
import type { PooledClient } from '../run/client-pool.ts';

/**
 * connect: a storm of N clients connecting at once (no concurrency limit). Per client: time from starting
 * to connect until ready (the client's own notion: first poll answered, stream open, upgrade done) and the
 * bytes both ways until then, Socket.IO's polling handshake and upgrade included in full.
 *
 * Set-up bytes run until the client is ready AND has received the room's primer (replayed on connect):
 * whichever comes later. A ws or TCP client is ready when its handshake answer is read, and the primer's
 * frame may arrive in that same read or in the next one; counting up to the primer makes both cases the
 * same figure (they differed by up to 120 B per connection between runs).
 */

/** How long the storm's clients are given to receive their primer after all are ready. */
const PRIMER_WAIT_MS = 5_000;

const wireSum = (bytes: ByteCount): number => bytes.read + bytes.written;

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
      // Bytes on each client's wire when its primer arrived, by pool index.
      const atPrimer = new Map<number, number>();
      const onMessage = (member: PooledClient) => {
        if (!atPrimer.has(member.index)) atPrimer.set(member.index, wireSum(member.client.meter.total()));
      };
      const pool = await window.connect(clients, { concurrency: clients, prime: false, onMessage }).catch(async (error: unknown) => {
        // Closed anyway, so the server's next window starts clean.
        await window.end().catch(() => undefined);
        throw error;
      });
      const primed = await waitUntil(() => atPrimer.size === pool.size, PRIMER_WAIT_MS, ctx.signal);
      if (!primed) throw new Error(`${pool.size - atPrimer.size} of ${pool.size} ${ctx.step.transport} clients did not receive their room's primer message within ${PRIMER_WAIT_MS} ms of connecting`);
      const samples = await window.end();
      ctx.progress(0.9);
      let setupBytes = 0;
      for (const member of pool.members) setupBytes += Math.max(wireSum(member.client.bytes().setup), atPrimer.get(member.index)!);
      const setupTime = createHistogram();
      for (const member of pool.members) recordUs(setupTime, member.readyUs);
      return {
        values: { setupBytes: setupBytes / pool.size },
        histograms: { setupTime },
        ...samples,
        notes: ['set-up includes one message replayed on connect: every room holds a primer message (bench/scenarios/rooms.ts primeRooms)'],
      };
    } finally {
      await window.close();
    }
  },
});
