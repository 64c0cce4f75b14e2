import http from 'node:http';
import net from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { Feed } from '../../servers/feed.ts';
import { resolveLimits, type Limits } from '../../protocol/limits.ts';
import { createServerSentEvents } from '../../servers/sse.ts';
import { DEFAULT_SOCKET_IO_SETTINGS } from '../../servers/transport-plugin.ts';
import { SseParser, type SseEvent } from '../../clients/sse.ts';
import { range, seqsOf, transportHarness } from '../helpers/transport-harness.ts';
import { until } from '../helpers/wait-for.ts';

/** A bare SSE request; `text()` is everything received so far. */
function rawStream(port: number, query: string, headers: http.OutgoingHttpHeaders = {}) {
  let text = '';
  const req = http.get({ host: '127.0.0.1', port, path: `/sse?${query}`, agent: false, headers });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', () => {});
      resolve(res);
    });
    req.on('error', reject);
  });
  response.catch(() => {});
  return { req, response, text: () => text };
}

describe('#SseParser', () => {
  it('parses the same events however the stream is split', () => {
    const stream = 'retry: 1000\n: ready 0\n\nid: 1\ndata: {"é":"ü"}\n\n: ping\n\nid: 2\r\ndata: a\r\ndata: b\r\n\r\ndata:no-space\n\n';
    const expected: SseEvent[] = [{ id: '1', data: '{"é":"ü"}' }, { id: '2', data: 'a\nb' }, { id: undefined, data: 'no-space' }];
    for (let cut = 0; cut <= stream.length; cut++) {
      for (const step of [1, 3, stream.length]) {
        const events: SseEvent[] = [];
        const comments: string[] = [];
        const parser = new SseParser((e) => events.push(e), (c) => comments.push(c));
        parser.push(stream.slice(0, cut), 0);
        for (let i = cut; i < stream.length; i += step) parser.push(stream.slice(i, i + step), 0);
        expect(events).toEqual(expected);
        expect(comments).toEqual(['ready 0', 'ping']);
      }
    }
  });

  it('gives every event the arrival time of the chunk that completed it', () => {
    const times: number[] = [];
    const parser = new SseParser((_e, at) => times.push(at));
    parser.push('data: 1\n', 10);
    parser.push('\ndata: 2\n\ndata: 3', 20);
    parser.push('\n\n', 30);
    expect(times).toEqual([20, 20, 30]);
  });
});

describe('#serverSentEvents', () => {
  const h = transportHarness('sse');
  const start = (limits: Partial<Limits> = {}, feed?: Feed) => h.start({ limits, feed });

  it('sends the event-stream headers, then retry and the ready comment, then the backlog', async () => {
    const port = await start();
    const entries = [await h.server.feed.publish('a'), await h.server.feed.publish('a'), await h.server.feed.publish('a')];
    const stream = rawStream(port, 'room=a&cursor=1');
    h.defer(() => void stream.req.destroy());
    const res = await stream.response;
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    const expected = `retry: 1000\n: ready 3\n\nid: 2\ndata: ${entries[1].json}\n\nid: 3\ndata: ${entries[2].json}\n\n`;
    await until(() => expect(stream.text()).toBe(expected));
    const live = await h.server.feed.publish('a');
    h.server.feed.publish('b');
    await until(() => expect(stream.text()).toBe(`${expected}id: 4\ndata: ${live.json}\n\n`));
  });

  it('resumes from Last-Event-ID over the query cursor, and refuses an invalid one', async () => {
    const port = await start();
    for (let i = 0; i < 5; i++) h.server.feed.publish('a');
    const stream = rawStream(port, 'room=a&cursor=1', { 'last-event-id': '4' });
    h.defer(() => void stream.req.destroy());
    await until(() => expect(stream.text()).toMatch(/: ready 5\n\nid: 5\n/));
    expect(stream.text()).not.toMatch(/id: [1-4]\n/);
    const bad = await h.server.app!.inject({ url: '/sse?room=a', headers: { 'last-event-id': 'x1' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'TB_ERR_BAD_CURSOR', message: expect.stringContaining('Last-Event-ID') });
  });

  it('marks a gap when the cursor is behind the log', async () => {
    const port = await start({}, new Feed({ logLength: 2 }));
    for (let i = 0; i < 5; i++) h.server.feed.publish('a');
    const stream = rawStream(port, 'room=a&cursor=1');
    h.defer(() => void stream.req.destroy());
    await until(() => expect(stream.text()).toMatch(/^retry: 1000\n: ready 5\n\n: gap\n\nid: 4\n.*\n\nid: 5\n/));
  });

  it('removes the subscription as soon as the client hangs up', async () => {
    const port = await start();
    const stream = rawStream(port, 'room=a');
    await until(() => expect(stream.text()).toContain(': ready'));
    expect(h.server.stats()).toMatchObject({ connections: 1, subscriptions: 1 });
    stream.req.destroy();
    await until(() => expect(h.server.stats().subscriptions).toBe(0));
    expect(h.server.stats().connections).toBe(0);
    expect(h.server.feed.subscriberCount).toBe(0);
  });

  it('drops a client that lets more than maxBufferedBytes pile up', async () => {
    const port = await start({ maxBufferedBytes: 64 * 1024 }, new Feed({ logLength: 2 }));
    // A peer that asks and never reads.
    const socket = net.connect(port, '127.0.0.1');
    h.defer(() => void socket.destroy());
    socket.on('error', () => {});
    socket.write('GET /sse?room=a HTTP/1.1\r\nhost: x\r\n\r\n');
    socket.pause();
    await until(() => expect(h.server.stats().subscriptions).toBe(1));
    const payload = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 2_000 && h.server.stats().slowClientsDropped === 0; i++) h.server.feed.publish('a', payload);
    expect(h.server.stats()).toMatchObject({ slowClientsDropped: 1, subscriptions: 0, connections: 0 });
    expect(h.server.feed.subscriberCount).toBe(0);
  });

  it('sends a ping comment every heartbeat', async () => {
    const app = Fastify();
    const feed = new Feed();
    const handle = createServerSentEvents({ heartbeatMs: 10 })(app, { feed, limits: resolveLimits(), socketIo: DEFAULT_SOCKET_IO_SETTINGS });
    app.addHook('preClose', async () => handle.close?.());
    await app.listen({ port: 0, host: '127.0.0.1' });
    h.defer(() => app.close());
    const stream = rawStream((app.server.address() as net.AddressInfo).port, 'room=a');
    await until(() => expect(stream.text()).toMatch(/^retry: 1000\n: ready 0\n\n(: ping\n\n){2}/));
  });

  it('rejects connect() on a bad room, and closes its sockets on close()', async () => {
    const port = await start();
    await expect(h.client({ port, room: '../x' }).c.connect()).rejects.toThrow(/room/);
    const { c } = h.client({ port, room: 'a' });
    await c.connect();
    expect(h.server.stats().connections).toBe(1);
    await c.close();
    await until(() => expect(h.server.stats().connections).toBe(0));
  });
});
