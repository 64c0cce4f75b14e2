import net from 'node:net';
import { Server as SocketIoServer, type Socket as SocketIoSocket } from 'socket.io';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRefusal, openRawWebSocket, type RawWebSocket } from '../../conformance/raw-ws.ts';
import type { TransportClient } from '../../clients/client.ts';
import { createClient } from '../../clients/create-client.ts';
import { buildServer } from '../../servers/build-server.ts';
import { Feed } from '../../servers/feed.ts';
import type { BenchServer } from '../../servers/transport-plugin.ts';

/**
 * One client stops reading while another keeps up and the server publishes as fast as the good client takes it.
 * The server must drop the stalled client once it holds more than maxBufferedBytes for it, never hold more
 * than the bound plus one message, and go on serving the good client every message.
 */

const MAX_BUFFERED = 256 * 1024;
const PAYLOAD_BYTES = 4096;
/** Framing around one message's JSON on any of these transports (ws header, SSE id/data lines and chunk size, Socket.IO envelope). */
const FRAMING_BYTES = 128;
/** Messages published before waiting for the good client to catch up: 64 KiB, far below the bound. */
const BATCH = 16;
/** Give up after this much (the stalled client must be dropped long before: kernel buffers are a few MiB). */
const MAX_MESSAGES = 16_000;

type PushTransport = 'ws' | 'socket-io' | 'sse' | 'tcp';

let server: BenchServer | undefined;
let good: TransportClient | undefined;
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await good?.close();
  good = undefined;
  await server?.close();
  server = undefined;
  vi.restoreAllMocks();
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A client that subscribes to room `r` over a raw socket, reads until it is ready, then stops reading. */
interface Stalled {
  socket: net.Socket;
  ws?: RawWebSocket;
  /** Bytes received, once reading resumes. */
  text(): string;
  ended(): boolean;
}

async function stall(transport: PushTransport, port: number): Promise<Stalled> {
  if (transport === 'ws' || transport === 'socket-io') {
    const path = transport === 'ws' ? '/ws?room=r' : '/socket.io/?EIO=4&transport=websocket';
    const ws = await openRawWebSocket({ port }, path);
    if (isRefusal(ws)) throw new Error(`upgrade refused: ${ws.status} ${ws.body}`);
    cleanups.push(() => ws.socket.destroy());
    if (transport === 'socket-io') {
      await waitFor(() => ws.reader.texts().length > 0, 'the engine.io open packet');
      ws.sendText('40{"room":"r","stalled":true}');
    }
    await waitFor(() => ws.reader.texts().some((t) => /^(\{"type":"ready"|40\{"sid")/.test(t)), 'the stalled client to be subscribed');
    ws.socket.pause();
    return { socket: ws.socket, ws, text: () => '', ended: () => ws.closed() || ws.reader.close() !== undefined };
  }
  const socket = net.connect({ host: '127.0.0.1', port });
  cleanups.push(() => socket.destroy());
  socket.on('error', () => {});
  let text = '';
  let ended = false;
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('close', () => (ended = true));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(transport === 'sse' ? 'GET /sse?room=r HTTP/1.1\r\nhost: x\r\n\r\n' : '{"type":"subscribe","room":"r"}\n');
  await waitFor(() => text.includes(transport === 'sse' ? ': ready' : '"type":"ready"'), 'the stalled client to be subscribed');
  socket.pause();
  return { socket, text: () => text, ended: () => ended };
}

/** How many bytes the server holds for the stalled client right now, read from the server's own objects. */
function serverQueue(transport: PushTransport, stalled: Stalled, serverSockets: net.Socket[], io: SocketIoServer | undefined): () => number {
  const mine = serverSockets.find((s) => s.remotePort === stalled.socket.localPort);
  if (!mine) throw new Error('the stalled client has no server-side socket');
  if (transport !== 'socket-io') return () => mine.writableLength;
  const socket = [...io!.of('/').sockets.values()].find((s: SocketIoSocket) => (s.handshake.auth as { stalled?: boolean }).stalled);
  if (!socket) throw new Error('the stalled client has no Socket.IO socket');
  const conn = socket.conn as unknown as { writeBuffer: { data?: string | Buffer }[] };
  // Packets waiting in engine.io's write buffer, plus what the socket under the websocket holds.
  return () => conn.writeBuffer.reduce((sum, p) => sum + 1 + (typeof p.data === 'string' ? p.data.length : (p.data?.length ?? 0)), 0) + mine.writableLength;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

describe('#slow consumer', () => {
  it.each<PushTransport>(['ws', 'socket-io', 'sse', 'tcp'])('%s: drops a client that stops reading, holds at most the bound plus one message for it, and keeps serving the others', async (transport) => {
    const createServer = transport === 'tcp' ? vi.spyOn(net, 'createServer') : undefined;
    const attach = transport === 'socket-io' ? vi.spyOn(SocketIoServer.prototype, 'attach') : undefined;
    const feed = new Feed({ payloadBytes: PAYLOAD_BYTES, logLength: 16 });
    server = buildServer({ transport, feed, limits: { maxBufferedBytes: MAX_BUFFERED }, socketIo: { transports: 'websocket' } });
    const serverSockets: net.Socket[] = [];
    const netServer = transport === 'tcp' ? (createServer!.mock.results[0].value as net.Server) : server.app!.server;
    netServer.on('connection', (socket: net.Socket) => serverSockets.push(socket));
    const io = attach?.mock.contexts[0] as SocketIoServer | undefined;
    const port = await server.listen({ port: 0 });

    const seqs: number[] = [];
    const latenciesUs: number[] = [];
    const errors: Error[] = [];
    good = createClient(transport, {
      port,
      room: 'r',
      reconnect: false,
      socketIoTransports: 'websocket',
      onMessage: (message, receivedAt) => {
        seqs.push(message.seq);
        latenciesUs.push(receivedAt - message.ts);
      },
      onError: (error) => errors.push(error),
    });
    await good.connect();
    const stalled = await stall(transport, port);
    const queue = serverQueue(transport, stalled, serverSockets, io);

    let published = 0;
    let peak = 0;
    let messageBytes = 0;
    while (server.stats().slowClientsDropped === 0 && published < MAX_MESSAGES) {
      for (let i = 0; i < BATCH && server.stats().slowClientsDropped === 0; i++) {
        messageBytes = Math.max(messageBytes, Buffer.byteLength(feed.publish('r').json));
        published++;
        peak = Math.max(peak, queue());
      }
      await waitFor(() => seqs.length === published, `the good client to take message ${published}`);
    }
    // The stalled client is cut and counted; the rest goes on.
    expect(server.stats().slowClientsDropped).toBe(1);
    expect(peak).toBeLessThanOrEqual(MAX_BUFFERED + messageBytes + FRAMING_BYTES);
    expect(peak).toBeGreaterThan(MAX_BUFFERED - messageBytes - FRAMING_BYTES);
    for (let i = 0; i < BATCH; i++) feed.publish('r');
    published += BATCH;
    await waitFor(() => seqs.length === published, 'the good client to take the messages after the drop');
    expect(seqs).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    expect(errors).toEqual([]);

    // Reading again, the stalled client finds the connection ended: with a close reason where the protocol has one.
    stalled.socket.resume();
    await waitFor(() => stalled.ended(), 'the stalled client to see the end of its connection');
    if (stalled.ws) expect(stalled.ws.reader.close()).toEqual({ code: 1008, reason: 'slow consumer' });
    // A websocket is counted until its closing handshake ends (at most the 1 s grace); then only the good client is left.
    await waitFor(() => server!.stats().connections === 1, 'the server to forget the stalled client');
    expect(server.stats()).toMatchObject({ slowClientsDropped: 1, subscriptions: 1 });

    const sorted = [...latenciesUs].sort((a, b) => a - b);
    console.info(
      `slow consumer: ${transport}: dropped after ${published - BATCH} messages of ${messageBytes} B; peak held for it ${peak} B (bound ${MAX_BUFFERED});` +
        ` the good client got all ${published}, latency p50 ${percentile(sorted, 50).toFixed(0)} µs, p99 ${percentile(sorted, 99).toFixed(0)} µs, max ${sorted.at(-1)!.toFixed(0)} µs`,
    );
  });
});
