import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeBinaryFrame } from '../protocol/binary-frame.ts';
import { lastEntryCache } from './entry-cache.ts';
import { checkSubscription, parseCommand, publishToFeed } from './command.ts';
import { ackFrame, clockFrame, readyFrame, type CommandError } from '../protocol/control-frames.ts';
import { nowUs } from '../protocol/clock.ts';
import { ERROR_CODES, errorBody } from '../protocol/error-codes.ts';
import type { FeedEntry } from './feed.ts';
import { deferredFailure } from './message-feed.ts';
import type { TransportPlugin } from './transport-plugin.ts';
import { corkWhileBatching } from './write-batch.ts';
import { rejectUpgrade } from './upgrade-reject.ts';
import { upgradeHandlers } from './connection-meter.ts';

/**
 * Raw WebSocket transport (`ws`): `/ws?room=R&cursor=N`. The server sends a ready frame, the backlog after
 * the cursor, then every new message of the room, one frame each; clients may publish with a JSON command.
 * docs/protocol.md, "Transports / ws", is the contract.
 */

export const WS_PATH = '/ws';
/** Close code and reason for a client whose send buffer passed `maxBufferedBytes` (RFC 6455: policy violation). */
export const CLOSE_SLOW_CONSUMER = 1008;
const SLOW_CONSUMER_REASON = 'slow consumer';
/** How long a slow consumer gets to take the close frame before its socket is cut, ms. */
const SLOW_CONSUMER_GRACE_MS = 1_000;

interface Client {
  readonly socket: WebSocket;
  /** The TCP socket under it, corked during a publish batch so a burst of frames leaves in one write. */
  readonly raw: Duplex;
  unsubscribe?: () => void;
  killTimer?: NodeJS.Timeout;
}

export const webSocket: TransportPlugin = (app, ctx) => {
  const { feed, limits } = ctx;
  // permessage-deflate with ws's own defaults when asked (run --ws-deflate): what users who turn it on get.
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.wsMaxPayload, perMessageDeflate: ctx.wsPerMessageDeflate === true });
  const clients = new Set<Client>();
  // The frame for one entry, encoded once and reused for every receiver of that entry.
  const frameOf = lastEntryCache((entry) => (entry.bytes ? encodeBinaryFrame(entry.message, entry.bytes) : Buffer.from(entry.json)));
  let subscriptions = 0;
  let slowClientsDropped = 0;

  const sendError = (socket: WebSocket, error: CommandError) => socket.send(JSON.stringify(error));

  const dropSlow = (client: Client) => {
    slowClientsDropped++;
    release(client);
    client.socket.close(CLOSE_SLOW_CONSUMER, SLOW_CONSUMER_REASON);
    // The close frame queues behind everything the client has not read; don't wait ws's 30 s for it.
    client.killTimer = setTimeout(() => client.socket.terminate(), SLOW_CONSUMER_GRACE_MS);
    client.killTimer.unref();
  };

  const deliver = (client: Client, entry: FeedEntry): boolean => {
    if (client.socket.bufferedAmount > limits.maxBufferedBytes) {
      dropSlow(client);
      return false;
    }
    corkWhileBatching(client.raw as Socket);
    client.socket.send(frameOf(entry), { binary: entry.bytes !== undefined });
    return true;
  };

  const release = (client: Client) => {
    if (!client.unsubscribe) return;
    client.unsubscribe();
    client.unsubscribe = undefined;
    subscriptions--;
  };

  const onConnection = (socket: WebSocket, raw: Duplex, room: string, cursor: number) => {
    const client: Client = { socket, raw };
    clients.add(client);
    // ws closes with 1007 / 1009 by itself on invalid UTF-8 or an oversize frame; the error is the client's.
    socket.on('error', () => {});
    socket.on('close', () => {
      release(client);
      clearTimeout(client.killTimer);
      clients.delete(client);
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        sendError(socket, { type: 'error', code: ERROR_CODES.BAD_REQUEST, message: 'binary frames are not accepted from clients; send JSON text' });
        return;
      }
      const command = parseCommand(data.toString(), limits.maxPayload);
      if (command.type === 'error') return sendError(socket, command);
      if (command.type === 'clock') return socket.send(clockFrame(command.id, nowUs()));
      if (command.type === 'subscribe') {
        sendError(socket, { type: 'error', code: ERROR_CODES.BAD_REQUEST, message: 'over ws the room and cursor are given in the URL: /ws?room=R&cursor=N' });
        return;
      }
      publishToFeed(feed, command.room, command.payload, command.id, (result) => {
        if (socket.readyState !== socket.OPEN) return;
        if ('type' in result) return sendError(socket, result);
        socket.send(ackFrame(command.id, result.seq));
      });
    });

    // Ready, backlog and subscription in one tick: the feed publishes synchronously, so nothing slips between.
    const { entries, head, gap, reset } = feed.after(room, cursor);
    socket.send(readyFrame(head, gap, reset));
    for (const entry of entries) if (!deliver(client, entry)) return;
    client.unsubscribe = feed.subscribe(room, (entry) => deliver(client, entry));
    subscriptions++;
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch {
      return rejectUpgrade(socket, errorBody(400, ERROR_CODES.BAD_REQUEST, 'request target is not a valid URL'));
    }
    if (url.pathname !== WS_PATH) {
      // Another upgrade handler (Socket.IO) may share this server and own the path.
      if (upgradeHandlers(app.server) > 1) return;
      return rejectUpgrade(socket, errorBody(404, ERROR_CODES.NOT_FOUND, `no WebSocket endpoint at ${url.pathname}; use ${WS_PATH}?room=R&cursor=N`));
    }
    const checked = checkSubscription(url.searchParams.get('room') ?? undefined, url.searchParams.get('cursor') ?? undefined);
    if ('type' in checked) return rejectUpgrade(socket, errorBody(400, checked.code, checked.message));
    const upgrade = (): void => wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, socket, checked.room, checked.cursor));
    // A shared feed's replica may not have reached a cursor another node gave out yet (never on the memory feed).
    const behind = feed.catchUp(checked.room, checked.cursor);
    if (!behind) return upgrade();
    // Node took the server's error handler off the socket when it emitted 'upgrade'; ws adds its own only in
    // handleUpgrade. A client that resets meanwhile must not take the process down.
    const onError = (): void => void socket.destroy();
    socket.on('error', onError);
    void behind
      .then(() => {
        socket.off('error', onError);
        if (!socket.destroyed) upgrade();
      })
      .catch(deferredFailure);
  };
  app.server.on('upgrade', onUpgrade);

  app.get(WS_PATH, async (_request, reply) =>
    reply
      .code(426)
      .header('upgrade', 'websocket')
      .send(errorBody(426, ERROR_CODES.UPGRADE_REQUIRED, `${WS_PATH} is a WebSocket endpoint: send an upgrade request (${WS_PATH}?room=R&cursor=N)`)),
  );

  const terminateAll = () => {
    for (const client of clients) client.socket.terminate();
  };

  return {
    stats: () => ({ connections: clients.size, waiters: 0, subscriptions, slowClientsDropped }),
    dropConnections: terminateAll,
    async close() {
      app.server.off('upgrade', onUpgrade);
      for (const client of clients) release(client);
      terminateAll();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
};
