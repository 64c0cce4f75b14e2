import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isToolError, TOOL_ERRORS } from '../../protocol/tool-errors.ts';
import { Feed, type FeedEntry } from '../../servers/feed.ts';
import { RedisFeed } from '../../servers/redis-feed.ts';
import { PrivateRedis, redisSuiteRuns } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const SUITE = 'servers/redis-feed';

describe.runIf(redisSuiteRuns(SUITE))('#RedisFeed (a private redis-server)', () => {
  let redis: PrivateRedis;
  const open: RedisFeed[] = [];
  const node = async (namespace: string, options: { logLength?: number; maxRooms?: number } = {}) => {
    const feed = await RedisFeed.open({ url: redis.url, namespace, ...options });
    open.push(feed);
    return feed;
  };
  const fresh = () => `t${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
  });
  afterAll(async () => {
    await Promise.all(open.map((feed) => feed.close()));
    await redis?.stop();
  });

  it('numbers 1, 2, 3 … without gaps whichever node publishes, and every node delivers each message once, in order', async () => {
    const namespace = fresh();
    const nodes = [await node(namespace), await node(namespace), await node(namespace)];
    const seen = nodes.map(() => [] as number[]);
    nodes.forEach((feed, i) => feed.subscribe('r', (entry) => seen[i]!.push(entry.seq)));
    // 300 publishes, spread over the three nodes and sent without waiting (open loop).
    const acks = await Promise.all(Array.from({ length: 300 }, (_, k) => nodes[k % 3]!.publish('r', `m${k}`)));
    expect(acks.map((entry) => entry.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, k) => k + 1));
    await waitFor(() => seen.every((list) => list.length === 300), 'every node to deliver 300 messages', 5_000);
    for (const list of seen) expect(list).toEqual(Array.from({ length: 300 }, (_, k) => k + 1));
    expect(nodes.map((feed) => feed.head('r'))).toEqual([300, 300, 300]);
  });

  it("builds each entry as the memory feed does, byte for byte, text and binary", async () => {
    const namespace = fresh();
    const feed = await node(namespace);
    const text = await feed.publish('r', 'hello', 123.5);
    expect(text.json).toBe(JSON.stringify({ seq: 1, room: 'r', ts: text.message.ts, at: 123.5, payload: 'hello' }));
    const binary = await feed.publish('r', Buffer.from([1, 2, 3]));
    expect(binary.message).toMatchObject({ seq: 2, payload: 'AQID', enc: 'base64' });
    await waitFor(() => feed.head('r') === 2, 'the replica to hold 2');
    const [first, second] = feed.after('r', 0).entries as [FeedEntry, FeedEntry];
    expect(first.json).toBe(text.json);
    expect(second.json).toBe(binary.json);
    expect(second.bytes).toEqual(Buffer.from([1, 2, 3]));
    // The memory feed's own shape, for the same message.
    const memory = new Feed().publish('r', 'hello', 123.5);
    expect(Object.keys(JSON.parse(memory.json))).toEqual(Object.keys(JSON.parse(first.json)));
  });

  it('a node started later reads the log Redis holds, and any node answers any cursor', async () => {
    const namespace = fresh();
    const first = await node(namespace, { logLength: 50 });
    for (let k = 0; k < 120; k++) await first.publish(k % 2 ? 'a' : 'b', `m${k}`);
    const late = await node(namespace, { logLength: 50 });
    expect(late.head('a')).toBe(60);
    expect(late.head('b')).toBe(60);
    expect(late.after('a', 55).entries.map((entry) => entry.seq)).toEqual([56, 57, 58, 59, 60]);
    // MAXLEN ~ trims in whole nodes of the stream: at least the last 50 are kept, perhaps a few more.
    const fromStart = late.after('a', 0);
    expect(fromStart.gap).toBe(true);
    expect(fromStart.entries.length).toBeGreaterThanOrEqual(50);
  });

  it('a cursor its replica has not reached yet is waited for, not reset; one beyond what Redis numbered is a reset', async () => {
    const namespace = fresh();
    const feed = await node(namespace);
    await feed.publish('r', 'one');
    await waitFor(() => feed.head('r') === 1, 'the replica to hold 1');
    expect(feed.catchUp('r', 1)).toBeUndefined();
    // A cursor a faster node could have given out: Redis has numbered it, this replica does not have it yet.
    const pending = feed.catchUp('r', 2);
    expect(pending).toBeInstanceOf(Promise);
    await feed.publish('r', 'two');
    await pending;
    expect(feed.after('r', 2)).toEqual({ entries: [], gap: false, head: 2 });
    // Redis never numbered 99 in this room: the client's cursor is of a feed before this one.
    await feed.catchUp('r', 99);
    expect(feed.after('r', 99).reset).toBe(true);
  });

  it('reads more rooms than one reader follows (256) with a reader per group, on every node', async () => {
    const namespace = fresh();
    const publisher = await node(namespace);
    const reader = await node(namespace);
    const rooms = Array.from({ length: 600 }, (_, i) => `r${i}`);
    await Promise.all(rooms.map((room) => publisher.publish(room, 'x')));
    await waitFor(() => rooms.every((room) => reader.head(room) === 1), 'the other node to hold a message of each of 600 rooms', 10_000);
    // A later message of a room in the third group reaches a subscriber there too.
    const got: number[] = [];
    reader.subscribe('r599', (entry) => got.push(entry.seq));
    await publisher.publish('r599', 'y');
    await waitFor(() => got.length === 1, 'the live message of room r599');
    expect(got).toEqual([2]);
  });

  it('refuses one room more than maxRooms, as the memory feed does', async () => {
    const feed = await node(fresh(), { maxRooms: 2 });
    await feed.publish('a', 'x');
    await feed.publish('b', 'x');
    const refused = await feed.publish('c', 'x').catch((error: unknown) => error);
    expect(isToolError(refused, TOOL_ERRORS.FEED_TOO_MANY_ROOMS)).toBe(true);
    expect((await feed.publish('a', 'y')).seq).toBe(2);
  });

  it('rejects at once, naming the URL, when Redis cannot be reached', async () => {
    const started = performance.now();
    await expect(RedisFeed.open({ url: 'redis://127.0.0.1:1', namespace: 'x' })).rejects.toThrow(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  // Last: it restarts the suite's redis-server.
  it('after Redis restarts empty, each node starts over (a new epoch) and tells its servers, and numbering restarts at 1', async () => {
    const namespace = fresh();
    const feed = await node(namespace);
    await feed.publish('r', 'before');
    await waitFor(() => feed.head('r') === 1, 'the replica to hold 1');
    const epoch = feed.epoch;
    let restarts = 0;
    feed.onRestart(() => restarts++);
    await redis.restart();
    await waitFor(() => restarts === 1, 'the feed to see the restart', 5_000);
    expect(feed.epoch).not.toBe(epoch);
    expect(feed.head('r')).toBe(0);
    const after = await feed.publish('r', 'after');
    expect(after.seq).toBe(1);
    await waitFor(() => feed.head('r') === 1, 'the replica to hold the new 1');
    expect(feed.after('r', 0).entries.map((entry) => entry.message.payload)).toEqual(['after']);
  });
});
