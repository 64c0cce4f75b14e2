import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../clients/create-client.ts';
import { Feed } from '../../servers/feed.ts';
import type { Limits } from '../../protocol/limits.ts';
import { transportHarness } from '../helpers/transport-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

const h = transportHarness('tcp');
const start = (feed = new Feed({ payloadBytes: 16 }), limits: Partial<Limits> = {}) => h.start({ feed, limits });
const client = (port: number, room: string, extra: { cursor?: number; reconnect?: boolean } = {}) => h.client({ port, room, ...extra });

/** A bare socket that records the server's lines, for input the client would never send. */
async function raw(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  h.defer(() => socket.destroy());
  socket.on('error', () => {});
  const lines: Record<string, unknown>[] = [];
  let pending = '';
  let ended = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const part of parts) lines.push(JSON.parse(part));
  });
  socket.on('end', () => (ended = true));
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, lines, ended: () => ended };
}

describe('createTcpServer', () => {
  it('says "gap" in the ready line when the log no longer holds the messages right after the cursor', async () => {
    const feed = new Feed({ payloadBytes: 8, logLength: 2 });
    const port = await start(feed);
    for (let n = 0; n < 5; n++) feed.publish('r');
    const { socket, lines } = await raw(port);
    socket.write('{"type":"subscribe","room":"r","cursor":1}\n');
    await waitFor(() => lines.length === 3, 'ready and the two messages still held');
    expect(lines[0]).toEqual({ type: 'ready', head: 5, gap: true });
    expect(lines.slice(1).map((line) => line.seq)).toEqual([4, 5]);
  });

  it('acknowledges a publish with the seq the message got, and refuses a bad one with the error code', async () => {
    const port = await start(undefined, { maxPayload: 100 });
    const { c, log } = client(port, 'chat');
    await c.connect();
    expect(await c.publish('chat', 'hello')).toBe(1);
    expect(await c.publish('chat', 'again')).toBe(2);
    await waitFor(() => log.length === 2, 'own messages');
    expect(log.map((m) => m.payload)).toEqual(['hello', 'again']);
    await expect(c.publish('chat', 'x'.repeat(101))).rejects.toThrow(/TB_ERR_PAYLOAD_TOO_LARGE/);
  });

  it('costs exactly the JSON length + 1 per message', async () => {
    const feed = new Feed({ payloadBytes: 300 });
    const port = await start(feed);
    const { c, log } = client(port, 'r');
    await c.connect();
    expect(c.bytes().steady).toEqual({ read: 0, written: 0 });
    const entries = [feed.publish('r'), feed.publish('r')];
    await waitFor(() => log.length === 2, 'two messages');
    expect(c.bytes().steady.read).toBe(entries[0].json.length + entries[1].json.length + 2);
    const setup = c.bytes().setup;
    expect(setup.written).toBe(JSON.stringify({ type: 'subscribe', room: 'r', cursor: 0 }).length + 1);
    expect(setup.read).toBe('{"type":"ready","head":0}\n'.length);
  });

  it('rejects connect() when the subscription is refused', async () => {
    const port = await start();
    const { c } = client(port, 'bad room');
    await expect(c.connect()).rejects.toThrow(/TB_ERR_BAD_ROOM/);
    const { c: d } = client(port, 'r', { cursor: -4 });
    await expect(d.connect()).rejects.toThrow(/TB_ERR_BAD_CURSOR/);
  });

  it('after a subscription refused on a reconnect, reports it, closes, and subscribes again after its backoff', async () => {
    // A scripted server: connection 1 is ready then cut, connection 2 refuses the subscription, 3 is ready again.
    const answers = ['{"type":"ready","head":0}\n', '{"type":"error","code":"TB_ERR_TOO_MANY_ROOMS","message":"full"}\n', '{"type":"ready","head":0}\n'];
    const subscriptions: string[] = [];
    const sockets = new Set<net.Socket>();
    const fake = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('data', (line) => {
        subscriptions.push(line.toString().trim());
        const n = subscriptions.length;
        socket.write(answers[n - 1] ?? answers[2]!);
        if (n === 1) setTimeout(() => socket.destroy(), 20);
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    h.defer(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => fake.close(resolve));
    });
    const errors: Error[] = [];
    const c = createClient('tcp', { port: (fake.address() as net.AddressInfo).port, room: 'r', onMessage: () => {}, onError: (error) => errors.push(error) });
    h.defer(() => c.close());
    await c.connect();
    await waitFor(() => subscriptions.length >= 3, 'a third subscription after the refused one');
    expect(errors.map((e) => e.message).join(' ')).toMatch(/full/);
    expect(subscriptions.every((line) => JSON.parse(line).type === 'subscribe')).toBe(true);
    expect(c.bytes().sockets).toBe(3);
  });

  it('answers bad JSON and bad commands with error lines and keeps the connection', async () => {
    const port = await start();
    const { socket, lines } = await raw(port);
    socket.write('hello\n{"type":"dance"}\n[1]\n{"type":"publish","room":"r","payload":"x"}\n');
    socket.write('{"type":"publish","id":4,"room":"r","payload":{}}\r\n\n');
    socket.write('{"type":"subscribe","room":"r"}\n{"type":"subscribe","room":"r"}\n');
    socket.write('{"type":"publish","id":5,"room":"r","payload":"ok"}\n');
    await waitFor(() => lines.some((line) => line.type === 'ack'), 'the ack');
    expect(lines.filter((l) => l.type === 'error').map((l) => l.code)).toEqual([
      'TB_ERR_BAD_BODY',
      'TB_ERR_BAD_REQUEST',
      'TB_ERR_BAD_REQUEST',
      'TB_ERR_BAD_REQUEST',
      'TB_ERR_BAD_BODY',
      'TB_ERR_BAD_REQUEST',
    ]);
    expect(lines.find((l) => l.type === 'ready')).toEqual({ type: 'ready', head: 0 });
    expect(lines.at(-1)).toEqual({ type: 'ack', id: 5, seq: 1 });
    expect(lines.at(-2)).toMatchObject({ seq: 1, payload: 'ok' });
  });

  it('answers a line longer than tcpMaxLine with an error line and closes, then serves a normal client', async () => {
    const feed = new Feed({ payloadBytes: 8 });
    const port = await start(feed, { tcpMaxLine: 64 });
    const hostile = await raw(port);
    hostile.socket.write('{"type":"subscribe","room":"r"}\n');
    hostile.socket.write('x'.repeat(100));
    await waitFor(() => hostile.ended(), 'the server to close');
    expect(hostile.lines.at(-1)).toMatchObject({ type: 'error', code: 'TB_ERR_LINE_TOO_LONG' });
    await waitFor(() => h.server.stats().subscriptions === 0, 'the subscription to go');

    const { c, log } = client(port, 'r');
    await c.connect();
    feed.publish('r');
    await waitFor(() => log.length === 1, 'a message for the normal client');
  });

  it('drops a slow consumer and counts it', async () => {
    const feed = new Feed({ payloadBytes: 8 });
    // A negative budget makes every client "slow" at its first message, without loading the machine.
    const port = await start(feed, { maxBufferedBytes: -1 });
    const { c, log } = client(port, 'r', { reconnect: false });
    await c.connect();
    feed.publish('r');
    await waitFor(() => h.server.stats().slowClientsDropped === 1, 'the drop');
    expect(log).toEqual([]);
    expect(h.server.stats()).toMatchObject({ subscriptions: 0 });
  });

  it('releases every connection and subscription when clients leave, and closes with clients connected', async () => {
    const feed = new Feed();
    const port = await start(feed);
    const a = client(port, 'r');
    const b = client(port, 's');
    await Promise.all([a.c.connect(), b.c.connect()]);
    await a.c.close();
    await waitFor(() => h.server.stats().connections === 1, 'the server to see the close');
    expect(feed.subscriberCount).toBe(1);
    await h.closeServer();
    expect(feed.subscriberCount).toBe(0);
  });
});
