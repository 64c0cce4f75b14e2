import { describe, expect, it } from 'vitest';
import type { ServerStats } from '../../protocol/server-ipc.ts';
import { TRANSPORTS, type TransportName } from '../../protocol/transports.ts';
import { Feed } from '../../servers/feed.ts';
import { range, seqsOf, transportHarness, type RecordedClient } from '../helpers/transport-harness.ts';
import { until, waitFor } from '../helpers/wait-for.ts';

const ROOMS = ['red', 'blue'] as const;
const CLIENTS_PER_ROOM = 3;
const MESSAGES_PER_ROOM = 40;

/**
 * What each server holds for the 6 clients once they are all connected (polling: nothing steady to count), and
 * once they have all closed. Socket.IO subscribes once per room, and keeps an emptied room's subscription for
 * connection state recovery.
 */
const HELD: Record<TransportName, { connected?: Partial<ServerStats>; closed: Partial<ServerStats> }> = {
  'short-polling': { closed: { connections: 0, subscriptions: 0 } },
  'long-polling': { closed: { connections: 0, waiters: 0, subscriptions: 0 } },
  ws: { connected: { connections: 6, subscriptions: 6 }, closed: { connections: 0, subscriptions: 0 } },
  'socket-io': { connected: { connections: 6, subscriptions: 2 }, closed: { connections: 0 } },
  sse: { connected: { connections: 6, subscriptions: 6 }, closed: { connections: 0, subscriptions: 0 } },
  tcp: { connected: { connections: 6, subscriptions: 6 }, closed: { connections: 0, subscriptions: 0 } },
};

const h = transportHarness(undefined, { pollIntervalMs: 10 });
// Long polling is ready at its first answer: on an empty room that waits out the timeout (25 s by default).
const limits = { longPollTimeoutMs: 200 };

describe('delivery over every transport', () => {
  it.each(TRANSPORTS)('%s: every client gets every message of its room exactly once, in order, and none of the other room', async (transport) => {
    const feed = new Feed({ payloadBytes: 16 });
    const port = await h.start({ transport, feed, limits });

    const members: RecordedClient[] = ROOMS.flatMap((room) => Array.from({ length: CLIENTS_PER_ROOM }, () => h.client({ port, room })));
    const clients = h.clients;
    await Promise.all(clients.map((client) => client.connect()));
    if (HELD[transport].connected) expect(h.server.stats()).toMatchObject(HELD[transport].connected!);

    // Interleave the rooms; half through the feed directly, half through a client's own publish path.
    for (let n = 0; n < MESSAGES_PER_ROOM; n++) {
      for (const room of ROOMS) {
        if (n % 2 === 0) feed.publish(room);
        else await clients[0]!.publish(room, `published-${room}-${n}`);
      }
    }
    // A last message behind the others: a duplicate of an earlier one would have arrived before it.
    for (const room of ROOMS) feed.publish(room);
    await waitFor(() => members.every(({ log }) => log.length >= MESSAGES_PER_ROOM + 1), 'every client to receive every message');

    for (const [index, { c: client, log }] of members.entries()) {
      const room = ROOMS[Math.floor(index / CLIENTS_PER_ROOM)]!;
      expect(log.map((m) => m.room).every((r) => r === room)).toBe(true);
      expect(seqsOf(log)).toEqual(range(1, MESSAGES_PER_ROOM + 1));
      expect(log.filter((m) => m.seq % 2 === 0).map((m) => m.payload)).toEqual(
        Array.from({ length: MESSAGES_PER_ROOM / 2 }, (_, i) => `published-${room}-${2 * i + 1}`),
      );
      expect(client.lastSeq).toBe(MESSAGES_PER_ROOM + 1);
    }
    await Promise.all(clients.map((client) => client.close()));
    await until(() => expect(h.server.stats()).toMatchObject(HELD[transport].closed));
  });

  it.each(TRANSPORTS)('%s: after the server cuts every connection, resumes from its cursor, missing nothing and doubling nothing', async (transport) => {
    const feed = new Feed({ payloadBytes: 16 });
    const port = await h.start({ transport, feed, limits });
    const { c, log } = h.client({ port, room: 'r' });
    await c.connect();
    feed.publish('r');
    await waitFor(() => log.length === 1, 'one message');
    h.server.dropConnections();
    // Published while the client is cut off: only resuming from its cursor can bring them.
    for (let n = 0; n < 3; n++) feed.publish('r');
    await waitFor(() => log.length >= 4, 'the missed messages');
    feed.publish('r');
    await waitFor(() => log.length >= 5, 'a live message after resuming');
    // The client's own message comes last: anything doubled would have arrived before it.
    await c.publish('r', 'last');
    await waitFor(() => log.length >= 6, 'its own last message');
    expect(seqsOf(log)).toEqual(range(1, 6));
    expect(c.lastSeq).toBe(6);
  });

  it.each(TRANSPORTS)('%s: resumes from the cursor it was created with: the backlog after it, then live messages', async (transport) => {
    const feed = new Feed({ payloadBytes: 16 });
    const port = await h.start({ transport, feed, limits });
    // Backlog messages long enough that the backlog and the ready signal may share or split chunks.
    for (let n = 0; n < 10; n++) feed.publish('a', 'm'.repeat(100));
    const { c, log } = h.client({ port, room: 'a', cursor: 6 });
    await c.connect();
    feed.publish('a');
    await waitFor(() => log.length >= 5, 'the backlog and one live message');
    expect(log.map((m) => m.seq)).toEqual([7, 8, 9, 10, 11]);
    expect(log[0]).toEqual(feed.after('a', 6).entries[0]!.message);
    expect(c.lastSeq).toBe(11);
  });

  it.each(TRANSPORTS)('%s: hands a throwing onMessage to onError and goes on receiving', async (transport) => {
    const feed = new Feed({ payloadBytes: 8 });
    const port = await h.start({ transport, feed, limits });
    const seen: number[] = [];
    const { c, errors } = h.client({ port, room: 'r', onMessage: (message) => {
      seen.push(message.seq);
      if (message.seq === 1) throw new Error('callback bug');
    } });
    await c.connect();
    feed.publish('r');
    feed.publish('r');
    await waitFor(() => seen.length === 2, 'both messages');
    expect(errors.map((error) => error.message)).toEqual(['callback bug']);
    expect(c.lastSeq).toBe(2);
  });
});
