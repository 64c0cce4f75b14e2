import type { FeedEntry, FeedListener, FeedOptions } from './feed.ts';

/**
 * What every transport asks of a feed, whichever holds it: the in-memory Feed (servers/feed.ts), or a node's
 * replica of the feed in Redis (servers/redis-feed.ts), shared by every server node of a transport.
 *
 * Reading stays synchronous on both: `after()` and `subscribe()` in one tick is how every transport sends a
 * backlog and then live messages with nothing missed or doubled. Publishing is synchronous in memory and
 * asynchronous on Redis, where the number is only known once Redis has given it.
 */
export interface MessageFeed {
  readonly options: Readonly<Required<FeedOptions>>;
  /** What holds the feed, for results and logs: 'memory' or 'redis'. */
  readonly kind: 'memory' | 'redis';
  /** Messages published through this process since it started, over all rooms. */
  readonly published: number;
  /** Last seq in the room known here (0 when none). */
  head(room: string): number;
  /** Rooms that have at least one message, with their head. */
  rooms(): Map<string, number>;
  /** Publishes one message; the entry, or a promise of it where the seq comes from elsewhere. */
  publish(room: string, payload?: string | Buffer, intendedAt?: number): FeedEntry | Promise<FeedEntry>;
  /** Entries of `room` after `cursor` (docs/protocol.md: `gap`, and `reset` for a cursor beyond the head). */
  after(room: string, cursor: number, limit?: number): { entries: FeedEntry[]; gap: boolean; head: number; reset?: true };
  /** Calls `listener` for every message of `room` from now on; returns the unsubscribe function. */
  subscribe(room: string, listener: FeedListener): () => void;
  /** Live subscriptions over all rooms. */
  readonly subscriberCount: number;
  /**
   * Undefined when `after(room, cursor)` can answer now. Otherwise a promise that settles once it can: on a
   * shared feed a client that moved nodes may hold a cursor this node's replica has not reached yet, which
   * is not a reset. The in-memory feed always answers now.
   */
  catchUp(room: string, cursor: number): Promise<void> | undefined;
  /**
   * Calls `listener` when the feed starts over (its log was wiped: Redis restarted empty). Every cursor a
   * client holds then belongs to the feed before, so a server drops its clients, who come back and are told
   * to reset. Never called on the in-memory feed, which starts over only with its process.
   */
  onRestart(listener: () => void): void;
  /** Releases what the feed holds (connections to Redis); the in-memory feed has nothing to release. */
  close(): Promise<void>;
}

/** Runs `then` with the entry once `published` has one: at once for a synchronous feed, later for Redis. */
export function whenPublished(published: FeedEntry | Promise<FeedEntry>, then: (entry: FeedEntry) => void, failed: (error: unknown) => void): void {
  // An answer that throws (a socket gone meanwhile) is a warning, never an unhandled rejection ending the process.
  if (published instanceof Promise) published.then(then, failed).catch(deferredFailure);
  else then(published);
}

/**
 * What a transport does with a failure in work it deferred until the feed had caught up (catchUp): a warning
 * on stderr, never an unhandled rejection, which would end the server process. The client's request or
 * connection is left to its own timeout or close.
 */
export function deferredFailure(error: unknown): void {
  process.emitWarning(`transport-bench server: a request deferred until the feed caught up failed: ${(error as Error)?.message ?? String(error)}`);
}
