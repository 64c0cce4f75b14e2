import type { Scenario } from './scenario.ts';
import { connectPool, expectStep, firstPollInterval, makeStep, numberParam, primeRooms, progressTicker, repeatRooms, serverOptions, sleep } from './common.ts';

/**
 * idle: N connections held open with nothing published for a while. Server memory per connection (RSS
 * after connecting and holding minus RSS before, over N) and bytes per connection per minute in both
 * directions: heartbeats, pings, re-polls. Short polling polls at its interval (the first configured one).
 */

/** Pause after the last client is ready and before the window, so set-up traffic has finished, ms. */
const SETTLE_MS = 200;

export const idle: Scenario = {
  name: 'idle',

  plan(config, transport) {
    const poll = firstPollInterval(config, transport);
    const idParts = { clients: config.idleClients, ms: config.idleMs, ...poll.id };
    const params = { clients: config.idleClients, idleMs: config.idleMs, rooms: Math.min(config.rooms, config.idleClients), ...poll.params };
    return [makeStep('idle', transport, idParts, params, serverOptions(config, transport))];
  },

  async runRepeat(ctx) {
    const step = expectStep(ctx, 'idle');
    const clients = numberParam(step, 'clients');
    const idleMs = numberParam(step, 'idleMs');
    const rooms = repeatRooms('idle', Math.max(1, numberParam(step, 'rooms')));
    await primeRooms(ctx.server, rooms);

    // The server's memory before any client of this repeat: a zero-length resource window.
    await ctx.server.startResourceWindow();
    const before = await ctx.server.endResourceWindow();

    const pool = await connectPool(ctx, clients, rooms);
    try {
      ctx.progress(0.1);
      await sleep(SETTLE_MS, ctx.signal);
      pool.resetSteady();
      await ctx.server.startResourceWindow();
      ctx.generator.start();
      const stopTicker = progressTicker(ctx, 0.1, 0.95, idleMs);
      try {
        await sleep(idleMs, ctx.signal);
      } finally {
        stopTicker();
      }
      const wireBytes = pool.steadyBytes();
      const generator = ctx.generator.end();
      const server = await ctx.server.endResourceWindow();
      const notes = [
        'memory per connection = (server RSS after holding − RSS before connecting) / connections; RSS moves with GC and allocator pages, so small client counts are noisy',
        'periodic traffic with a period longer than the window (SSE ping 15 s, Socket.IO ping 25 s, long-poll timeout 25 s) may not show in a short window',
      ];
      notes.push(`server V8 heap per connection: ${Math.round((server.heapUsedBytes - before.heapUsedBytes) / clients)} bytes`);
      const errors = pool.errors();
      if (errors.count > 0) notes.push(`${errors.count} client errors while idle (e.g. ${errors.example})`);
      return {
        values: {
          memoryPerConnectionBytes: (server.rssBytes - before.rssBytes) / clients,
          idleBytesPerConnectionPerMin: wireBytes / clients / (idleMs / 60_000),
        },
        histograms: {},
        server,
        generator,
        notes,
      };
    } finally {
      await pool.close();
    }
  },
};
