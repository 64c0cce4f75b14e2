import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../servers/build-server.ts';
import type { Limits } from '../servers/limits.ts';
import type { FeedMessage } from '../servers/message.ts';
import type { BenchServer } from '../servers/transport-plugin.ts';
import { createLongPollingClient } from '../clients/long-polling.ts';
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

/** A bare long poll on its own socket; `answer` settles when the server answers or the socket dies. */
function rawPoll(port: number, query: string) {
  const req = http.get({ host: '127.0.0.1', port, path: `/poll?${query}`, agent: false });
  const answer = new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  answer.catch(() => {}); // aborted polls reject; tests that abort don't read the answer
  return { req, answer };
}

const until = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 5 });
const seqsOf = (messages: FeedMessage[]) => messages.map((m) => m.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('#longPolling', () => {
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

  const start = async (limits: Partial<Limits> = {}) => {
    server = buildServer({ transport: 'long-polling', limits });
    return server.listen();
  };
  const client = (options: Omit<ClientOptions, 'onMessage'> & { into: FeedMessage[] }) => {
    const c = createLongPollingClient({ onMessage: (m) => options.into.push(m), ...options });
    clients.push(c);
    return c;
  };

  it('answers at once when messages are waiting after the cursor', async () => {
    await start();
    const entries = [server!.feed.publish('a'), server!.feed.publish('a')];
    const res = await server!.app!.inject({ url: '/poll?room=a&cursor=0' });
    expect(res.body).toBe(`{"messages":[${entries[0].json},${entries[1].json}],"cursor":2}`);
  });

  it('holds a poll until a message for its room is published, then answers with it', async () => {
    const port = await start();
    const poll = rawPoll(port, 'room=a&cursor=0');
    await until(() => expect(server!.stats().waiters).toBe(1));
    server!.feed.publish('b');
    expect(server!.stats().waiters).toBe(1);
    const entry = server!.feed.publish('a', 'now');
    const answer = await poll.answer;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(`{"messages":[${entry.json}],"cursor":1}`);
    expect(server!.stats().waiters).toBe(0);
    expect(server!.feed.subscriberCount).toBe(0);
  });

  it('answers with no messages and the same cursor when longPollTimeoutMs passes', async () => {
    const port = await start({ longPollTimeoutMs: 30 });
    server!.feed.publish('a');
    const answer = await rawPoll(port, 'room=a&cursor=1').answer;
    expect(JSON.parse(answer.body)).toEqual({ messages: [], cursor: 1 });
    expect(server!.stats().waiters).toBe(0);
  });

  it('turns away a poll beyond maxLongPollWaiters with 429 and Retry-After', async () => {
    const port = await start({ maxLongPollWaiters: 2 });
    const held = [rawPoll(port, 'room=a'), rawPoll(port, 'room=b')];
    await until(() => expect(server!.stats().waiters).toBe(2));
    const refused = await rawPoll(port, 'room=c').answer;
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'TB_ERR_TOO_MANY_WAITERS', message: expect.stringContaining('too many') });
    server!.feed.publish('a');
    server!.feed.publish('b');
    await Promise.all(held.map((p) => p.answer));
    expect(server!.stats().waiters).toBe(0);
  });

  it('forgets a waiter as soon as its client hangs up', async () => {
    const port = await start();
    const poll = rawPoll(port, 'room=a');
    await until(() => expect(server!.stats()).toMatchObject({ waiters: 1, subscriptions: 1 }));
    expect(server!.feed.subscriberCount).toBe(1);
    poll.req.destroy();
    await until(() => expect(server!.stats().waiters).toBe(0));
    expect(server!.feed.subscriberCount).toBe(0);
  });

  it('leaves no waiter after 1,000 aborted long polls', async () => {
    const port = await start();
    for (let batch = 0; batch < 20; batch++) {
      const polls = Array.from({ length: 50 }, (_, i) => rawPoll(port, `room=r${i % 5}`));
      await until(() => expect(server!.stats().waiters).toBe(50));
      for (const poll of polls) poll.req.destroy();
      await until(() => expect(server!.stats().waiters).toBe(0));
    }
    expect(server!.feed.subscriberCount).toBe(0);
    expect(server!.stats().subscriptions).toBe(0);
  });

  it('ends every held poll on dropConnections() and answers them on close()', async () => {
    const port = await start();
    const dropped = rawPoll(port, 'room=a');
    await until(() => expect(server!.stats().waiters).toBe(1));
    server!.dropConnections();
    await expect(dropped.answer).rejects.toThrow();
    expect(server!.stats().waiters).toBe(0);
    expect(server!.feed.subscriberCount).toBe(0);

    const held = rawPoll(port, 'room=a');
    await until(() => expect(server!.stats().waiters).toBe(1));
    await server!.close();
    server = undefined;
    // Either the empty answer got out before the socket was closed, or the socket was cut: never a hang.
    const outcome = await held.answer.then((a) => JSON.parse(a.body), (e: Error) => e.message);
    expect([{ messages: [], cursor: 0 }, 'socket hang up', 'read ECONNRESET']).toContainEqual(outcome);
  });

  it('delivers every message of its room exactly once, in order, to 3 clients in two rooms', async () => {
    const port = await start();
    const rooms = ['red', 'red', 'blue'];
    const got = rooms.map(() => [] as FeedMessage[]);
    const errors: Error[] = [];
    rooms.forEach((room, i) => client({ port, room, into: got[i], onError: (e) => errors.push(e) }));
    // Long polls held from the start: give the first answer something to say.
    server!.feed.publish('red');
    server!.feed.publish('blue');
    await Promise.all(clients.map((c) => c.connect()));
    for (let i = 1; i < 20; i++) {
      if (i % 2 === 0) {
        server!.feed.publish('red');
        server!.feed.publish('blue');
      } else {
        expect(await clients[1].publish('red', `red ${i}`)).toBe(i + 1);
        expect(await clients[2].publish('blue', `blue ${i}`)).toBe(i + 1);
      }
    }
    server!.feed.publish('red');
    server!.feed.publish('blue');
    await until(() => expect(got.map((g) => g.length)).toEqual([21, 21, 21]));
    got.forEach((messages, i) => {
      expect(seqsOf(messages)).toEqual(range(1, 21));
      expect(new Set(messages.map((m) => m.room))).toEqual(new Set([rooms[i]]));
    });
    expect(got[2][1].payload).toBe('blue 1');
    expect(errors).toEqual([]);
    await Promise.all(clients.map((c) => c.close()));
    await until(() => expect(server!.stats().waiters).toBe(0));
  });

  it('resumes from the cursor it was created with', async () => {
    const port = await start();
    for (let i = 0; i < 10; i++) server!.feed.publish('a');
    const got: FeedMessage[] = [];
    await client({ port, room: 'a', cursor: 6, into: got }).connect();
    server!.feed.publish('a');
    await until(() => expect(seqsOf(got)).toEqual(range(7, 11)));
  });

  it('polls on after its held poll is cut, missing nothing', async () => {
    const port = await start();
    server!.feed.publish('a');
    const got: FeedMessage[] = [];
    const errors: Error[] = [];
    const c = client({ port, room: 'a', into: got, onError: (e) => errors.push(e) });
    await c.connect();
    await until(() => expect(server!.stats().waiters).toBe(1));
    server!.dropConnections();
    for (let i = 0; i < 5; i++) server!.feed.publish('a');
    await until(() => expect(seqsOf(got)).toEqual(range(1, 6)));
    expect(errors.length).toBeGreaterThan(0);
    expect(c.lastSeq).toBe(6);
  });

  it('counts exactly the bytes of one request and response on the wire as set-up', async () => {
    const port = await start();
    server!.feed.publish('a', 'hello');
    const proxy = await recordingProxy(port);
    cleanups.push(proxy.close);
    const c = client({ port: proxy.port, room: 'a', into: [] });
    await c.connect();
    const { setup } = c.bytes();
    // The client re-polls at once, so the capture may hold a second request: cut at the first one.
    const up = proxy.up();
    const down = proxy.down();
    const requestEnd = up.indexOf('\r\n\r\n') + 4;
    const headerEnd = down.indexOf('\r\n\r\n') + 4;
    const bodyLength = Number(/\r\ncontent-length: (\d+)\r\n/i.exec(down.subarray(0, headerEnd).toString('latin1'))![1]);
    const body = down.subarray(headerEnd, headerEnd + bodyLength).toString('utf8');
    expect(JSON.parse(body)).toMatchObject({ messages: [{ seq: 1, payload: 'hello' }], cursor: 1 });
    expect(down.length).toBe(headerEnd + bodyLength);
    expect(setup.written).toBe(requestEnd);
    expect(setup.read).toBe(headerEnd + bodyLength);
    expect(setup.read - Buffer.byteLength(body)).toBe(headerEnd);
    // The next poll is held; its request is the steady state's first bytes.
    await until(() => expect(server!.stats().waiters).toBe(1));
    expect(c.bytes().steady.written).toBe(proxy.up().length - requestEnd);
  });
});
