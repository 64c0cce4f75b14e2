import { parseFeedSpec } from '../protocol/feed-spec.ts';
import type { ResolvedServerStart } from '../protocol/server-options.ts';
import { Feed } from './feed.ts';
import type { MessageFeed } from './message-feed.ts';
import { RedisFeed } from './redis-feed.ts';

/**
 * The feed a server process's start options ask for: its own in memory, or its node's replica of the feed in
 * Redis (rejects when Redis cannot be reached). The injected delay (a test of compare's gate) exists in memory only.
 */
export async function openFeed(options: ResolvedServerStart): Promise<MessageFeed> {
  const spec = parseFeedSpec(options.feed);
  if (spec.kind === 'memory') return memoryFeed(options);
  if (spec.url === undefined) throw new Error("a server needs the Redis URL itself, not 'redis'");
  return RedisFeed.open({ payloadBytes: options.payloadBytes, binary: options.binary, url: spec.url, namespace: options.feedNamespace });
}

/** The in-memory feed of a server process started with `options`. */
export function memoryFeed(options: ResolvedServerStart): Feed {
  return new Feed({ payloadBytes: options.payloadBytes, binary: options.binary, deliveryDelayMs: options.injectDelayMs });
}
