import { describe, expect, it } from 'vitest';
import { Feed } from '../../servers/feed.ts';
import type { Limits } from '../../protocol/limits.ts';
import { firstHttpExchange, recordingProxy } from '../helpers/recording-proxy.ts';
import { range, seqsOf, transportHarness } from '../helpers/transport-harness.ts';
import { until } from '../helpers/wait-for.ts';

describe('#shortPolling', () => {
  const h = transportHarness('short-polling', { pollIntervalMs: 5 });
  const start = (limits: Partial<Limits> = {}) => h.start({ limits });

  it('counts its polls and the empty ones', async () => {
    const port = await start();
    h.server.feed.publish('counted');
    const { c, log } = h.client({ port, room: 'counted' });
    await c.connect();
    expect(c.pollCounts!()).toEqual({ polls: 1, empty: 0 });
    await until(() => expect(c.pollCounts!().empty).toBeGreaterThanOrEqual(3));
    h.server.feed.publish('counted');
    await until(() => expect(log).toHaveLength(2));
    const counts = c.pollCounts!();
    expect(counts.polls - counts.empty).toBe(2);
  });

  it('answers GET /poll at once with the messages after the cursor and the next cursor', async () => {
    await start();
    const feed = h.server.feed;
    const entries = [await feed.publish('a'), await feed.publish('a'), await feed.publish('a')];
    feed.publish('b');
    const res = await h.server.app!.inject({ method: 'GET', url: '/poll?room=a&cursor=1' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toBe(`{"messages":[${entries[1].json},${entries[2].json}],"cursor":3}`);
    const empty = await h.server.app!.inject({ method: 'GET', url: '/poll?room=a&cursor=3' });
    expect(empty.json()).toEqual({ messages: [], cursor: 3 });
    const fresh = await h.server.app!.inject({ method: 'GET', url: '/poll?room=nobody' });
    expect(fresh.json()).toEqual({ messages: [], cursor: 0 });
  });

  it('caps an answer at maxPollBatch and marks a gap when the cursor is behind the log', async () => {
    const server = h.build({ limits: { maxPollBatch: 2 }, feed: new Feed({ logLength: 4 }) });
    for (let i = 0; i < 10; i++) server.feed.publish('a');
    const behind = (await server.app!.inject({ url: '/poll?room=a&cursor=1' })).json();
    expect(seqsOf(behind.messages)).toEqual([7, 8]);
    expect(behind).toMatchObject({ cursor: 8, gap: true });
    const current = (await server.app!.inject({ url: '/poll?room=a&cursor=8' })).json();
    expect(current).toEqual({ messages: expect.any(Array), cursor: 10 });
  });

  it('reports a throwing onMessage through onError, hands no message over twice and polls on', async () => {
    const port = await start();
    const seen: number[] = [];
    const { c, errors } = h.client({
      port,
      room: 'a',
      // With reconnect off a failed poll ends polling: a throwing callback must not count as one.
      reconnect: false,
      onMessage: (m) => {
        seen.push(m.seq);
        if (m.seq === 2) throw new Error('callback broke');
      },
    });
    await c.connect();
    for (let i = 0; i < 3; i++) h.server.feed.publish('a');
    await until(() => expect(seen).toContain(3));
    h.server.feed.publish('a');
    await until(() => expect(seen).toEqual([1, 2, 3, 4]));
    expect(errors.map((e) => e.message)).toEqual(['callback broke']);
  });

  it('rejects connect() when the first poll fails, and a publish with the server message', async () => {
    const port = await start();
    const { c: bad } = h.client({ port, room: 'not a room' });
    await expect(bad.connect()).rejects.toThrow(/room/);
    await expect(bad.publish('a', 'x'.repeat(2_000_000))).rejects.toThrow(/large/);
  });

  it('counts exactly the bytes of one request and response on the wire as set-up', async () => {
    const port = await start();
    h.server.feed.publish('a', 'hello');
    const proxy = await recordingProxy(port);
    h.defer(proxy.close);
    const { c } = h.client({ port: proxy.port, room: 'a', pollIntervalMs: 60_000 });
    await c.connect();
    const up = proxy.up();
    const down = proxy.down();
    const { requestEnd, headerEnd, bodyLength, body } = firstHttpExchange(up, down);
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
    const { c } = h.client({ port, room: 'a' });
    await c.connect();
    expect(h.server.stats().connections).toBe(1);
    await c.close();
    await until(() => expect(h.server.stats().connections).toBe(0));
    expect(c.bytes().sockets).toBe(1);
  });
});
