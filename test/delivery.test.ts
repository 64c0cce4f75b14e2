import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../servers/build-server.ts';
import { Feed } from '../servers/feed.ts';
import { TRANSPORTS, type FeedMessage } from '../servers/message.ts';
import type { BenchServer } from '../servers/transport-plugin.ts';
import { createClient } from '../clients/create-client.ts';
import type { TransportClient } from '../clients/client.ts';

const ROOMS = ['red', 'blue'] as const;
const CLIENTS_PER_ROOM = 3;
const MESSAGES_PER_ROOM = 40;

let server: BenchServer | undefined;
let clients: TransportClient[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  clients = [];
  await server?.close();
  server = undefined;
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('delivery over every transport', () => {
  it.each(TRANSPORTS)('%s: every client gets every message of its room exactly once, in order, and none of the other room', async (transport) => {
    const feed = new Feed({ payloadBytes: 16 });
    server = buildServer({ transport, feed });
    const port = await server.listen({ port: 0 });

    const received = new Map<TransportClient, FeedMessage[]>();
    for (const room of ROOMS) {
      for (let i = 0; i < CLIENTS_PER_ROOM; i++) {
        const log: FeedMessage[] = [];
        const client = createClient(transport, { port, room, pollIntervalMs: 10, onMessage: (message) => log.push(message) });
        received.set(client, log);
        clients.push(client);
      }
    }
    await Promise.all(clients.map((client) => client.connect()));

    // Interleave the rooms; half through the feed directly, half through a client's own publish path.
    for (let n = 0; n < MESSAGES_PER_ROOM; n++) {
      for (const room of ROOMS) {
        if (n % 2 === 0) feed.publish(room);
        else await clients[0]!.publish(room, `published-${room}-${n}`);
      }
    }
    await waitFor(() => [...received.values()].every((log) => log.length >= MESSAGES_PER_ROOM), 'every client to receive every message');
    // Late duplicates would arrive now, if any.
    await new Promise((resolve) => setTimeout(resolve, 100));

    for (const [index, [client, log]] of [...received].entries()) {
      const room = ROOMS[Math.floor(index / CLIENTS_PER_ROOM)]!;
      expect(log.map((m) => m.room).every((r) => r === room)).toBe(true);
      expect(log.map((m) => m.seq)).toEqual(Array.from({ length: MESSAGES_PER_ROOM }, (_, i) => i + 1));
      expect(log.filter((m) => m.seq % 2 === 0).map((m) => m.payload)).toEqual(
        Array.from({ length: MESSAGES_PER_ROOM / 2 }, (_, i) => `published-${room}-${2 * i + 1}`),
      );
      expect(client.lastSeq).toBe(MESSAGES_PER_ROOM);
    }
  });
});
