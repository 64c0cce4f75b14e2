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

const OBSERVER = Symbol('connection-meter observer');

/** The server's 'upgrade' listeners that answer upgrades: the meter's only watches them go by. */
export function upgradeHandlers(server: Server): number {
  return server.listeners('upgrade').filter((listener) => !(OBSERVER in listener)).length;
}

export class ConnectionMeter {
  readonly #totals = new Map<string, ClientBytes>();
  readonly #sockets = new Map<Socket, SocketState>();

  /**
   * Listens to `server`; install it after any listener that takes requests over (Socket.IO), or it sees none of
   * theirs. A socket is tracked from its first request or upgrade that names a client: a Node client never names
   * one, so its requests cost a substring test and a map lookup, and its bytes are counted nowhere.
   */
  constructor(server: Server) {
    server.on('request', (request: IncomingMessage, response) => {
      const socket = request.socket;
      const owner = clientIdOf(request.url);
      if (owner === undefined && !this.#sockets.has(socket)) return;
      this.#own(socket, owner);
      response.once('finish', () => this.#settle(socket));
    });
    // Only where a transport takes upgrades (ws, Socket.IO): an 'upgrade' listener on any other server would
    // take its upgrade requests from Node's own handling and leave them unanswered.
    if (server.listenerCount('upgrade') > 0) {
      const observe = (request: IncomingMessage, socket: Socket) => {
        const owner = clientIdOf(request.url);
        if (owner !== undefined || this.#sockets.has(socket)) this.#own(socket, owner);
      };
      server.on('upgrade', Object.assign(observe, { [OBSERVER]: true }));
    }
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

  /**
   * The socket now carries `owner`'s request: what it read since the last answer (this request's head) is theirs.
   * A socket seen for the first time is counted from its first byte: a browser client names itself on every
   * request, so its sockets carried no unnamed request before (one that did would book those bytes to it).
   */
  #own(socket: Socket, owner: string | undefined): void {
    let state = this.#sockets.get(socket);
    if (!state) {
      this.#sockets.set(socket, (state = { read: 0, written: 0 }));
      socket.once('close', () => {
        this.#settle(socket);
        this.#sockets.delete(socket);
      });
    }
    state.owner = owner;
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
