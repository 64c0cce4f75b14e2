import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../servers/build-server.ts';
import { Feed } from '../servers/feed.ts';
import type { FeedMessage } from '../servers/message.ts';
import type { BenchServer } from '../servers/transport-plugin.ts';
import { createShortPollingClient } from '../clients/short-polling.ts';
import type { ClientOptions, TransportClient } from '../clients/client.ts';

/** A loopback TCP proxy that records every byte in each direction. */
async function recordingProxy(targetPort: number) {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
    }
    client.on('data', (d: Buffer) => (up.push(d), upstream.write(d)));
    upstream.on('data', (d: Buffer) => (down.push(d), client.write(d)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    up: () => Buffer.concat(up),
    down: () => Buffer.concat(down),
    close: () => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}

describe('#shortPolling', () => {
  let server: BenchServer | undefined;
  let clients: TransportClient[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await server?.close();
    server = undefined;
  });

  const start = async (limits = {}) => {
    server = buildServer({ transport: 'short-polling', limits });
    return server.listen();
  };
  const client = (options: Omit<ClientOptions, 'onMessage'> & { into: FeedMessage[] }) => {
    const c = createShortPollingClient({ pollIntervalMs: 5, onMessage: (m) => options.into.push(m), ...options });
    clients.push(c);
    return c;
  };
  const seqsOf = (messages: FeedMessage[]) => messages.map((m) => m.seq);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('counts its polls and the empty ones', async () => {
    const port = await start();
    server!.feed.publish('counted');
    const into: FeedMessage[] = [];
    const c = client({ port, room: 'counted', into });
    await c.connect();
    expect(c.pollCounts!()).toEqual({ polls: 1, empty: 0 });
    await vi.waitFor(() => expect(c.pollCounts!().empty).toBeGreaterThanOrEqual(3));
    server!.feed.publish('counted');
    await vi.waitFor(() => expect(into).toHaveLength(2));
    const counts = c.pollCounts!();
    expect(counts.polls - counts.empty).toBe(2);
  });

  it('answers GET /poll at once with the messages after the cursor and the next cursor', async () => {
    await start();
    const feed = server!.feed;
    const entries = [feed.publish('a'), feed.publish('a'), feed.publish('a')];
    feed.publish('b');
    const res = await server!.app!.inject({ method: 'GET', url: '/poll?room=a&cursor=1' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toBe(`{"messages":[${entries[1].json},${entries[2].json}],"cursor":3}`);
    const empty = await server!.app!.inject({ method: 'GET', url: '/poll?room=a&cursor=3' });
    expect(empty.json()).toEqual({ messages: [], cursor: 3 });
    const fresh = await server!.app!.inject({ method: 'GET', url: '/poll?room=nobody' });
    expect(fresh.json()).toEqual({ messages: [], cursor: 0 });
  });

  it('caps an answer at maxPollBatch and marks a gap when the cursor is behind the log', async () => {
    server = buildServer({ transport: 'short-polling', limits: { maxPollBatch: 2 }, feed: new Feed({ logLength: 4 }) });
    for (let i = 0; i < 10; i++) server.feed.publish('a');
    const behind = (await server.app!.inject({ url: '/poll?room=a&cursor=1' })).json();
    expect(seqsOf(behind.messages)).toEqual([7, 8]);
    expect(behind).toMatchObject({ cursor: 8, gap: true });
    const current = (await server.app!.inject({ url: '/poll?room=a&cursor=8' })).json();
    expect(current).toEqual({ messages: expect.any(Array), cursor: 10 });
  });

  it('delivers every message of its room exactly once, in order, to 3 clients in two rooms', async () => {
    const port = await start();
    const rooms = ['red', 'red', 'blue'];
    const got = rooms.map(() => [] as FeedMessage[]);
    const errors: Error[] = [];
    rooms.forEach((room, i) => client({ port, room, into: got[i], onError: (e) => errors.push(e) }));
    await Promise.all(clients.map((c) => c.connect()));
    for (let i = 0; i < 20; i++) {
      if (i % 2 === 0) {
        server!.feed.publish('red');
        server!.feed.publish('blue');
      } else {
        expect(await clients[0].publish('red', `red ${i}`)).toBe(i + 1);
        expect(await clients[2].publish('blue', `blue ${i}`)).toBe(i + 1);
      }
    }
    // A last message each: anything doubled would have arrived before it.
    server!.feed.publish('red');
    server!.feed.publish('blue');
    await vi.waitFor(() => expect(got.map((g) => g.length)).toEqual([21, 21, 21]), { timeout: 10_000, interval: 10 });
    got.forEach((messages, i) => {
      expect(seqsOf(messages)).toEqual(range(1, 21));
      expect(new Set(messages.map((m) => m.room))).toEqual(new Set([rooms[i]]));
    });
    expect(got[0][1].payload).toBe('red 1');
    expect(clients[0].lastSeq).toBe(21);
    expect(errors).toEqual([]);
  });

  it('resumes from the cursor it was created with', async () => {
    const port = await start();
    for (let i = 0; i < 10; i++) server!.feed.publish('a');
    const got: FeedMessage[] = [];
    const c = client({ port, room: 'a', cursor: 6, into: got });
    await c.connect();
    server!.feed.publish('a');
    await vi.waitFor(() => expect(seqsOf(got)).toEqual(range(7, 11)), { timeout: 10_000, interval: 10 });
  });

  it('polls on after its connections are cut, missing nothing', async () => {
    const port = await start();
    const got: FeedMessage[] = [];
    const c = client({ port, room: 'a', into: got, onError: () => {} });
    await c.connect();
    server!.feed.publish('a');
    await vi.waitFor(() => expect(got).toHaveLength(1), { timeout: 10_000, interval: 10 });
    server!.dropConnections();
    for (let i = 0; i < 5; i++) server!.feed.publish('a');
    await vi.waitFor(() => expect(seqsOf(got)).toEqual(range(1, 6)), { timeout: 10_000, interval: 10 });
  });

  it('reports a throwing onMessage through onError and hands no message over twice', async () => {
    const port = await start();
    const seen: number[] = [];
    const errors: Error[] = [];
    const c = createShortPollingClient({
      port,
      room: 'a',
      pollIntervalMs: 5,
      onMessage: (m) => {
        seen.push(m.seq);
        if (m.seq === 2) throw new Error('callback broke');
      },
      onError: (e) => errors.push(e),
    });
    clients.push(c);
    await c.connect();
    for (let i = 0; i < 3; i++) server!.feed.publish('a');
    await vi.waitFor(() => expect(seen).toContain(3), { timeout: 10_000, interval: 10 });
    server!.feed.publish('a');
    await vi.waitFor(() => expect(seen).toEqual([1, 2, 3, 4]), { timeout: 10_000, interval: 10 });
    expect(errors.map((e) => e.message)).toEqual(['callback broke']);
  });

  it('goes on polling after a throwing onMessage, even with reconnect off', async () => {
    const port = await start();
    const seen: number[] = [];
    const errors: Error[] = [];
    const c = createShortPollingClient({
      port,
      room: 'a',
      pollIntervalMs: 5,
      reconnect: false,
      onMessage: (m) => {
        seen.push(m.seq);
        throw new Error('callback broke');
      },
      onError: (e) => errors.push(e),
    });
    clients.push(c);
    await c.connect();
    server!.feed.publish('a');
    await vi.waitFor(() => expect(seen).toEqual([1]), { timeout: 10_000, interval: 10 });
    server!.feed.publish('a');
    await vi.waitFor(() => expect(seen).toEqual([1, 2]), { timeout: 10_000, interval: 10 });
    expect(errors.map((e) => e.message)).toEqual(['callback broke', 'callback broke']);
  });

  it('rejects connect() when the first poll fails, and a publish with the server message', async () => {
    const port = await start();
    const bad = client({ port, room: 'not a room', into: [] });
    await expect(bad.connect()).rejects.toThrow(/room/);
    await expect(bad.publish('a', 'x'.repeat(2_000_000))).rejects.toThrow(/large/);
  });

  it('counts exactly the bytes of one request and response on the wire as set-up', async () => {
    const port = await start();
    server!.feed.publish('a', 'hello');
    const proxy = await recordingProxy(port);
    cleanups.push(proxy.close);
    const c = client({ port: proxy.port, room: 'a', into: [], pollIntervalMs: 60_000 });
    await c.connect();
    const up = proxy.up();
    const down = proxy.down();
    const requestEnd = up.indexOf('\r\n\r\n') + 4;
    const headerEnd = down.indexOf('\r\n\r\n') + 4;
    const bodyLength = Number(/\r\ncontent-length: (\d+)\r\n/i.exec(down.subarray(0, headerEnd).toString('latin1'))![1]);
    const body = down.subarray(headerEnd, headerEnd + bodyLength).toString('utf8');
    expect(JSON.parse(body)).toMatchObject({ messages: [{ seq: 1, payload: 'hello' }], cursor: 1 });
    // One GET and its answer, nothing else yet; the meter's set-up is exactly those bytes.
    expect(up.length).toBe(requestEnd);
    expect(down.length).toBe(headerEnd + bodyLength);
    const { setup } = c.bytes();
    expect(setup.written).toBe(requestEnd);
    expect(setup.read).toBe(down.length);
    expect(setup.read - Buffer.byteLength(body)).toBe(headerEnd);
  });

  it('closes its sockets on close()', async () => {
    const port = await start();
    const c = client({ port, room: 'a', into: [] });
    await c.connect();
    expect(server!.stats().connections).toBe(1);
    await c.close();
    await vi.waitFor(() => expect(server!.stats().connections).toBe(0), { timeout: 10_000, interval: 10 });
    expect(c.bytes().sockets).toBe(1);
  });
});
