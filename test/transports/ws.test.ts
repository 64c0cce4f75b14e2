import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { isRefusal, openRawWebSocket, type ServerFrame } from '../../conformance/raw-ws.ts';
import { BACKOFF } from '../../clients/backoff.ts';
import { Feed } from '../../servers/feed.ts';
import type { Limits } from '../../protocol/limits.ts';
import { transportHarness } from '../helpers/transport-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

const h = transportHarness('ws');
const start = (feed = new Feed({ payloadBytes: 16 }), limits: Partial<Limits> = {}) => h.start({ feed, limits });
const client = (port: number, room: string, extra: { cursor?: number; reconnect?: boolean } = {}) => h.client({ port, room, ...extra });

/** Sends an upgrade request by hand; resolves with the status and body of a refusal (or 101). */
async function rawUpgrade(port: number, path: string): Promise<{ status: number; body: string }> {
  const raw = await openRawWebSocket({ port }, path);
  if (isRefusal(raw)) return raw;
  raw.socket.destroy();
  return { status: 101, body: '' };
}

/** A hand-made WebSocket client (conformance/raw-ws.ts), to send frames the ws library would refuse to send. */
async function rawWebSocket(port: number, path: string): Promise<{ frames: ServerFrame[]; send: (opcode: number, payload: Buffer) => void }> {
  const raw = await openRawWebSocket({ port }, path);
  if (isRefusal(raw)) throw new Error(`upgrade of ${path} refused: ${raw.status} ${raw.body}`);
  h.defer(() => raw.socket.destroy());
  return { frames: raw.reader.frames, send: (opcode, payload) => raw.send({ opcode, payload }) };
}

const closeCode = (frame: ServerFrame | undefined) => (frame && frame.opcode === 8 ? frame.payload.readUInt16BE(0) : undefined);

describe('#webSocket', () => {
  it('says "gap" in the ready frame when the log no longer holds the messages right after the cursor', async () => {
    const feed = new Feed({ payloadBytes: 8, logLength: 2 });
    const port = await start(feed);
    for (let n = 0; n < 5; n++) feed.publish('r');
    const raw = await rawWebSocket(port, '/ws?room=r&cursor=1');
    await waitFor(() => raw.frames.length === 3, 'ready and the two messages still held');
    expect(JSON.parse(raw.frames[0].payload.toString())).toEqual({ type: 'ready', head: 5, gap: true });
    expect(raw.frames.slice(1).map((frame) => JSON.parse(frame.payload.toString()).seq)).toEqual([4, 5]);
  });

  it('acknowledges a publish with the seq the message got, and refuses a bad one with the error code', async () => {
    const feed = new Feed();
    const port = await start(feed);
    const { c, log } = client(port, 'chat');
    await c.connect();
    expect(await c.publish('chat', 'hello')).toBe(1);
    expect(await c.publish('chat', 'again')).toBe(2);
    await waitFor(() => log.length === 2, 'own messages');
    expect(log.map((m) => m.payload)).toEqual(['hello', 'again']);
    await expect(c.publish('bad room', 'x')).rejects.toThrow(/TB_ERR_BAD_ROOM/);
  });

  it('sends a binary feed as binary frames that decode to the same message', async () => {
    const feed = new Feed({ binary: true, payloadBytes: 40 });
    const port = await start(feed);
    const { c, log } = client(port, 'bin');
    await c.connect();
    const before = c.meter.total().read;
    const entry = feed.publish('bin');
    await waitFor(() => log.length === 1, 'the binary message');
    expect(log[0]).toEqual(entry.message);
    // 24-byte header + room + raw payload, in a frame with a 2-byte header.
    expect(c.meter.total().read - before).toBe(2 + 24 + 'bin'.length + 40);
  });

  it('costs exactly P + 2 bytes per message of up to 125 bytes, and P + 6 per publish frame', async () => {
    const feed = new Feed({ payloadBytes: 32 });
    const port = await start(feed);
    const { c, log } = client(port, 'r');
    await c.connect();
    const ready = c.bytes();
    expect(ready.setup.read).toBeGreaterThan(0);
    expect(ready.steady).toEqual({ read: 0, written: 0 });

    const entry = feed.publish('r');
    expect(entry.json.length).toBeLessThanOrEqual(125);
    await waitFor(() => log.length === 1, 'one message');
    expect(c.bytes().steady).toEqual({ read: entry.json.length + 2, written: 0 });

    const beforeWritten = c.meter.total().written;
    await c.publish('other', 'p');
    const command = JSON.stringify({ type: 'publish', id: 1, room: 'other', payload: 'p' });
    expect(c.meter.total().written - beforeWritten).toBe(command.length + 6);
  });

  it('costs exactly P + 4 bytes per message of 126 to 65,535 bytes', async () => {
    const feed = new Feed({ payloadBytes: 1_000 });
    const port = await start(feed);
    const { c, log } = client(port, 'r');
    await c.connect();
    const before = c.meter.total().read;
    const entry = feed.publish('r');
    await waitFor(() => log.length === 1, 'one message');
    expect(c.meter.total().read - before).toBe(entry.json.length + 4);
  });

  it('reconnects after a drop no sooner than its first backoff (50 ms), and resumes', async () => {
    const feed = new Feed({ payloadBytes: 8 });
    const port = await start(feed);
    // When each upgrade request reaches the server: the first connect, then the reconnect.
    const upgrades: number[] = [];
    h.server.app!.server.on('upgrade', () => upgrades.push(performance.now()));
    const { c, log } = client(port, 'r');
    await c.connect();
    expect(upgrades).toHaveLength(1);
    const droppedAt = performance.now();
    h.server.dropConnections();
    await waitFor(() => upgrades.length === 2, 'the reconnect');
    // The backoff starts when the client sees the close, after the drop; 5 ms allowed for a timer firing a little
    // early on libuv's cached loop time. A client reconnecting at once would show a few ms here.
    expect(upgrades[1]! - droppedAt).toBeGreaterThanOrEqual(BACKOFF.firstMs - 5);
    feed.publish('r');
    await waitFor(() => log.length === 1, 'a message after the reconnect');
    expect(c.bytes().sockets).toBe(2);
  });

  it('does not reconnect when reconnect is false, and reports the close', async () => {
    const port = await start();
    const { c, errors } = client(port, 'r', { reconnect: false });
    await c.connect();
    h.server.dropConnections();
    await waitFor(() => errors.length > 0, 'the close to be reported');
    expect(errors[0].message).toMatch(/closed/);
    expect(c.bytes().sockets).toBe(1);
  });

  it('refuses a bad room or cursor with a 400 JSON body before upgrading', async () => {
    const port = await start();
    const badRoom = await rawUpgrade(port, '/ws?room=has%20space');
    expect(badRoom.status).toBe(400);
    expect(JSON.parse(badRoom.body)).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'TB_ERR_BAD_ROOM' });
    const noRoom = await rawUpgrade(port, '/ws');
    expect(JSON.parse(noRoom.body)).toMatchObject({ code: 'TB_ERR_BAD_ROOM', message: expect.stringMatching(/required/) });
    const badCursor = await rawUpgrade(port, '/ws?room=r&cursor=-1');
    expect(badCursor.status).toBe(400);
    expect(JSON.parse(badCursor.body)).toMatchObject({ code: 'TB_ERR_BAD_CURSOR' });
    expect((await rawUpgrade(port, '/ws?room=r&cursor=7')).status).toBe(101);
    const { c } = client(port, 'bad room');
    await expect(c.connect()).rejects.toThrow(/TB_ERR_BAD_ROOM.*HTTP 400/);
  });

  it('answers 404 to an upgrade on an unknown path and 426 to a plain GET /ws', async () => {
    const port = await start();
    const unknown = await rawUpgrade(port, '/elsewhere?room=r');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'TB_ERR_NOT_FOUND' });
    const plain = await h.server.app!.inject({ method: 'GET', url: '/ws?room=r' });
    expect(plain.statusCode).toBe(426);
    expect(plain.headers.upgrade).toBe('websocket');
    expect(plain.json()).toMatchObject({ statusCode: 426, error: 'Upgrade Required', code: 'TB_ERR_UPGRADE_REQUIRED' });
  });

  it('leaves upgrades on other paths to another upgrade handler sharing the server', async () => {
    const port = await start();
    h.server.app!.server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket) => {
      if (request.url?.startsWith('/socket.io/')) socket.end('HTTP/1.1 418 I\'m a teapot\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    });
    expect((await rawUpgrade(port, '/socket.io/?EIO=4&transport=websocket')).status).toBe(418);
    expect((await rawUpgrade(port, '/ws?room=r')).status).toBe(101);
  });

  it('answers garbage commands with error frames and keeps the connection open', async () => {
    const port = await start();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?room=r`);
    const frames: { type?: string; id?: number; code?: string }[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send('{not json');
    ws.send('[]');
    ws.send('{"type":"dance"}');
    ws.send('{"type":"subscribe","room":"r"}');
    ws.send('{"type":"publish","id":5,"room":"r"}');
    ws.send('{"type":"publish","id":6,"room":"r","payload":"x".repeat}');
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    ws.send('{"type":"publish","id":9,"room":"r","payload":"fine"}');
    await waitFor(() => frames.some((f) => f.type === 'ack'), 'the ack after the garbage');
    expect(frames[0]).toEqual({ type: 'ready', head: 0 });
    const errors = frames.filter((f) => f.type === 'error');
    expect(errors.map((f) => f.code)).toEqual(['TB_ERR_BAD_BODY', 'TB_ERR_BAD_REQUEST', 'TB_ERR_BAD_REQUEST', 'TB_ERR_BAD_REQUEST', 'TB_ERR_BAD_BODY', 'TB_ERR_BAD_BODY', 'TB_ERR_BAD_REQUEST']);
    expect(errors[4].id).toBe(5);
    expect(frames.at(-1)).toEqual({ type: 'ack', id: 9, seq: 1 });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.terminate();
  });

  it('closes with 1009 on an oversize frame and 1007 on invalid UTF-8, then serves a normal client', async () => {
    const feed = new Feed({ payloadBytes: 8 });
    const port = await start(feed, { wsMaxPayload: 64 });

    const big = await rawWebSocket(port, '/ws?room=r');
    big.send(0x1, Buffer.alloc(100, 0x61));
    await waitFor(() => big.frames.some((f) => f.opcode === 8), 'the close frame');
    expect(closeCode(big.frames.find((f) => f.opcode === 8))).toBe(1009);

    const bad = await rawWebSocket(port, '/ws?room=r');
    bad.send(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    await waitFor(() => bad.frames.some((f) => f.opcode === 8), 'the close frame');
    expect(closeCode(bad.frames.find((f) => f.opcode === 8))).toBe(1007);

    const { c, log } = client(port, 'r');
    await c.connect();
    feed.publish('r');
    await waitFor(() => log.length === 1, 'a message for the normal client');
  });

  it('closes a slow consumer with 1008 "slow consumer" and counts it', async () => {
    const feed = new Feed({ payloadBytes: 8 });
    // A negative budget makes every client "slow" at its first message, without loading the machine.
    const port = await start(feed, { maxBufferedBytes: -1 });
    const raw = await rawWebSocket(port, '/ws?room=r');
    feed.publish('r');
    await waitFor(() => raw.frames.some((f) => f.opcode === 8), 'the close frame');
    const close = raw.frames.find((f) => f.opcode === 8)!;
    expect(close.payload.readUInt16BE(0)).toBe(1008);
    expect(close.payload.subarray(2).toString()).toBe('slow consumer');
    expect(h.server.stats()).toMatchObject({ slowClientsDropped: 1, subscriptions: 0 });
  });

  it('releases every connection and subscription when clients leave', async () => {
    const feed = new Feed();
    const port = await start(feed);
    const a = client(port, 'r');
    const b = client(port, 's');
    await Promise.all([a.c.connect(), b.c.connect()]);
    expect(feed.subscriberCount).toBe(2);
    await Promise.all([a.c.close(), b.c.close()]);
    await waitFor(() => h.server.stats().connections === 0, 'the server to see the closes');
    expect(h.server.stats()).toMatchObject({ connections: 0, subscriptions: 0 });
    expect(feed.subscriberCount).toBe(0);
  });
});
