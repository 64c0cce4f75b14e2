import { describe, expect, it } from 'vitest';
import { Feed } from '../../servers/feed.ts';
import { TRANSPORTS } from '../../protocol/transports.ts';
import { transportHarness, type RecordedClient } from '../helpers/transport-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

const ROOMS = ['red', 'blue'] as const;
const CLIENTS_PER_ROOM = 3;
const MESSAGES_PER_ROOM = 40;

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

    // Interleave the rooms; half through the feed directly, half through a client's own publish path.
    for (let n = 0; n < MESSAGES_PER_ROOM; n++) {
      for (const room of ROOMS) {
        if (n % 2 === 0) feed.publish(room);
        else await clients[0]!.publish(room, `published-${room}-${n}`);
      }
    }
    await waitFor(() => members.every(({ log }) => log.length >= MESSAGES_PER_ROOM), 'every client to receive every message');
    // Late duplicates would arrive now, if any.
    await new Promise((resolve) => setTimeout(resolve, 100));

    for (const [index, { c: client, log }] of members.entries()) {
      const room = ROOMS[Math.floor(index / CLIENTS_PER_ROOM)]!;
      expect(log.map((m) => m.room).every((r) => r === room)).toBe(true);
      expect(log.map((m) => m.seq)).toEqual(Array.from({ length: MESSAGES_PER_ROOM }, (_, i) => i + 1));
      expect(log.filter((m) => m.seq % 2 === 0).map((m) => m.payload)).toEqual(
        Array.from({ length: MESSAGES_PER_ROOM / 2 }, (_, i) => `published-${room}-${2 * i + 1}`),
      );
      expect(client.lastSeq).toBe(MESSAGES_PER_ROOM);
    }
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
