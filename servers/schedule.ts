import type { ScheduleReport, ScheduleRequest } from '../protocol/server-ipc.ts';
import { nowUs } from '../protocol/clock.ts';
import type { FeedEntry } from './feed.ts';
import type { MessageFeed } from './message-feed.ts';
import { PayloadSource } from './payload.ts';
import { pace, PACER_STRATEGY } from './pacer.ts';
import { batchWrites } from './write-batch.ts';

/**
 * The open-loop publisher: R messages/s over the given rooms, round-robin, for D ms. Message k is due at
 * start + k/R and is stamped with that intended time; the pacer (pacer.ts) publishes it when it is due and
 * never waits for receivers (coordinated omission: a late turn delays sends, it does not drop or thin them).
 */

/** How the schedule meets its deadlines; results.method quotes it. */
export const SCHEDULE_STRATEGY = PACER_STRATEGY;

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
  if (request.binary !== undefined && typeof request.binary !== 'boolean') throw new RangeError(`schedule binary must be true or false, got ${String(request.binary)}`);
}

/**
 * Runs one schedule on `feed`; resolves when the last message is published (or early, with what was
 * published, when `signal` aborts). On a shared feed a publish completes when Redis has numbered it: the
 * schedule never waits for one before the next (open loop), and resolves once every one has completed.
 */
export function startSchedule(feed: MessageFeed, request: ScheduleRequest & { signal?: AbortSignal }): Promise<ScheduleReport> {
  validateSchedule(request);
  const signal = request.signal;
  const total = scheduledCount(request.rate, request.durationMs);
  const intervalUs = 1e6 / request.rate;
  const rooms = request.rooms;
  const report: ScheduleReport = { rooms: {}, strategy: SCHEDULE_STRATEGY };
  for (const room of rooms) report.rooms[room] = { published: 0, firstSeq: 0, lastSeq: 0 };
  // A payload size or encoding other than the feed's needs its own deterministic source (same seed as the feed).
  const binary = request.binary ?? feed.options.binary;
  const size = request.payloadBytes ?? feed.options.payloadBytes;
  const custom = size !== feed.options.payloadBytes || binary !== feed.options.binary ? PayloadSource.of(size, feed.options.seed) : undefined;

  const publish = (k: number, intendedAt: number): void => {
    const room = rooms[k % rooms.length]!;
    let payload: string | Buffer | undefined;
    if (custom) {
      const seq = feed.head(room) + 1;
      payload = binary ? custom.bytes(room, seq) : custom.text(room, seq);
    }
    const counts = report.rooms[room]!;
    const count = (entry: FeedEntry): void => {
      if (counts.published === 0 || entry.seq < counts.firstSeq) counts.firstSeq = entry.seq;
      counts.lastSeq = Math.max(counts.lastSeq, entry.seq);
      counts.published++;
    };
    const published = feed.publish(room, payload, intendedAt);
    if (!(published instanceof Promise)) return count(published);
    const settled: Promise<void> = published
      .then(count, (error: unknown) => {
        report.failed = (report.failed ?? 0) + 1;
        report.failure ??= (error as Error)?.message ?? String(error);
      })
      .finally(() => pending.delete(settled));
    pending.add(settled);
  };
  const pending = new Set<Promise<void>>();

  // Each turn's messages leave together: each subscriber's frames in one write (servers/write-batch.ts).
  return pace({ total, intervalUs, startUs: nowUs(), signal, fire: publish, batch: batchWrites })
    .then(() => Promise.allSettled([...pending]))
    .then(() => report);
}
