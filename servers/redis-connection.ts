import { createClient, type RedisClientType } from 'redis';
import { redactUrl } from '../protocol/feed-spec.ts';

/**
 * Connections to the Redis that holds a shared feed (servers/redis-feed.ts) and Socket.IO's adapter. node-redis 5:
 * the client `@socket.io/redis-streams-adapter` is tested with (the v6 clients default to RESP3). Every command
 * goes through `sendCommand`, so what is asked of Redis reads as Redis's own commands.
 */

export type RedisConnection = RedisClientType;

/** How long a first connection may take before the feed gives up, ms. */
const CONNECT_TIMEOUT_MS = 3_000;
/** After a lost connection: retry every 50 ms at first, backing off to 1 s. */
const reconnectDelay = (retries: number) => Math.min(50 * 2 ** retries, 1_000);

/** Client options for a redis://, rediss:// or unix:///path URL (node-redis parses the first two itself). */
function clientOptions(url: string, reconnectStrategy: (retries: number) => number | false) {
  const parsed = new URL(url);
  const socket = { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy };
  if (parsed.protocol === 'unix:') return { socket: { ...socket, path: decodeURIComponent(parsed.pathname) } };
  return { url, socket };
}

/**
 * A connected client; rejects with a message naming the URL when Redis cannot be reached within the connect
 * timeout (a first connection is not retried: a wrong address should fail at once, not hang). With `resilient`,
 * a connection lost later is made again by itself (a Redis restart), its commands queued meanwhile (with
 * `failFast`, refused meanwhile), and `onError` hears every failure.
 */
export async function connectRedis(url: string, name: string, options: { resilient?: boolean; failFast?: boolean; onError?: (error: Error) => void } = {}): Promise<RedisConnection> {
  let connected = false;
  const reconnect = (retries: number) => (connected && options.resilient ? reconnectDelay(retries) : false);
  // failFast: a command while the connection is down fails at once instead of waiting for the reconnection.
  const client = createClient({ ...clientOptions(url, reconnect), name, ...(options.failFast ? { disableOfflineQueue: true } : {}) }) as unknown as RedisConnection;
  // node-redis emits 'error' for every failed attempt; without a listener that would crash the process.
  client.on('error', options.onError ?? (() => {}));
  try {
    await client.connect();
  } catch (error) {
    if (client.isOpen) client.destroy();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(error as Error).message || String(error)}`);
  }
  connected = true;
  return client;
}
