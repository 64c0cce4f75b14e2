import http from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Limits } from '../../protocol/limits.ts';
import { firstHttpExchange, recordingProxy } from '../helpers/recording-proxy.ts';
import { range, seqsOf, transportHarness } from '../helpers/transport-harness.ts';
import { until } from '../helpers/wait-for.ts';

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

describe('#longPolling', () => {
  const h = transportHarness('long-polling');
  const start = (limits: Partial<Limits> = {}) => h.start({ limits });

  it('answers at once when messages are waiting after the cursor', async () => {
    await start();
    const entries = [await h.server.feed.publish('a'), await h.server.feed.publish('a')];
    const res = await h.server.app!.inject({ url: '/poll?room=a&cursor=0' });
    expect(res.body).toBe(`{"messages":[${entries[0].json},${entries[1].json}],"cursor":2}`);
  });

  it('holds a poll until a message for its room is published, then answers with it', async () => {
    const port = await start();
    const poll = rawPoll(port, 'room=a&cursor=0');
    await until(() => expect(h.server.stats().waiters).toBe(1));
    h.server.feed.publish('b');
    expect(h.server.stats().waiters).toBe(1);
    const entry = await h.server.feed.publish('a', 'now');
    const answer = await poll.answer;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(`{"messages":[${entry.json}],"cursor":1}`);
    expect(h.server.stats().waiters).toBe(0);
    expect(h.server.feed.subscriberCount).toBe(0);
  });

  it('answers with no messages and the same cursor when longPollTimeoutMs passes', async () => {
    const port = await start({ longPollTimeoutMs: 30 });
    h.server.feed.publish('a');
    const answer = await rawPoll(port, 'room=a&cursor=1').answer;
    expect(JSON.parse(answer.body)).toEqual({ messages: [], cursor: 1 });
    expect(h.server.stats().waiters).toBe(0);
  });

  it('turns away a poll beyond maxLongPollWaiters with 429 and Retry-After', async () => {
    const port = await start({ maxLongPollWaiters: 2 });
    const held = [rawPoll(port, 'room=a'), rawPoll(port, 'room=b')];
    await until(() => expect(h.server.stats().waiters).toBe(2));
    const refused = await rawPoll(port, 'room=c').answer;
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'TB_ERR_TOO_MANY_WAITERS', message: expect.stringContaining('too many') });
    h.server.feed.publish('a');
    h.server.feed.publish('b');
    await Promise.all(held.map((p) => p.answer));
    expect(h.server.stats().waiters).toBe(0);
  });

  it('forgets a waiter as soon as its client hangs up', async () => {
    const port = await start();
    const poll = rawPoll(port, 'room=a');
    await until(() => expect(h.server.stats()).toMatchObject({ waiters: 1, subscriptions: 1 }));
    expect(h.server.feed.subscriberCount).toBe(1);
    poll.req.destroy();
    await until(() => expect(h.server.stats().waiters).toBe(0));
    expect(h.server.feed.subscriberCount).toBe(0);
  });

  it('leaves no waiter after 1,000 aborted long polls', async () => {
    const port = await start();
    for (let batch = 0; batch < 20; batch++) {
      const polls = Array.from({ length: 50 }, (_, i) => rawPoll(port, `room=r${i % 5}`));
      await until(() => expect(h.server.stats().waiters).toBe(50));
      for (const poll of polls) poll.req.destroy();
      await until(() => expect(h.server.stats().waiters).toBe(0));
    }
    expect(h.server.feed.subscriberCount).toBe(0);
    expect(h.server.stats().subscriptions).toBe(0);
  });

  it('ends every held poll on dropConnections() and answers them on close()', async () => {
    const port = await start();
    const dropped = rawPoll(port, 'room=a');
    await until(() => expect(h.server.stats().waiters).toBe(1));
    h.server.dropConnections();
    await expect(dropped.answer).rejects.toThrow();
    expect(h.server.stats().waiters).toBe(0);
    expect(h.server.feed.subscriberCount).toBe(0);

    const held = rawPoll(port, 'room=a');
    await until(() => expect(h.server.stats().waiters).toBe(1));
    await h.closeServer();
    // Either the empty answer got out before the socket was closed, or the socket was cut: never a hang.
    const outcome = await held.answer.then((a) => JSON.parse(a.body), (e: Error) => e.message);
    expect([{ messages: [], cursor: 0 }, 'socket hang up', 'read ECONNRESET']).toContainEqual(outcome);
  });

  it('counts exactly the bytes of one request and response on the wire as set-up', async () => {
    const port = await start();
    h.server.feed.publish('a', 'hello');
    const proxy = await recordingProxy(port);
    h.defer(proxy.close);
    const { c } = h.client({ port: proxy.port, room: 'a' });
    await c.connect();
    const { setup } = c.bytes();
    // The client re-polls at once, so the capture may hold a second request: cut at the first one.
    const down = proxy.down();
    const { requestEnd, headerEnd, bodyLength, body } = firstHttpExchange(proxy.up(), down);
    expect(JSON.parse(body)).toMatchObject({ messages: [{ seq: 1, payload: 'hello' }], cursor: 1 });
    expect(down.length).toBe(headerEnd + bodyLength);
    expect(setup.written).toBe(requestEnd);
    expect(setup.read).toBe(headerEnd + bodyLength);
    expect(setup.read - Buffer.byteLength(body)).toBe(headerEnd);
    // The next poll is held; its request is the steady state's first bytes.
    await until(() => expect(h.server.stats().waiters).toBe(1));
    expect(c.bytes().steady.written).toBe(proxy.up().length - requestEnd);
  });
});
