import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Feed } from '../../servers/feed.ts';
import type { SocketIoSettings } from '../../servers/transport-plugin.ts';
import { peerBytes } from '../helpers/peer-bytes.ts';
import { transportHarness } from '../helpers/transport-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

type Mode = SocketIoSettings['transports'];

const h = transportHarness('socket-io');
const start = (feed: Feed, settings: Partial<SocketIoSettings> = {}) => h.start({ feed, socketIo: settings, limits: { maxPayload: 1_000 } });
const client = (port: number, room: string, mode: Mode, extra: { cursor?: number; reconnect?: boolean } = {}) =>
  h.client({ port, room, socketIoTransports: mode, ...extra });

/** A bare engine.io websocket connection, to send packets socket.io-client never would. */
async function rawEngine(port: number): Promise<{ ws: WebSocket; received: string[]; closed: () => boolean }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  h.defer(() => ws.terminate());
  const received: string[] = [];
  let closed = false;
  ws.on('message', (data) => received.push(data.toString()));
  ws.on('close', () => (closed = true));
  ws.on('error', () => {});
  await waitFor(() => received.length > 0, 'the engine.io open packet');
  return { ws, received, closed: () => closed };
}

const MODES: Mode[] = ['websocket', 'polling-upgrade'];

describe('#socketIo', () => {
  it.each(MODES)('%s: delivers every message of a room to each of its 3 clients exactly once, in order, and none of the other room', async (mode) => {
    const feed = new Feed({ payloadBytes: 16 });
    const port = await start(feed, { transports: mode });
    const rooms = {
      red: [client(port, 'red', mode), client(port, 'red', mode), client(port, 'red', mode)],
      blue: [client(port, 'blue', mode), client(port, 'blue', mode), client(port, 'blue', mode)],
    };
    await Promise.all(h.clients.map((c) => c.connect()));
    // One feed subscription per room, however many sockets are in it.
    expect(h.server.stats()).toMatchObject({ connections: 6, subscriptions: 2 });
    for (let n = 0; n < 20; n++) {
      feed.publish('red');
      feed.publish('blue');
    }
    const all = [...rooms.red, ...rooms.blue];
    await waitFor(() => all.every(({ log }) => log.length >= 20), 'every client to receive 20 messages');
    for (const { c } of all) await c.publish('elsewhere', 'x'); // a duplicate would have arrived before the ack
    for (const [room, members] of Object.entries(rooms)) {
      for (const { log } of members) {
        expect(log.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(log.every((m) => m.room === room)).toBe(true);
      }
    }
  });

  it('acknowledges a publish with the seq, and answers a bad one with an error in the ack', async () => {
    const feed = new Feed();
    const port = await start(feed, { transports: 'websocket' });
    const { c, log } = client(port, 'chat', 'websocket');
    await c.connect();
    expect(await c.publish('chat', 'hello')).toBe(1);
    expect(await c.publish('chat', 'again')).toBe(2);
    await waitFor(() => log.length === 2, 'own messages');
    expect(log.map((m) => m.payload)).toEqual(['hello', 'again']);
    await expect(c.publish('bad room', 'x')).rejects.toThrow(/TB_ERR_BAD_ROOM/);
    await expect(c.publish('chat', 'x'.repeat(1_001))).rejects.toThrow(/TB_ERR_PAYLOAD_TOO_LARGE/);
  });

  it('emits a binary feed with the payload as bytes, handed on as base64', async () => {
    const feed = new Feed({ binary: true, payloadBytes: 24 });
    const port = await start(feed, { transports: 'websocket' });
    const { c, log } = client(port, 'bin', 'websocket');
    await c.connect();
    const entry = feed.publish('bin');
    await waitFor(() => log.length === 1, 'the binary message');
    expect(log[0]).toEqual(entry.message);
  });

  it.each([
    ['up to 125 bytes', 16, 2],
    ['of 126 to 65,535 bytes', 400, 4],
  ])('websocket: a message frame %s costs exactly the ws header + 42["message",<json>]', async (_label, payloadBytes, header) => {
    const feed = new Feed({ payloadBytes });
    const port = await start(feed, { transports: 'websocket', recovery: false });
    const { c, log } = client(port, 'r', 'websocket');
    await c.connect();
    expect(c.bytes().steady).toEqual({ read: 0, written: 0 });
    const entry = feed.publish('r');
    await waitFor(() => log.length === 1, 'one message');
    const frame = `42["message",${entry.json}]`;
    expect(frame.length > 125).toBe(header === 4);
    expect(c.bytes().steady).toEqual({ read: header + frame.length, written: 0 });
  });

  it('polling-upgrade: set-up covers the polling handshake and the upgrade, over more than one socket', async () => {
    const feed = new Feed({ payloadBytes: 16 });
    const port = await start(feed, { transports: 'polling-upgrade', recovery: false });
    const { c, log } = client(port, 'r', 'polling-upgrade');
    await c.connect();
    const bytes = c.bytes();
    expect(bytes.setup.read).toBeGreaterThan(0);
    expect(bytes.setup.written).toBeGreaterThan(0);
    expect(bytes.sockets).toBeGreaterThan(1);
    // Ready means upgraded: the next message travels as one websocket frame.
    const before = c.meter.total().read;
    const entry = feed.publish('r');
    await waitFor(() => log.length === 1, 'one message');
    expect(c.meter.total().read - before).toBe(2 + `42["message",${entry.json}]`.length);
  });

  it.each(MODES)('%s: the meter counts exactly the bytes the server saw on its sockets (polls and upgrade included)', async (mode) => {
    const feed = new Feed({ payloadBytes: 16 });
    const server = h.build({ feed, socketIo: { transports: mode } });
    const accepted: net.Socket[] = [];
    server.app!.server.on('connection', (socket: net.Socket) => accepted.push(socket));
    const port = await server.listen({ port: 0 });
    const { c, log } = client(port, 'r', mode);
    await c.connect();
    await c.publish('r', 'hello');
    await waitFor(() => log.length === 1, 'own message');
    const seen = () => peerBytes(accepted);
    // Wait for quiet (the last frames still in flight), then compare exactly.
    await waitFor(() => JSON.stringify(seen()) === JSON.stringify(c.meter.total()), 'both ends to agree').catch(() => {});
    expect(c.meter.total()).toEqual(seen());
    expect(c.bytes().sockets).toBe(accepted.length);
  });

  it.each(MODES)('%s: with recovery, a dropped client reconnects and gets what it missed exactly once', async (mode) => {
    // A one-entry log: only Socket.IO's recovery, not the cursor backlog, can bring back three missed messages.
    const feed = new Feed({ payloadBytes: 16, logLength: 1 });
    const port = await start(feed, { transports: mode, recovery: true });
    const { c, log } = client(port, 'r', mode);
    const other = client(port, 'r', mode);
    await Promise.all([c.connect(), other.c.connect()]);
    feed.publish('r');
    feed.publish('r');
    await waitFor(() => log.length === 2 && other.log.length === 2, 'two live messages');
    h.server.dropConnections();
    // Published while the engine connections are closing: not delivered, kept by the adapter for recovery.
    for (let n = 0; n < 3; n++) feed.publish('r');
    await waitFor(() => log.length >= 5 && other.log.length >= 5, 'the missed messages');
    feed.publish('r');
    await waitFor(() => log.length >= 6, 'a live message after recovering');
    await c.publish('elsewhere', 'flush');
    for (const received of [log, other.log]) expect(received.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h.server.stats()).toMatchObject({ connections: 2, subscriptions: 1 });
  });

  it('with recovery, a sole client dropped from its room still gets what was published while the room was empty', async () => {
    const feed = new Feed({ payloadBytes: 16, logLength: 1 });
    const port = await start(feed, { transports: 'websocket', recovery: true });
    const { c, log } = client(port, 'r', 'websocket');
    await c.connect();
    feed.publish('r');
    await waitFor(() => log.length === 1, 'one live message');
    h.server.dropConnections();
    await waitFor(() => h.server.stats().connections === 0, 'the server to see the drop');
    // The room is empty now; its subscription must outlive it for the recovery window.
    expect(h.server.stats().subscriptions).toBe(1);
    for (let n = 0; n < 3; n++) feed.publish('r');
    await waitFor(() => log.length >= 4, 'the missed messages');
    expect(log.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it('without recovery, a dropped client resumes from its cursor instead', async () => {
    const feed = new Feed({ payloadBytes: 16 });
    const port = await start(feed, { transports: 'websocket', recovery: false });
    const { c, log } = client(port, 'r', 'websocket');
    await c.connect();
    feed.publish('r');
    await waitFor(() => log.length === 1, 'one live message');
    h.server.dropConnections();
    await waitFor(() => h.server.stats().connections === 0, 'the server to see the drop');
    // Without recovery the empty room is released at once.
    expect(h.server.stats().subscriptions).toBe(0);
    for (let n = 0; n < 3; n++) feed.publish('r');
    await waitFor(() => log.length >= 4, 'the missed messages');
    feed.publish('r');
    await waitFor(() => log.length >= 5, 'a live message');
    await c.publish('elsewhere', 'flush');
    expect(log.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a bad room or cursor in the handshake with a connect_error that says what was wrong', async () => {
    const port = await start(new Feed(), { transports: 'websocket' });
    await expect(client(port, 'no spaces allowed', 'websocket').c.connect()).rejects.toThrow(/room must be/);
    await expect(client(port, 'r', 'websocket', { cursor: -1 }).c.connect()).rejects.toThrow(/cursor must be a non-negative integer/);
    expect(h.server.stats()).toMatchObject({ connections: 0, subscriptions: 0 });
  });

  it('survives garbage packets and garbage publish events, then serves a normal client', async () => {
    const feed = new Feed({ payloadBytes: 8 });
    const port = await start(feed, { transports: 'websocket' });

    const engineGarbage = await rawEngine(port);
    engineGarbage.ws.send('\u0000not an engine.io packet');
    const parserGarbage = await rawEngine(port);
    parserGarbage.ws.send('40{"room":"r"}');
    await waitFor(() => parserGarbage.received.some((p) => p.startsWith('40')), 'the namespace connect');
    parserGarbage.ws.send('42["publish",{"room":');
    await waitFor(() => engineGarbage.closed() && parserGarbage.closed(), 'the server to close both');

    const events = await rawEngine(port);
    events.ws.send('40{"room":"r"}');
    await waitFor(() => events.received.some((p) => p.startsWith('40')), 'the namespace connect');
    events.ws.send('42["publish"]');
    events.ws.send('42["publish",null,1,2]');
    events.ws.send('42["publish","string",{}]');
    events.ws.send('42["unknown-event",1]');
    events.ws.send('421["publish",{"room":"r","payload":7}]');
    events.ws.send('422["publish",{"room":"r","payload":"fine"}]');
    await waitFor(() => events.received.some((p) => p.startsWith('432')), 'the second ack');
    expect(events.received.find((p) => p.startsWith('431'))).toMatch(/TB_ERR_BAD_BODY/);
    expect(events.received.find((p) => p.startsWith('432'))).toBe('432[{"seq":1}]');
    expect(events.closed()).toBe(false);

    const { c, log } = client(port, 'r', 'websocket');
    await c.connect();
    feed.publish('r');
    await waitFor(() => log.length === 2, 'the backlog and a live message for the normal client');
    expect(log.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('closes with clients connected and leaves no feed subscription behind', async () => {
    const feed = new Feed();
    const port = await start(feed, { transports: 'polling-upgrade', recovery: true });
    const a = client(port, 'r', 'polling-upgrade');
    const b = client(port, 's', 'websocket');
    await Promise.all([a.c.connect(), b.c.connect()]);
    expect(feed.subscriberCount).toBe(2);
    await h.closeServer();
    expect(feed.subscriberCount).toBe(0);
  });
});
