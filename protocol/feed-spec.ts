/**
 * Where a run's feed lives (`run --feed`): `memory`, each server process's own (the default), or `redis`, one
 * feed in Redis shared by every server node of a transport. `redis` alone asks for a private redis-server the
 * tool starts and stops; `redis://host:port[/db]`, `rediss://…` or `unix:///path/to/redis.sock` names one.
 */

export type FeedSpec = { kind: 'memory' } | { kind: 'redis'; url?: string };

/** Parses a --feed value; throws a message naming what is wrong. */
export function parseFeedSpec(text: string): FeedSpec {
  const value = text.trim();
  if (value === 'memory') return { kind: 'memory' };
  if (value === 'redis') return { kind: 'redis' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`expected memory, redis or a Redis URL (redis://host:port, rediss://…, unix:///path/redis.sock), got ${JSON.stringify(text)}`);
  }
  if (url.protocol === 'unix:') {
    if (url.pathname === '' || url.pathname === '/') throw new Error(`a unix: Redis URL needs the socket's path (unix:///path/redis.sock), got ${JSON.stringify(text)}`);
    return { kind: 'redis', url: value };
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`a Redis URL starts with redis://, rediss:// or unix://, got ${JSON.stringify(text)}`);
  }
  if (url.hostname === '') throw new Error(`the Redis URL has no host, got ${JSON.stringify(text)}`);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new Error(`the Redis URL's path is a database number (/0 … /15), got ${JSON.stringify(url.pathname)}`);
  return { kind: 'redis', url: value };
}

/** The spec as a user writes it, without a password. */
export function describeFeed(spec: FeedSpec): string {
  return spec.kind === 'memory' || spec.url === undefined ? spec.kind : redactUrl(spec.url);
}

/** `url` without its password, for messages and results. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
