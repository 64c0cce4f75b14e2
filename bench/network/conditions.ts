import { BANDWIDTH_PATTERN } from '../config/options.ts';

/**
 * The network a step's clients reach their server through (run --rtt, --jitter, --bandwidth), as the delay
 * proxy takes it. Absent on a step: straight to loopback.
 */
export interface NetworkConditions {
  /** Round-trip time added, ms. */
  rttMs: number;
  /** ± ms around each direction's delay. */
  jitterMs: number;
  /** Bytes per ms each direction of a connection carries (Infinity: no limit). */
  bytesPerMs: number;
  /** Packets dropped at random on the clients' side, percent (0 or absent: none; loss-namespace.ts). */
  lossPercent?: number;
}

const UNIT_BYTES_PER_SECOND: Record<string, number> = {
  bit: 1 / 8,
  kbit: 1_000 / 8,
  mbit: 1_000_000 / 8,
  gbit: 1_000_000_000 / 8,
  bps: 1,
  kbps: 1_000,
  mbps: 1_000_000,
  gbps: 1_000_000_000,
};

/** `10mbit` → 1,250 bytes per ms; undefined → no limit. The option's schema has checked the spelling. */
export function bytesPerMsOf(bandwidth: string | undefined): number {
  if (bandwidth === undefined) return Infinity;
  const match = BANDWIDTH_PATTERN.exec(bandwidth);
  if (!match) throw new Error(`not a rate: ${bandwidth}`);
  const perSecond = Number(match[1]) * UNIT_BYTES_PER_SECOND[match[2]!.toLowerCase()]!;
  if (!(perSecond > 0)) throw new Error(`a rate must be above 0: ${bandwidth}`);
  return perSecond / 1_000;
}
