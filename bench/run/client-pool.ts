import type { ClientOptions, TransportClient } from '../../clients/client.ts';
import { createClient } from '../../clients/create-client.ts';
import { sourceAddressFor } from './source-address.ts';
import { nowUs } from '../../protocol/clock.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { TransportName } from '../../protocol/transports.ts';

/**
 * N clients of one transport connected to one server, spread over rooms round-robin, connected a few at a
 * time (a storm of hundreds of simultaneous handshakes would measure the accept queue, not the transport,
 * unless that is the point: the connect scenario sets concurrency = N). Closing always closes every client.
 */

export interface PooledClient {
  readonly index: number;
  readonly room: string;
  readonly client: TransportClient;
  /** Time from starting to connect until ready, µs (set once connected). */
  readyUs: number;
  /** Errors the client reported after connecting (reconnects, failed polls). */
  errors: number;
  lastError?: string;
}

/** Where a server node listens. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface ClientPoolOptions {
  transport: TransportName;
  host: string;
  port: number;
  /** The server's nodes when there are several (run --nodes): client i connects to endpoints[i mod N]. */
  endpoints?: readonly Endpoint[];
  clients: number;
  /**
   * A slice of a larger pool (a load agent's, bench/agent/): these clients are numbered first, first + 1 … of
   * `total` for their room, node and source address; PooledClient.index still counts from 0 within this pool.
   */
  slice?: { first: number; total: number };
  /** Client i joins rooms[i % rooms.length]. */
  rooms: readonly string[];
  onMessage?: (member: PooledClient, message: FeedMessage, receivedAt: number) => void;
  clientOptions?: Pick<ClientOptions, 'pollIntervalMs' | 'socketIoTransports' | 'reconnect' | 'cursor' | 'requestHeaders' | 'wsPerMessageDeflate'>;
  /** Connections in flight at once (default 50). */
  concurrency?: number;
  /** A client not ready after this long fails the pool, ms (default 15 s). */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * What a measured window needs of its clients, wherever they run: Node clients here, or clients in Chromium
 * pages (bench/browser/browser-pool.ts), whose counters live in the browser and are read asynchronously.
 */
export interface ClientGroup {
  readonly members: PooledClient[];
  readonly size: number;
  /** Starts every client's steady-state byte window (the measured window begins; its messages are those intended in [fromUs, toUs)). */
  resetSteady(fromUs?: number, toUs?: number): void | Promise<void>;
  /** Bytes read + written by every client since its steady window began. */
  steadyBytes(): number | Promise<number>;
  /** Errors reported by the clients after connecting, with one example. */
  errors(): { count: number; example?: string };
  close(): Promise<void>;
}

/** The errors a group's clients reported, with one example. */
export function tallyErrors(members: readonly PooledClient[]): { count: number; example?: string } {
  let count = 0;
  let example: string | undefined;
  for (const m of members) {
    count += m.errors;
    example ??= m.lastError;
  }
  return { count, example };
}

/** The node client `index` connects to: spread round-robin over the endpoints, else the one server. */
export function endpointOf(options: Pick<ClientPoolOptions, 'host' | 'port' | 'endpoints'>, index: number): Endpoint {
  const endpoints = options.endpoints;
  return endpoints && endpoints.length > 0 ? endpoints[index % endpoints.length]! : { host: options.host, port: options.port };
}

export const DEFAULT_CONNECT_CONCURRENCY = 50;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

export class ClientPool implements ClientGroup {
  readonly members: PooledClient[] = [];
  #closed = false;

  private constructor(readonly transport: TransportName) {}

  /** Connects every client; on any failure closes those already made and rethrows. */
  static async connect(options: ClientPoolOptions): Promise<ClientPool> {
    const pool = new ClientPool(options.transport);
    const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONNECT_CONCURRENCY);
    let next = 0;
    let failure: Error | undefined;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < options.clients) {
        const index = next++;
        try {
          options.signal?.throwIfAborted();
          await pool.#connectOne(index, options);
        } catch (error) {
          failure ??= error instanceof Error ? error : new Error(String(error));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, options.clients) }, worker));
    if (failure !== undefined) {
      await pool.close();
      throw failure;
    }
    return pool;
  }

  async #connectOne(index: number, options: ClientPoolOptions): Promise<void> {
    const number = (options.slice?.first ?? 0) + index;
    const room = options.rooms[number % options.rooms.length]!;
    let member: PooledClient | undefined;
    const localAddress = sourceAddressFor(number, options.slice?.total ?? options.clients, options.host);
    const { host, port } = endpointOf(options, number);
    const client = createClient(options.transport, {
      host,
      port,
      // Several nodes share the feed: a client whose node goes away moves to the next one and resumes there.
      ...(options.endpoints && options.endpoints.length > 1 ? { failover: options.endpoints } : {}),
      ...(localAddress ? { localAddress } : {}),
      room,
      ...options.clientOptions,
      onMessage: (message, receivedAt) => {
        if (member) options.onMessage?.(member, message, receivedAt);
      },
      onError: (error) => {
        if (!member) return;
        member.errors++;
        member.lastError = error.message;
      },
    });
    member = { index, room, client, readyUs: 0, errors: 0 };
    // Registered before connecting, so close() reaches a client whose connect is still pending.
    this.members.push(member);
    const started = nowUs();
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${options.transport} client ${number} not ready after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`${options.transport} client ${number} (room ${room}) failed to connect: ${reason}`);
    } finally {
      clearTimeout(timer);
    }
    member.readyUs = nowUs() - started;
  }

  get size(): number {
    return this.members.length;
  }

  /** Starts every client's steady-state byte window (the measured window begins). */
  resetSteady(): void {
    for (const m of this.members) m.client.meter.resetSteady();
  }

  /** Bytes read + written by every client since its steady window began. */
  steadyBytes(): number {
    let sum = 0;
    for (const m of this.members) {
      const bytes = m.client.bytes().steady;
      sum += bytes.read + bytes.written;
    }
    return sum;
  }

  /** Errors reported by the clients after connecting, with one example. */
  errors(): { count: number; example?: string } {
    return tallyErrors(this.members);
  }

  /** Closes every client (errors on close are ignored: the connection is going anyway); idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.members.map((m) => m.client.close().catch(() => undefined)));
  }
}
