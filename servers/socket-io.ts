import { nowUs } from '../protocol/clock.ts';
import type { IncomingMessage } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { checkPublishBody, checkSubscription, publishToFeed } from './command.ts';
import { errorBody } from '../protocol/error-codes.ts';
import type { CommandError } from '../protocol/control-frames.ts';
import type { FeedEntry } from './feed.ts';
import { deferredFailure } from './message-feed.ts';
import { SlowConsumerGuard } from './socket-io-slow-consumer.ts';
import type { TransportPlugin } from './transport-plugin.ts';

/**
 * Socket.IO transport: path `/socket.io/`, event `message`. The room and cursor come with the handshake;
 * the backlog is emitted to the socket, live messages are broadcast to the room (one feed subscription per
 * room), and connection state recovery replays what a briefly disconnected client missed.
 * docs/protocol.md, "Transports / Socket.IO", is the contract.
 */

export const SOCKET_IO_PATH = '/socket.io/';
/** How long a disconnected client's session (and the packets it misses) is kept for recovery, ms. */
export const RECOVERY_WINDOW_MS = 120_000;

/** Close code and reason for a slow consumer on the websocket transport, as the ws transport sends them. */
const CLOSE_SLOW_CONSUMER = 1008;
const SLOW_CONSUMER_REASON = 'slow consumer';
/** How long a slow consumer gets to take the close frame before its websocket is cut, ms. */
const SLOW_CONSUMER_GRACE_MS = 1_000;

/** Socket.IO rooms are prefixed so a feed room can never be mistaken for a socket's own id room. */
const roomKey = (room: string) => `feed:${room}`;

/** What travels in `42["message",…]`: the message, or with a binary feed the same fields with the payload as bytes. */
function wireMessage(entry: FeedEntry): object {
  if (!entry.bytes) return entry.message;
  const { seq, room, ts, at } = entry.message;
  return { seq, room, ts, at, payload: entry.bytes };
}

interface RoomSubscription {
  unsubscribe: () => void;
  /** Set while the room is empty but sessions that were in it may still be recovered. */
  expiry?: NodeJS.Timeout;
}

export const socketIo: TransportPlugin = (app, ctx) => {
  const { feed, limits } = ctx;
  const recovery = ctx.socketIo.recovery;
  const io = new Server(app.server, {
    path: SOCKET_IO_PATH,
    serveClient: false,
    transports: ctx.socketIo.transports === 'websocket' ? ['websocket'] : ['polling', 'websocket'],
    maxHttpBufferSize: limits.wsMaxPayload,
    connectionStateRecovery: recovery ? { maxDisconnectionDuration: RECOVERY_WINDOW_MS, skipMiddlewares: true } : undefined,
  });
  // engine.io answers its own requests, past Fastify's hooks (servers/cors.ts): pages of another origin may read
  // its polling answers. Only requests with an Origin get the header (engine.io's own `cors` option would put it
  // on a Node client's every answer too); socket.io-client's requests are simple ones, so no preflight is needed.
  io.engine.on('headers', (headers: Record<string, string>, request: IncomingMessage) => {
    if (request.headers.origin !== undefined) headers['Access-Control-Allow-Origin'] = '*';
  });
  const rooms = new Map<string, RoomSubscription>();
  let slowClientsDropped = 0;

  // Socket.IO never drops a slow client: a peer that stops reading would grow its write buffer without bound.
  const slow = new SlowConsumerGuard(limits.maxBufferedBytes, (socket) => {
    slowClientsDropped++;
    const ws = (socket.conn.transport as unknown as { socket?: { close(code: number, reason: string): void; terminate(): void } }).socket;
    if (ws && socket.conn.transport.name === 'websocket') {
      // The close frame queues behind what the client has not read; don't wait ws's 30 s for it.
      ws.close(CLOSE_SLOW_CONSUMER, SLOW_CONSUMER_REASON);
      setTimeout(() => ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
    }
    // Discard the write buffer and close the engine connection now ("forced close": recovery may resume it).
    socket.conn.close(true);
  });

  const release = (room: string) => {
    const subscription = rooms.get(room);
    if (!subscription) return;
    clearTimeout(subscription.expiry);
    subscription.unsubscribe();
    rooms.delete(room);
  };

  const ensureRoom = (room: string) => {
    const existing = rooms.get(room);
    if (existing) {
      clearTimeout(existing.expiry);
      existing.expiry = undefined;
      return;
    }
    const key = roomKey(room);
    // One subscription per room: Socket.IO encodes the packet once and writes it to every member.
    const unsubscribe = feed.subscribe(room, (entry) => {
      slow.check();
      io.to(key).emit('message', wireMessage(entry));
    });
    rooms.set(room, { unsubscribe });
  };

  io.of('/').adapter.on('delete-room', (key: string) => {
    if (!key.startsWith('feed:')) return;
    const room = key.slice('feed:'.length);
    const subscription = rooms.get(room);
    if (!subscription) return;
    if (!recovery) return release(room);
    // Keep broadcasting into the empty room: recovery can only replay packets that were broadcast.
    subscription.expiry = setTimeout(() => release(room), RECOVERY_WINDOW_MS);
    subscription.expiry.unref();
  });

  io.use((socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    const query = socket.handshake.query;
    const checked = checkSubscription(auth.room ?? query.room, auth.cursor ?? query.cursor);
    if ('type' in checked) {
      // The client gets connect_error with this message and the error body as `data`.
      const refusal = Object.assign(new Error(checked.message), { data: errorBody(400, checked.code, checked.message) });
      return next(refusal);
    }
    socket.data.room = checked.room;
    socket.data.cursor = checked.cursor;
    // A shared feed's replica may not have reached a cursor another node gave out yet (never on the memory feed).
    const behind = feed.catchUp(checked.room, checked.cursor);
    if (behind) void behind.then(() => next()).catch(deferredFailure);
    else next();
  });

  const onPublish = (socket: Socket, args: unknown[]) => {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (answer: unknown) => void) : undefined;
    const body = checkPublishBody(args[0], limits.maxPayload);
    const answer = (result: { seq: number } | CommandError): void => {
      if (!ack) return;
      if ('type' in result) ack({ error: { code: result.code, message: result.message } });
      else ack({ seq: result.seq });
    };
    if ('type' in body) answer(body);
    else publishToFeed(feed, body.room, body.payload, undefined, answer);
  };

  io.on('connection', (socket) => {
    const room = socket.data.room as string;
    ensureRoom(room);
    slow.watch(socket);
    socket.on('publish', (...args: unknown[]) => onPublish(socket, args));
    // The clock ping-pong (docs/protocol.md): answered through its ack, ignored without one.
    socket.on('clock', (...args: unknown[]) => {
      const ack = args.at(-1);
      if (typeof ack === 'function') ack({ now: nowUs() });
    });
    // A recovered socket is back in its rooms and Socket.IO has queued what it missed.
    if (socket.recovered) return;
    // Join, backlog and live broadcast in one tick: the feed delivers synchronously, so nothing slips between.
    void socket.join(roomKey(room));
    const { entries, head, reset } = feed.after(room, socket.data.cursor as number);
    // A cursor beyond the head (the server restarted, so recovery failed too): say so before the backlog.
    if (reset) socket.emit('reset', { head });
    for (const entry of entries) {
      slow.check();
      if (socket.disconnected) return;
      socket.emit('message', wireMessage(entry));
    }
  });

  return {
    stats: () => ({ connections: io.of('/').sockets.size, waiters: 0, subscriptions: rooms.size, slowClientsDropped }),
    dropConnections() {
      // Close the engine connections, not the Socket.IO sockets: the client must see an unexpected
      // "transport close" so it reconnects, and the server keeps the session for recovery.
      for (const socket of io.of('/').sockets.values()) socket.conn.close();
    },
    async close() {
      for (const room of [...rooms.keys()]) release(room);
      await io.close();
    },
  };
};
