import http from 'node:http';
import net from 'node:net';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Feed } from '../../servers/feed.ts';
import { TRANSPORTS } from '../../protocol/transports.ts';
import { range, seqsOf, transportHarness } from '../helpers/transport-harness.ts';
import { until } from '../helpers/wait-for.ts';

/**
 * A cursor beyond the room's head means the server restarted and lost its in-memory log: every transport
 * serves the room from the start of its log and says so, and every bundled client adopts the new numbering
 * (docs/protocol.md, "Resuming after a server restart").
 */

const h = transportHarness(undefined, { pollIntervalMs: 20 });

/** Lines of a raw socket, as they arrive. */
function lines(socket: net.Socket): string[] {
  const out: string[] = [];
  let rest = '';
  socket.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop()!;
    out.push(...parts);
  });
  return out;
}

describe('#Feed.after', () => {
  it('serves a cursor beyond the head from the log\'s start and says reset', () => {
    const feed = new Feed();
    for (let i = 0; i < 3; i++) feed.publish('a');
    expect(feed.after('a', 9)).toMatchObject({ head: 3, gap: false, reset: true });
    expect(seqsOf(feed.after('a', 9).entries.map((e) => e.message))).toEqual([1, 2, 3]);
    expect(feed.after('none', 1)).toEqual({ entries: [], gap: false, head: 0, reset: true });
    expect(feed.after('a', 3)).not.toHaveProperty('reset');
  });
});

describe('#cursor reset on the wire', () => {
  for (const transport of ['short-polling', 'long-polling'] as const) {
    it(`${transport}: answers a cursor beyond the head at once, from the log's start, with reset and the new cursor`, async () => {
      const server = h.build({ transport });
      server.feed.publish('lobby');
      server.feed.publish('lobby');
      const full = await server.app!.inject({ url: '/poll?room=lobby&cursor=9' });
      expect(JSON.parse(full.body)).toMatchObject({ cursor: 2, reset: true });
      expect(JSON.parse(full.body).messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2]);
      // An empty room: answered at once (not held), cursor 0.
      const empty = await server.app!.inject({ url: '/poll?room=empty&cursor=9' });
      expect(JSON.parse(empty.body)).toEqual({ messages: [], cursor: 0, reset: true });
      const normal = await server.app!.inject({ url: '/poll?room=lobby&cursor=1' });
      expect(JSON.parse(normal.body)).not.toHaveProperty('reset');
    });
  }

  it('ws: the ready frame says reset and the backlog starts at seq 1', async () => {
    const port = await h.start({ transport: 'ws' });
    h.server.feed.publish('lobby');
    h.server.feed.publish('lobby');
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?room=lobby&cursor=9`);
    h.defer(() => socket.terminate());
    const frames: string[] = [];
    socket.on('message', (data) => frames.push(data.toString()));
    await until(() => expect(frames).toHaveLength(3));
    expect(JSON.parse(frames[0])).toEqual({ type: 'ready', head: 2, reset: true });
    expect(frames.slice(1).map((f) => JSON.parse(f).seq)).toEqual([1, 2]);
  });

  it('tcp: the ready line says reset and the backlog starts at seq 1', async () => {
    const port = await h.start({ transport: 'tcp' });
    h.server.feed.publish('lobby');
    h.server.feed.publish('lobby');
    const socket = net.connect({ host: '127.0.0.1', port });
    h.defer(() => socket.destroy());
    const got = lines(socket);
    socket.write('{"type":"subscribe","room":"lobby","cursor":9}\n');
    await until(() => expect(got).toHaveLength(3));
    expect(JSON.parse(got[0])).toEqual({ type: 'ready', head: 2, reset: true });
    expect(got.slice(1).map((l) => JSON.parse(l).seq)).toEqual([1, 2]);
  });

  it('sse: a Last-Event-ID beyond the head gets a reset comment, then events from seq 1, and live ones after', async () => {
    const port = await h.start({ transport: 'sse' });
    h.server.feed.publish('lobby');
    let text = '';
    const request = http.get({ host: '127.0.0.1', port, path: '/sse?room=lobby', headers: { 'last-event-id': '9' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
    });
    request.on('error', () => {});
    h.defer(() => request.destroy());
    await until(() => expect(text).toContain('id: 1\n'));
    expect(text).toMatch(/^retry: 1000\n: ready 1\n\n: reset\n\nid: 1\n/);
    // Live messages below the old cursor are sent too: the stream follows the new numbering.
    h.server.feed.publish('lobby');
    await until(() => expect(text).toContain('id: 2\n'));
  });

  it('socket-io: a reset event with the head comes before the backlog from seq 1', async () => {
    const port = await h.start({ transport: 'socket-io', socketIo: { transports: 'websocket' } });
    h.server.feed.publish('lobby');
    h.server.feed.publish('lobby');
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], auth: { room: 'lobby', cursor: 9 }, forceNew: true, reconnection: false });
    h.defer(() => socket.disconnect());
    const events: Array<[string, unknown]> = [];
    socket.on('reset', (body: unknown) => events.push(['reset', body]));
    socket.on('message', (message: { seq: number }) => events.push(['message', message.seq]));
    await until(() => expect(events).toHaveLength(3));
    expect(events).toEqual([['reset', { head: 2 }], ['message', 1], ['message', 2]]);
  });
});

describe('#cursor reset in the clients', () => {
  for (const transport of TRANSPORTS) {
    it(`${transport}: a client follows a restarted server whose feed starts again at seq 1`, async () => {
      const options = { transport, limits: { longPollTimeoutMs: 200 } };
      const port = await h.start(options);
      for (let i = 0; i < 5; i++) h.server.feed.publish('lobby');
      const { c, log } = h.client({ port, room: 'lobby' });
      await c.connect();
      await until(() => expect(seqsOf(log)).toEqual(range(1, 5)));

      // The server goes away with its log; a fresh one (new feed, empty room) takes the port.
      h.server.dropConnections();
      await h.closeServer();
      await h.build(options).listen({ port });
      // Back and told of the reset, the client starts over at 0 (a later resume asks from the new log's start).
      await until(() => expect(c.lastSeq).toBe(0));
      for (let i = 0; i < 3; i++) h.server.feed.publish('lobby');

      // Without the reset the client would wait for seq 6 and miss all three.
      await until(() => expect(seqsOf(log)).toEqual([...range(1, 5), 1, 2, 3]));
      expect(c.lastSeq).toBe(3);
      h.server.feed.publish('lobby');
      await until(() => expect(seqsOf(log).slice(-1)).toEqual([4]));
    });
  }
});
