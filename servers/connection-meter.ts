import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Bytes on the server's sockets, per client: what a browser sent and received, headers, framing and all,
 * counted where no page script can see them. A client names itself with `cid=<id>` in the query of every
 * request and upgrade (the page's clients do; Socket.IO's `query` puts it on every engine.io request).
 *
 * A kept-alive socket may carry requests of several clients (two tabs share a browser's connection pool), so
 * bytes are settled per request: a request's head and body and its answer belong to its client, from the
 * checkpoint the previous answer left to the end of this one. An upgraded socket (ws, Socket.IO's websocket)
 * and an answer still streaming (SSE, a held long poll) are counted live when asked.
 */

/** What one client sent and received, bytes, as the server's sockets counted them. */
export interface ClientBytes {
  sent: number;
  received: number;
}

interface SocketState {
  /** The client whose request or upgrade the socket carries now. */
  owner?: string;
  /** bytesRead / bytesWritten when last settled. */
  read: number;
  written: number;
}

const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Clients remembered at most; the oldest is forgotten first (a long `serve` sees many pages come and go). */
const MAX_CLIENTS = 10_000;

/** The `cid` of a request URL, or undefined when absent or not 1–64 of A-Z a-z 0-9 _ -. */
export function clientIdOf(url: string | undefined): string | undefined {
  // Most requests name no client: no parsing for them.
  if (url === undefined || !url.includes('cid=')) return undefined;
  const query = url.split('?', 2)[1];
  if (!query) return undefined;
  const cid = new URLSearchParams(query).get('cid');
  return cid !== null && CLIENT_ID.test(cid) ? cid : undefined;
}

export const isClientId = (value: string): boolean => CLIENT_ID.test(value);

export class ConnectionMeter {
  readonly #totals = new Map<string, ClientBytes>();
  readonly #sockets = new Map<Socket, SocketState>();

  /** Listens to `server`; install it after any listener that takes requests over (Socket.IO), or it sees none of theirs. */
  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      this.#sockets.set(socket, { read: 0, written: 0 });
      socket.once('close', () => {
        this.#settle(socket);
        this.#sockets.delete(socket);
      });
    });
    server.on('request', (request: IncomingMessage, response) => {
      const socket = request.socket;
      this.#own(socket, clientIdOf(request.url));
      response.once('finish', () => this.#settle(socket));
    });
    server.on('upgrade', (request: IncomingMessage, socket: Socket) => this.#own(socket, clientIdOf(request.url)));
  }

  /** What `cid` sent and received so far, its open sockets included. */
  bytes(cid: string): ClientBytes {
    const total = { ...(this.#totals.get(cid) ?? { sent: 0, received: 0 }) };
    for (const [socket, state] of this.#sockets) {
      if (state.owner !== cid) continue;
      total.sent += socket.bytesRead - state.read;
      total.received += socket.bytesWritten - state.written;
    }
    return total;
  }

  /** The socket now carries `owner`'s request: what it read since the last answer (this request's head) is theirs. */
  #own(socket: Socket, owner: string | undefined): void {
    const state = this.#sockets.get(socket);
    if (state) state.owner = owner;
  }

  /** Books the socket's bytes since the last checkpoint to its owner. */
  #settle(socket: Socket): void {
    const state = this.#sockets.get(socket);
    if (!state) return;
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    if (state.owner !== undefined) {
      let total = this.#totals.get(state.owner);
      if (!total) {
        if (this.#totals.size >= MAX_CLIENTS) this.#totals.delete(this.#totals.keys().next().value!);
        this.#totals.set(state.owner, (total = { sent: 0, received: 0 }));
      }
      total.sent += read - state.read;
      total.received += written - state.written;
    }
    state.read = read;
    state.written = written;
  }
}
