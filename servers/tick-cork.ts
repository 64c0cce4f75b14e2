/**
 * Write coalescing per event-loop turn. The open-loop schedule publishes every message already due in one
 * synchronous burst (catch-up batching), so a subscriber often gets several frames in the same turn. Corking
 * its socket on the first write and uncorking once the turn's synchronous work is done sends those frames in
 * one `write` syscall instead of one each, which is what both ends pay for most at high fan-out. Frames and
 * their order are unchanged; a lone frame leaves within the same turn (process.nextTick), so latency is not.
 */

export interface Corkable {
  cork(): void;
  uncork(): void;
  readonly destroyed: boolean;
}

const corked = new Set<Corkable>();
let flushQueued = false;

function flush(): void {
  flushQueued = false;
  // A flush can run user code (write callbacks) that corks again; those wait for the next flush.
  const batch = [...corked];
  corked.clear();
  for (const stream of batch) if (!stream.destroyed) stream.uncork();
}

/** Holds `stream`'s writes until the current synchronous turn ends; call it before each write. */
export function corkForThisTurn(stream: Corkable): void {
  if (corked.has(stream) || stream.destroyed) return;
  stream.cork();
  corked.add(stream);
  if (!flushQueued) {
    flushQueued = true;
    process.nextTick(flush);
  }
}
