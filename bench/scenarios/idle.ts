import type { z } from 'zod';
import { MeasuredWindow } from './measured-window.ts';
import { clientsInRooms, duration, firstPollInterval, serverOptions } from './params.ts';
import { defineScenario } from './scenario.ts';
import { progressTicker, sleep } from './waits.ts';

/**
 * idle: N connections held open with nothing published for a while. Server memory per connection (RSS
 * after connecting and holding minus RSS before, over N) and bytes per connection per minute in both
 * directions: heartbeats, pings, re-polls. Short polling polls at its interval (the first configured one).
 */

/** The clients are connections held open with nothing published. */
export const idleParams = clientsInRooms.extend({
  /** How long they are held, ms (id key `ms`). */
  idleMs: duration,
});
export type IdleParams = z.infer<typeof idleParams>;

/** Pause after the last client is ready and before the window, so set-up traffic has finished, ms. */
const SETTLE_MS = 200;

export const idle = defineScenario({
  name: 'idle',
  params: idleParams,
  id: [['clients', 'clients'], ['idleMs', 'ms'], ['pollIntervalMs', 'poll']],

  plan(config, transport) {
    const params = { clients: config.idleClients, idleMs: config.idleMs, rooms: Math.min(config.rooms, config.idleClients), ...firstPollInterval(config, transport) };
    return [{ params, server: serverOptions(config, transport) }];
  },

  async runRepeat(ctx) {
    const { clients, idleMs } = ctx.params;
    const window = new MeasuredWindow(ctx, 'idle', ctx.params.rooms);
    try {
      // The server's memory before any client of this repeat: a zero-length resource window.
      await ctx.server.startResourceWindow();
      const before = await ctx.server.endResourceWindow();

      // Nothing is recorded per message: the clients may be held by the load agents (run --agents).
      await window.connect(clients, { agents: 'fan-out' });
      ctx.progress(0.1);
      await sleep(SETTLE_MS, ctx.signal);
      await window.begin();
      const stopTicker = progressTicker(ctx, 0.1, 0.95, idleMs);
      try {
        await sleep(idleMs, ctx.signal);
      } finally {
        stopTicker();
      }
      const { wireBytes } = await window.stop((n, example) => `${n} client errors while idle (e.g. ${example})`);
      const samples = await window.end();
      const notes = [
        'memory per connection = (server RSS after holding − RSS before connecting) / connections; RSS moves with GC and allocator pages, so small client counts are noisy',
        'periodic traffic with a period longer than the window (SSE ping 15 s, Socket.IO ping 25 s, long-poll timeout 25 s) may not show in a short window',
        `server V8 heap per connection: ${Math.round((samples.server.heapUsedBytes - before.heapUsedBytes) / clients)} bytes`,
        ...window.notes,
      ];
      return {
        values: {
          memoryPerConnectionBytes: (samples.server.rssBytes - before.rssBytes) / clients,
          idleBytesPerConnectionPerMin: wireBytes / clients / (idleMs / 60_000),
        },
        histograms: {},
        ...samples,
        notes,
      };
    } finally {
      await window.close();
    }
  },
});
