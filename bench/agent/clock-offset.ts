/**
 * A joined agent's clock against the run's (Cristian's method, as NTP's client does it): the run stamps a ping's
 * departure and return on its clock, the agent stamps its answer on its own. The agent's reading was taken
 * somewhere between the two, so offset = agent − (sent + back) / 2 is right within ± half the round trip. Of
 * several pings the shortest round trip gives the tightest bound. The browser pages' estimate
 * (clients/browser/feed-clients-script.ts, estimateOffset) is the same method in the page's own script.
 */

/** One ping: the run's clock when it left and came back, the agent's in between; µs. */
export interface ClockPing {
  sentUs: number;
  agentUs: number;
  backUs: number;
}

export interface ClockOffset {
  /** The agent's clock minus the run's, µs: the agent maps its stamps onto the run's clock by subtracting it. */
  offsetUs: number;
  /** The true offset lies within offsetUs ± uncertaintyUs (half the shortest round trip), µs. */
  uncertaintyUs: number;
  /** Pings taken. */
  samples: number;
}

/** The estimate from the ping with the shortest round trip; throws on no pings. */
export function estimateClockOffset(pings: readonly ClockPing[]): ClockOffset {
  let best: ClockPing | undefined;
  for (const ping of pings) {
    if (ping.backUs < ping.sentUs) throw new Error('a clock ping came back before it left');
    if (!best || ping.backUs - ping.sentUs < best.backUs - best.sentUs) best = ping;
  }
  if (!best) throw new Error('no clock pings to estimate an offset from');
  return { offsetUs: best.agentUs - (best.sentUs + best.backUs) / 2, uncertaintyUs: (best.backUs - best.sentUs) / 2, samples: pings.length };
}

/** "+12 µs ± 85 µs"; past 10 ms the offset in ms to the µs ("−3000.012 ms ± 221 µs"). */
export function formatClockOffset({ offsetUs, uncertaintyUs }: Pick<ClockOffset, 'offsetUs' | 'uncertaintyUs'>): string {
  const sign = offsetUs < 0 ? '−' : '+';
  const magnitude = Math.abs(offsetUs) >= 10_000 ? `${(Math.abs(offsetUs) / 1000).toFixed(3)} ms` : `${Math.abs(offsetUs).toFixed(0)} µs`;
  const bound = uncertaintyUs >= 10_000 ? `${(uncertaintyUs / 1000).toFixed(1)} ms` : `${uncertaintyUs.toFixed(0)} µs`;
  return `${sign}${magnitude} ± ${bound}`;
}
