import { describe, expect, it } from 'vitest';
import { Feed } from '../../servers/feed.ts';
import { scheduledCount, startSchedule, SCHEDULE_STRATEGY } from '../../servers/schedule.ts';

function entries(feed: Feed, room: string) {
  return feed.after(room, 0).entries.map((e) => e.message);
}

describe('#startSchedule', () => {
  it('publishes rate × duration messages, round-robin over the rooms', async () => {
    const feed = new Feed();
    const report = await startSchedule(feed, { rate: 1_000, rooms: ['a', 'b', 'c'], durationMs: 60 });
    expect(scheduledCount(1_000, 60)).toBe(60);
    expect(report.rooms).toEqual({
      a: { published: 20, firstSeq: 1, lastSeq: 20 },
      b: { published: 20, firstSeq: 1, lastSeq: 20 },
      c: { published: 20, firstSeq: 1, lastSeq: 20 },
    });
    expect(feed.published).toBe(60);
    expect(report.strategy).toBe(SCHEDULE_STRATEGY);
  });

  it('stamps each message with its intended time, k/R apart', async () => {
    const feed = new Feed();
    await startSchedule(feed, { rate: 500, rooms: ['a', 'b'], durationMs: 40 });
    // Round-robin over two rooms at 500/s: consecutive messages of one room are 2 × 2 ms apart.
    const a = entries(feed, 'a');
    const b = entries(feed, 'b');
    expect(a).toHaveLength(10);
    expect(b).toHaveLength(10);
    const start = a[0]!.at;
    a.forEach((m, i) => expect(m.at).toBeCloseTo(start + i * 4_000, 3));
    b.forEach((m, i) => expect(m.at).toBeCloseTo(start + 2_000 + i * 4_000, 3));
    // Never sent before its time.
    for (const m of [...a, ...b]) expect(m.ts).toBeGreaterThanOrEqual(m.at);
  });

  it('catches up after a blocked event loop without skipping a message', async () => {
    const feed = new Feed();
    const done = startSchedule(feed, { rate: 1_000, rooms: ['r'], durationMs: 100 });
    // Block the loop for 40 ms right after the first tick: every message due meanwhile goes out in one batch.
    const until = performance.now() + 40;
    while (performance.now() < until);
    const report = await done;
    const messages = entries(feed, 'r');
    expect(report.rooms.r!.published).toBe(100);
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // The batch: messages intended during the block were sent together after it, late by up to the block.
    const late = messages.filter((m) => m.ts - m.at > 20_000);
    expect(late.length).toBeGreaterThan(10);
    messages.forEach((m, i) => expect(m.at).toBeCloseTo(messages[0]!.at + i * 1_000, 3));
  });

  it('uses payloads of the requested size, deterministically', async () => {
    const one = new Feed({ payloadBytes: 64 });
    const two = new Feed({ payloadBytes: 64 });
    await startSchedule(one, { rate: 1_000, rooms: ['a'], durationMs: 5, payloadBytes: 256 });
    await startSchedule(two, { rate: 1_000, rooms: ['a'], durationMs: 5, payloadBytes: 256 });
    const p1 = entries(one, 'a').map((m) => m.payload);
    expect(p1.every((p) => p.length === 256)).toBe(true);
    expect(entries(two, 'a').map((m) => m.payload)).toEqual(p1);
  });

  it('publishes binary payloads on a text feed when asked, and text on a binary one, as the feed itself would', async () => {
    const text = new Feed({ payloadBytes: 32 });
    await startSchedule(text, { rate: 1_000, rooms: ['a'], durationMs: 3, binary: true });
    const binaryFeed = new Feed({ payloadBytes: 32, binary: true });
    await startSchedule(binaryFeed, { rate: 1_000, rooms: ['a'], durationMs: 3 });
    const asked = text.after('a', 0).entries;
    expect(asked.every((e) => e.bytes?.length === 32 && e.message.enc === 'base64')).toBe(true);
    expect(asked.map((e) => e.message.payload)).toEqual(binaryFeed.after('a', 0).entries.map((e) => e.message.payload));
    await startSchedule(binaryFeed, { rate: 1_000, rooms: ['b'], durationMs: 3, binary: false });
    expect(binaryFeed.after('b', 0).entries.every((e) => e.bytes === undefined && e.message.payload.length === 32)).toBe(true);
    expect(() => startSchedule(text, { rate: 1, rooms: ['a'], durationMs: 1, binary: 'yes' as unknown as boolean })).toThrow(/binary/);
  });

  it('stops early when aborted, reporting what it published', async () => {
    const feed = new Feed();
    const controller = new AbortController();
    const done = startSchedule(feed, { rate: 100, rooms: ['a'], durationMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    const report = await done;
    expect(report.rooms.a!.published).toBe(feed.published);
    expect(report.rooms.a!.published).toBeLessThan(6_000);
  });

  it('rejects a non-positive rate', () => {
    expect(() => startSchedule(new Feed(), { rate: 0, rooms: ['a'], durationMs: 10 })).toThrow(/rate/);
  });
});
