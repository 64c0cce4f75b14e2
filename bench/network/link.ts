/**
 * One direction of an emulated network link: when each chunk written into it comes out at the other end.
 * The model of toxiproxy's latency and bandwidth toxics, with the order a real link keeps:
 *
 *   sent      = max(arrival, opensAt)                 a connection's first bytes wait for its handshake
 *   onWireEnd = max(sent, previous onWireEnd) + bytes / bandwidth     the link serialises, one chunk at a time
 *   release   = max(onWireEnd + delay ± jitter, previous release)     propagation; FIFO, so never reordered
 *
 * Jitter draws uniformly from [−jitter, +jitter] per chunk and cannot reorder (the FIFO clamp), as on one TCP
 * connection, where the receiver sees bytes in order whatever each packet's delay. Times are ms, from any origin.
 */

export interface LinkConditions {
  /** One-way propagation delay, ms (half the round trip). */
  delayMs: number;
  /** Uniform jitter around the delay, ± ms (0: none). */
  jitterMs: number;
  /** Bytes per ms this direction carries (Infinity: no limit). */
  bytesPerMs: number;
}

export class LinkDirection {
  #wireFreeAt = -Infinity;
  #lastRelease = -Infinity;

  constructor(
    readonly conditions: LinkConditions,
    /** Nothing is sent before this time: the connection's handshake (ms, same origin as `arrival`). */
    readonly opensAt = -Infinity,
    readonly random: () => number = Math.random,
  ) {}

  /** When a chunk of `bytes` that reached the link at `arrival` comes out at the far end. */
  release(arrival: number, bytes: number): number {
    const { delayMs, jitterMs, bytesPerMs } = this.conditions;
    const sent = Math.max(arrival, this.opensAt);
    const onWireEnd = Math.max(sent, this.#wireFreeAt) + (Number.isFinite(bytesPerMs) ? bytes / bytesPerMs : 0);
    this.#wireFreeAt = onWireEnd;
    const jitter = jitterMs > 0 ? (this.random() * 2 - 1) * jitterMs : 0;
    const release = Math.max(onWireEnd + Math.max(0, delayMs + jitter), this.#lastRelease);
    this.#lastRelease = release;
    return release;
  }
}
