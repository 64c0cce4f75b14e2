import { describe, expect, it } from 'vitest';
import { Feed, retainedEntries, type FeedEntry } from '../../servers/feed.ts';

describe('#Feed', () => {
  it('numbers messages per room from 1, without gaps', () => {
    const feed = new Feed();
    const a = [feed.publish('a'), feed.publish('a'), feed.publish('a')];
    const b = [feed.publish('b'), feed.publish('b')];
    expect(a.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(b.map((e) => e.seq)).toEqual([1, 2]);
    expect(feed.head('a')).toBe(3);
    expect(feed.head('b')).toBe(2);
    expect(feed.head('none')).toBe(0);
    expect(feed.published).toBe(5);
    expect([...feed.rooms()]).toEqual([['a', 3], ['b', 2]]);
  });

  it('stamps each message and encodes it once as JSON', () => {
    const feed = new Feed({ payloadBytes: 16 });
    const entry = feed.publish('a', undefined, 123.5);
    expect(entry.message).toMatchObject({ seq: 1, room: 'a', at: 123.5 });
    expect(entry.message.payload).toHaveLength(16);
    expect(entry.message.ts).toBeGreaterThan(0);
    expect(JSON.parse(entry.json)).toEqual(entry.message);
    const onDemand = feed.publish('a', 'hello');
    expect(onDemand.message.at).toBe(onDemand.message.ts);
    expect(onDemand.message.payload).toBe('hello');
  });

  it('carries binary payloads as base64 in the JSON and as bytes beside it', () => {
    const feed = new Feed({ binary: true, payloadBytes: 10 });
    const entry = feed.publish('a');
    expect(entry.bytes).toHaveLength(10);
    expect(entry.message.enc).toBe('base64');
    expect(Buffer.from(entry.message.payload, 'base64')).toEqual(entry.bytes);
    const given = feed.publish('a', Buffer.from([1, 2, 3]));
    expect(JSON.parse(given.json)).toMatchObject({ payload: 'AQID', enc: 'base64' });
  });

  it('returns the messages of one room after a cursor, in order', () => {
    const feed = new Feed();
    for (let i = 0; i < 5; i++) {
      feed.publish('a');
      feed.publish('b');
    }
    const { entries, gap, head } = feed.after('a', 2);
    expect(entries.map((e) => [e.message.room, e.seq])).toEqual([['a', 3], ['a', 4], ['a', 5]]);
    expect(gap).toBe(false);
    expect(head).toBe(5);
    expect(feed.after('a', 0, 2).entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(feed.after('unknown', 0)).toEqual({ entries: [], gap: false, head: 0 });
  });

  it('reports a gap when the log no longer holds what follows the cursor', () => {
    const feed = new Feed({ logLength: 3 });
    for (let i = 0; i < 10; i++) feed.publish('a');
    const { entries, gap } = feed.after('a', 1);
    expect(entries.map((e) => e.seq)).toEqual([8, 9, 10]);
    expect(gap).toBe(true);
    expect(feed.after('a', 7).gap).toBe(false);
  });

  it('bounds a room\'s log in bytes as well as entries: large payloads keep fewer entries', () => {
    const feed = new Feed({ payloadBytes: 1_000, logBytes: 10_000 });
    for (let i = 0; i < 50; i++) feed.publish('a');
    const held = feed.after('a', 0).entries;
    const each = held[0]!.json.length;
    expect(held).toHaveLength(Math.floor(10_000 / each));
    expect(held.at(-1)!.seq).toBe(50);
    expect(retainedEntries(50, each, feed.options)).toBe(held.length);
    expect(feed.after('a', 0).gap).toBe(true);
  });

  it('gives identical payloads to two feeds with the same seed, and others with another seed', () => {
    const run = (seed: number) => {
      const feed = new Feed({ seed, payloadBytes: 32 });
      const out: string[] = [];
      for (let i = 0; i < 20; i++) out.push(feed.publish(i % 2 ? 'x' : 'y').message.payload);
      return out;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    const binary = () => new Feed({ seed: 3, binary: true }).publish('r').bytes;
    expect(binary()).toEqual(binary());
  });

  it('hands live messages to the subscribers of their room only, until they unsubscribe', () => {
    const feed = new Feed();
    const got: FeedEntry[] = [];
    const unsubscribe = feed.subscribe('a', (entry) => got.push(entry));
    feed.publish('a');
    feed.publish('b');
    feed.publish('a');
    expect(got.map((e) => [e.message.room, e.seq])).toEqual([['a', 1], ['a', 2]]);
    expect(feed.subscriberCount).toBe(1);
    unsubscribe();
    feed.publish('a');
    expect(got).toHaveLength(2);
    expect(feed.subscriberCount).toBe(0);
  });

  it('lets a subscriber unsubscribe while being called', () => {
    const feed = new Feed();
    let calls = 0;
    const off: (() => void)[] = [];
    for (let i = 0; i < 3; i++) off.push(feed.subscribe('a', () => (calls++, off[i]())));
    feed.publish('a');
    feed.publish('a');
    expect(calls).toBe(3);
    expect(feed.subscriberCount).toBe(0);
  });

  it('refuses a room beyond maxRooms but goes on serving the existing ones', () => {
    const feed = new Feed({ maxRooms: 2 });
    feed.publish('a');
    feed.publish('b');
    expect(() => feed.publish('c')).toThrow(expect.objectContaining({ code: 'FEED_ERR_TOO_MANY_ROOMS' }));
    expect(() => feed.publish('c')).toThrow(/at most 2 rooms/);
    expect(feed.publish('a').seq).toBe(2);
    expect(feed.head('c')).toBe(0);
  });

  it('with deliveryDelayMs (test only), publishes each message that much later: log and live subscribers together, in order', async () => {
    const feed = new Feed({ deliveryDelayMs: 30 });
    const got: Array<{ seq: number; afterMs: number }> = [];
    const start = performance.now();
    feed.subscribe('a', (entry) => got.push({ seq: entry.seq, afterMs: performance.now() - start }));
    expect(feed.publish('a').seq).toBe(1);
    expect(feed.publish('a').seq).toBe(2);
    expect(feed.after('a', 0).entries).toEqual([]);
    expect(got).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(got.map((g) => g.seq)).toEqual([1, 2]);
    expect(feed.after('a', 0).entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(feed.publish('a').seq).toBe(3);
    // A timer fires no earlier than asked (Node may round it down by a fraction of a millisecond).
    expect(got[0]!.afterMs).toBeGreaterThanOrEqual(29);
  });

  it('with deliveryDelayMs, a client that reads the backlog and subscribes during the delay gets each message once', async () => {
    const feed = new Feed({ deliveryDelayMs: 20 });
    const early: number[] = [];
    const late: number[] = [];
    feed.subscribe('a', (entry) => early.push(entry.seq));
    feed.publish('a');
    await new Promise((resolve) => setTimeout(resolve, 60));
    feed.publish('a');
    // A reconnecting client, in one tick: the backlog (seq 1; seq 2 is not published yet), then live.
    late.push(...feed.after('a', 0).entries.map((e) => e.seq));
    feed.subscribe('a', (entry) => late.push(entry.seq));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(early).toEqual([1, 2]);
    expect(late).toEqual([1, 2]);
  });
});
