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
function clientOptions(url: string) {
  const parsed = new URL(url);
  const socket = { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: reconnectDelay };
  if (parsed.protocol === 'unix:') return { socket: { ...socket, path: decodeURIComponent(parsed.pathname) } };
  return { url, socket };
}

/**
 * A connected client; rejects with a message naming the URL when Redis cannot be reached within the connect
 * timeout (a first connection is not retried: a wrong address should fail at once, not hang).
 */
export async function connectRedis(url: string, name: string): Promise<RedisConnection> {
  const options = clientOptions(url);
  const client = createClient({ ...options, name, socket: { ...options.socket, reconnectStrategy: false } }) as unknown as RedisConnection;
  // node-redis emits 'error' for every failed attempt; without a listener that would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    if (client.isOpen) client.destroy();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(error as Error).message || String(error)}`);
  }
  return client;
}

/**
 * A connected client that reconnects by itself after a lost connection (a Redis restart), its commands queued
 * meanwhile; `onError` hears every failure.
 */
export async function connectRedisResilient(url: string, name: string, onError: (error: Error) => void = () => {}): Promise<RedisConnection> {
  const probe = await connectRedis(url, name);
  probe.destroy();
  const client = createClient({ ...clientOptions(url), name }) as unknown as RedisConnection;
  client.on('error', onError);
  await client.connect();
  return client;
}
