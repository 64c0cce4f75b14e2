import type { TransportClient } from '../../clients/client.ts';
import type { PollCounts } from '../../clients/client.ts';
import type { PooledClient } from '../run/client-pool.ts';

/**
 * Polls made and polls that came back empty in the measured window, for the polling transports, from the
 * polling clients' own counters (every answered poll, empty or not).
 */
export class PollWatch {
  #base: PollCounts = { polls: 0, empty: 0 };

  /** The steady window starts: remember where the client's counters stood. */
  start(client: TransportClient): void {
    this.#base = client.pollCounts?.() ?? { polls: 0, empty: 0 };
  }

  /** Polls in the window so far. */
  polls(client: TransportClient): PollCounts {
    const now = client.pollCounts?.();
    if (!now) throw new Error(`${client.transport} client has no poll counter`);
    return { polls: now.polls - this.#base.polls, empty: now.empty - this.#base.empty };
  }
}

export function pollingFigures(clients: { member: PooledClient; watch: PollWatch }[], windowUs: number): { requestsPerSec: number; emptyShare: number } {
  let polls = 0;
  let empty = 0;
  for (const { member, watch } of clients) {
    const counted = watch.polls(member.client);
    polls += counted.polls;
    empty += counted.empty;
  }
  return {
    requestsPerSec: windowUs > 0 ? polls / (windowUs / 1e6) : 0,
    emptyShare: polls > 0 ? empty / polls : 0,
  };
}
