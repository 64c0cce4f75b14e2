import type { ScheduleReport, ScheduleRequest } from '../protocol/server-ipc.ts';
import { nowUs } from '../protocol/clock.ts';
import type { Feed } from './feed.ts';
import { PayloadSource } from './payload.ts';
import { batchWrites } from './write-batch.ts';

/**
 * The open-loop publisher: R messages/s over the given rooms, round-robin, for D ms. Message k is due at
 * start + k/R; each timer tick publishes every message already due, stamped with its intended time, and
 * never waits for receivers (coordinated omission: a late tick delays sends, it does not drop or thin them).
 */

/** How the schedule meets rates finer than Node's ~1 ms timers; results.method quotes it. */
export const SCHEDULE_STRATEGY =
  'setTimeout ticks (Node timers, ~1 ms granularity) with catch-up batching: each tick publishes every message whose intended time has passed; no spin (a spin would be counted as server CPU); lateness is reported as scheduler lag';

/** Messages a schedule publishes in all: those whose intended time falls inside the duration. */
export function scheduledCount(rate: number, durationMs: number): number {
  return Math.ceil((rate * durationMs) / 1000);
}

export function validateSchedule(request: ScheduleRequest): void {
  if (!Number.isFinite(request.rate) || request.rate <= 0) throw new RangeError(`schedule rate must be > 0 messages/s, got ${request.rate}`);
  if (!Number.isFinite(request.durationMs) || request.durationMs < 0) throw new RangeError(`schedule durationMs must be >= 0, got ${request.durationMs}`);
  if (!Array.isArray(request.rooms) || request.rooms.length === 0) throw new RangeError('schedule needs at least one room');
  if (request.payloadBytes !== undefined && (!Number.isInteger(request.payloadBytes) || request.payloadBytes < 0)) {
    throw new RangeError(`schedule payloadBytes must be a non-negative integer, got ${request.payloadBytes}`);
  }
}

/**
 * Runs one schedule on `feed`; resolves when the last message is published (or early, with what was
 * published, when `signal` aborts).
 */
export function startSchedule(feed: Feed, request: ScheduleRequest & { signal?: AbortSignal }): Promise<ScheduleReport> {
  validateSchedule(request);
  const signal = request.signal;
  const total = scheduledCount(request.rate, request.durationMs);
  const intervalUs = 1e6 / request.rate;
  const rooms = request.rooms;
  const report: ScheduleReport = { rooms: {}, strategy: SCHEDULE_STRATEGY };
  for (const room of rooms) report.rooms[room] = { published: 0, firstSeq: 0, lastSeq: 0 };
  // A payload size other than the feed's needs its own deterministic source (same seed as the feed).
  const custom = request.payloadBytes !== undefined && request.payloadBytes !== feed.options.payloadBytes ? new PayloadSource(request.payloadBytes, feed.options.seed) : undefined;

  const publish = (k: number, intendedAt: number): void => {
    const room = rooms[k % rooms.length]!;
    let payload: string | Buffer | undefined;
    if (custom) {
      const seq = feed.head(room) + 1;
      payload = feed.options.binary ? custom.bytes(room, seq) : custom.text(room, seq);
    }
    const entry = feed.publish(room, payload, intendedAt);
    const counts = report.rooms[room]!;
    if (counts.published === 0) counts.firstSeq = entry.seq;
    counts.lastSeq = entry.seq;
    counts.published++;
  };

  return new Promise((resolve, reject) => {
    const start = nowUs();
    let k = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve(report);
    };
    const tick = (): void => {
      timer = undefined;
      try {
        const now = nowUs();
        // Catch-up batching: everything due by now goes out in this tick, in order, each subscriber's
        // frames in one write (servers/write-batch.ts).
        batchWrites(() => {
          while (k < total && start + k * intervalUs <= now) {
            publish(k, start + k * intervalUs);
            k++;
          }
        });
      } catch (error) {
        signal?.removeEventListener('abort', finish);
        reject(error);
        return;
      }
      if (k >= total || signal?.aborted) return finish();
      // Wake when the next message is due; timers never fire early by a whole ms, so round up.
      const waitMs = (start + k * intervalUs - nowUs()) / 1000;
      timer = setTimeout(tick, Math.max(1, Math.ceil(waitMs)));
    };
    if (signal?.aborted) return finish();
    signal?.addEventListener('abort', finish, { once: true });
    tick();
  });
}
