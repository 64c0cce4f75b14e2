import http from 'node:http';
import type { Socket } from 'node:net';
import { nowUs } from '../protocol/clock.ts';
import type { PublishAck } from '../protocol/message.ts';
import { errorMessage } from './server-error.ts';
import type { WireMeter } from './wire-meter.ts';

/**
 * What the node:http-based clients share (SSE, and Socket.IO's agent): a metered keep-alive agent that can
 * be closed and awaited, a one-shot request that buffers its answer, and POST /publish. The polling
 * clients' requests go over clients/http-connection.ts instead.
 */

export interface HttpAnswer {
  status: number;
  body: string;
  /** µs on the shared clock, taken when the last byte of the body arrived. */
  receivedAt: number;
}

/** A keep-alive agent whose sockets the WireMeter counts, with a close that waits for them to be gone. */
export class MeteredAgent {
  readonly agent: http.Agent;
  readonly #sockets = new Set<Socket>();

  /**
   * `onChunk` runs first on every chunk any of its sockets reads (before http's or ws's own listeners); every
   * socket is made from `localAddress` when given (ClientOptions.localAddress).
   */
  constructor(meter: WireMeter, onChunk?: () => void, localAddress?: string) {
    this.agent = meter.agent(localAddress ? { localAddress } : {});
    const create = this.agent.createConnection.bind(this.agent) as (opts: object, cb?: unknown) => Socket;
    this.agent.createConnection = ((opts: object, cb?: unknown) => {
      const socket = create(opts, cb);
      // prependListener does not start the flow of data, as on('data') would.
      if (onChunk) socket.prependListener('data', onChunk);
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      return socket;
    }) as typeof this.agent.createConnection;
  }

  /** Destroys the agent's idle kept-alive sockets; busy ones and those handed over to an upgrade stay. */
  closeIdle(): void {
    for (const sockets of Object.values(this.agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }

  /**
   * Destroys every socket the agent holds (busy or idle) and resolves once all of its sockets have closed.
   * A socket handed over to an upgrade is no longer the agent's: it gets `graceMs` to finish its own close.
   */
  async destroy(graceMs = 2_000): Promise<void> {
    if (this.#sockets.size === 0) return this.agent.destroy();
    const closing = [...this.#sockets].map((socket) => new Promise<void>((resolve) => {
      if (socket.closed) resolve();
      else socket.once('close', () => resolve());
    }));
    this.agent.destroy();
    const cut = setTimeout(() => {
      for (const socket of this.#sockets) socket.destroy();
    }, graceMs);
    await Promise.all(closing);
    clearTimeout(cut);
  }
}

export interface RequestOptions {
  host: string;
  port: number;
  path: string;
  method?: 'GET' | 'POST';
  headers?: http.OutgoingHttpHeaders;
  body?: string;
  signal?: AbortSignal;
}

/** One request over `agent`; resolves with the whole answer, whatever its status. */
export function request(agent: http.Agent, options: RequestOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const req = http.request(
      { agent, host: options.host, port: options.port, path: options.path, method: options.method ?? 'GET', headers, signal: options.signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const receivedAt = nowUs();
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), receivedAt });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POST /publish; resolves with the message's seq, rejects with the server's message on an error status. */
export async function publish(agent: http.Agent, target: { host: string; port: number }, room: string, payload: string): Promise<number> {
  const answer = await request(agent, {
    ...target,
    path: '/publish',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ room, payload }),
  });
  if (answer.status !== 200) throw new Error(`publish failed: ${errorMessage(answer.status, answer.body)}`);
  return (JSON.parse(answer.body) as PublishAck).seq;
}
