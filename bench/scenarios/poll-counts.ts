import type { TransportClient } from '../../clients/client.ts';
import type { PooledClient } from '../client-pool.ts';

/**
 * Polls made and polls that came back empty, for the polling transports. Non-empty polls are exact: the
 * messages of one answer share one receive stamp. Total polls come from the client's own counter when it
 * has one (`pollCounts()`); otherwise they are estimated from the bytes the client wrote, which in a push
 * step are GET /poll requests only, each the size of its first poll (set-up) give or take cursor digits.
 */

interface PollCounter {
  pollCounts(): { polls: number; empty: number };
}

const hasCounter = (client: TransportClient): client is TransportClient & PollCounter =>
  typeof (client as Partial<PollCounter>).pollCounts === 'function';

export class PollWatch {
  nonEmpty = 0;
  #last = Number.NaN;
  #base: { polls: number; empty: number } | undefined;

  /** The steady window starts: remember the client's own counters if it has them. */
  start(client: TransportClient): void {
    if (hasCounter(client)) this.#base = client.pollCounts();
  }

  receipt(receivedAt: number): void {
    if (receivedAt === this.#last) return;
    this.#last = receivedAt;
    this.nonEmpty++;
  }

  /** Polls in the window: counted by the client, or estimated from its written bytes. */
  polls(client: TransportClient): { polls: number; empty: number; estimated: boolean } {
    if (hasCounter(client) && this.#base) {
      const now = client.pollCounts();
      return { polls: now.polls - this.#base.polls, empty: now.empty - this.#base.empty, estimated: false };
    }
    const { setup, steady } = client.bytes();
    // The set-up poll asked with cursor=0 (one digit); later polls carry the current cursor.
    const requestBytes = setup.written - 1 + String(Math.max(0, client.lastSeq)).length;
    const polls = requestBytes > 0 ? Math.max(this.nonEmpty, Math.round(steady.written / requestBytes)) : this.nonEmpty;
    return { polls, empty: polls - this.nonEmpty, estimated: true };
  }
}

export function pollingFigures(clients: { member: PooledClient; watch: PollWatch }[], windowUs: number): { requestsPerSec: number; emptyShare: number; note?: string } {
  let polls = 0;
  let empty = 0;
  let estimated = false;
  for (const { member, watch } of clients) {
    const counted = watch.polls(member.client);
    polls += counted.polls;
    empty += counted.empty;
    estimated ||= counted.estimated;
  }
  return {
    requestsPerSec: windowUs > 0 ? polls / (windowUs / 1e6) : 0,
    emptyShare: polls > 0 ? empty / polls : 0,
    ...(estimated ? { note: 'polls per second and the empty-poll share are estimated from request bytes (the client has no poll counter)' } : {}),
  };
}
