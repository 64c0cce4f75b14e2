import type { TransportClient } from '../../clients/client.ts';
import type { PollCounts } from '../../clients/client.ts';

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

/** Polls per second over a window of `windowUs`, and the share that came back empty. */
export function pollRates(counts: PollCounts, windowUs: number): { requestsPerSec: number; emptyShare: number } {
  return {
    requestsPerSec: windowUs > 0 ? counts.polls / (windowUs / 1e6) : 0,
    emptyShare: counts.polls > 0 ? counts.empty / counts.polls : 0,
  };
}
