import net from 'node:net';
import { parseCommand, publishToFeed } from './command.ts';
import { ackFrame, clockFrame, readyFrame, type ClientCommand, type CommandError } from '../protocol/control-frames.ts';
import { nowUs } from '../protocol/clock.ts';
import { ERROR_CODES } from '../protocol/error-codes.ts';
import type { FeedEntry } from './feed.ts';
import { deferredFailure } from './message-feed.ts';
import { lastEntryCache } from './entry-cache.ts';
import { LineSplitter } from '../protocol/line-splitter.ts';
import { corkWhileBatching } from './write-batch.ts';
import type { BenchServer, TransportContext } from './transport-plugin.ts';

/**
 * Raw TCP floor: newline-delimited JSON on a bare node:net server, no framework. The client subscribes with
 * its first line; the server answers ready, the backlog, then one line per message. docs/protocol.md,
 * "Transports / raw TCP", is the contract.
 */

/** How long a client whose line was too long keeps its half-closed socket, ms. */
const OVERFLOW_GRACE_MS = 1_000;

interface Connection {
  readonly socket: net.Socket;
  unsubscribe?: () => void;
  /** Waiting for the feed's replica to reach the subscription's cursor. */
  subscribing?: boolean;
}

export function createTcpServer(ctx: TransportContext): BenchServer {
  const { feed, limits } = ctx;
  const connections = new Set<Connection>();
  let subscriptions = 0;
  let slowClientsDropped = 0;
  // The line for one entry, encoded once for every receiver of that entry.
  const lineOf = lastEntryCache((entry) => Buffer.from(`${entry.json}\n`));

  const release = (connection: Connection) => {
    if (!connection.unsubscribe) return;
    connection.unsubscribe();
    connection.unsubscribe = undefined;
    subscriptions--;
  };

  const deliver = (connection: Connection, entry: FeedEntry): boolean => {
    const { socket } = connection;
    if (socket.writableLength > limits.maxBufferedBytes) {
      slowClientsDropped++;
      release(connection);
      socket.destroy();
      return false;
    }
    corkWhileBatching(socket);
    socket.write(lineOf(entry));
    return true;
  };

  const sendError = (socket: net.Socket, error: CommandError) => socket.write(`${JSON.stringify(error)}\n`);

  const onCommand = (connection: Connection, command: ClientCommand) => {
    const { socket } = connection;
    if (command.type === 'clock') {
      socket.write(`${clockFrame(command.id, nowUs())}\n`);
      return;
    }
    if (command.type === 'publish') {
      publishToFeed(feed, command.room, command.payload, command.id, (result) => {
        if (socket.destroyed) return;
        if ('type' in result) return sendError(socket, result);
        socket.write(`${ackFrame(command.id, result.seq)}\n`);
      });
      return;
    }
    if (connection.unsubscribe || connection.subscribing) {
      return sendError(socket, { type: 'error', code: ERROR_CODES.BAD_REQUEST, message: 'already subscribed; one subscription per connection' });
    }
    // A shared feed's replica may not have reached a cursor another node gave out yet (never on the memory feed).
    const behind = feed.catchUp(command.room, command.cursor);
    if (!behind) return subscribe(connection, command.room, command.cursor);
    connection.subscribing = true;
    void behind
      .then(() => {
        connection.subscribing = false;
        if (!socket.destroyed) subscribe(connection, command.room, command.cursor);
      })
      .catch(deferredFailure);
  };

  const subscribe = (connection: Connection, room: string, cursor: number): void => {
    const { socket } = connection;
    // Ready, backlog and subscription in one tick: the feed's replica delivers synchronously, so nothing slips between.
    const { entries, head, gap, reset } = feed.after(room, cursor);
    socket.write(`${readyFrame(head, gap, reset)}\n`);
    for (const entry of entries) if (!deliver(connection, entry)) return;
    connection.unsubscribe = feed.subscribe(room, (entry) => deliver(connection, entry));
    subscriptions++;
  };

  const onConnection = (socket: net.Socket) => {
    const connection: Connection = { socket };
    connections.add(connection);
    const splitter = new LineSplitter(
      limits.tcpMaxLine,
      (line) => {
        if (socket.destroyed) return;
        const command = parseCommand(line, limits.maxPayload);
        if (command.type === 'error') sendError(socket, command);
        else onCommand(connection, command);
      },
      () => {
        sendError(socket, { type: 'error', code: ERROR_CODES.LINE_TOO_LONG, message: `line longer than ${limits.tcpMaxLine} bytes; closing` });
        release(connection);
        // Stop reading the rest of the line, let the error line leave, then cut a peer that keeps the socket open.
        socket.pause();
        socket.end();
        setTimeout(() => socket.destroy(), OVERFLOW_GRACE_MS).unref();
      },
    );
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    // A reset or a write after the peer left is the peer's business; 'close' follows and cleans up.
    socket.on('error', () => {});
    socket.on('close', () => {
      release(connection);
      connections.delete(connection);
    });
  };

  const server = net.createServer({ noDelay: true }, onConnection);
  const destroyAll = () => {
    for (const connection of connections) connection.socket.destroy();
  };

  return {
    transport: 'tcp',
    feed,
    listen({ port = 0, host = '127.0.0.1' } = {}) {
      return new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          if (address === null || typeof address === 'string') reject(new Error('server has no TCP address'));
          else resolve(address.port);
        });
      });
    },
    close() {
      for (const connection of connections) release(connection);
      destroyAll();
      return new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
    stats: () => ({ transport: 'tcp', connections: connections.size, waiters: 0, subscriptions, slowClientsDropped, published: 0 }),
    dropConnections: destroyAll,
  };
}
