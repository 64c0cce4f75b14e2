import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientPool } from '../../bench/run/client-pool.ts';
import { ServerNodes } from '../../bench/run/server-nodes.ts';
import { ServerPool } from '../../bench/run/server-pool.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import { TRANSPORTS } from '../../protocol/transports.ts';
import { PrivateRedis, redisSuiteRuns } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const SUITE = 'bench/server-nodes';

describe.runIf(redisSuiteRuns(SUITE))('#ServerNodes (run --nodes 2 --feed redis)', () => {
  let redis: PrivateRedis;
  let pool: ServerPool;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    pool = new ServerPool({ feed: { url: redis.url, runId: 'nodes-test' }, nodes: 2 });
  });
  afterAll(async () => {
    await pool?.stopAll();
    await redis?.stop();
  });

  it.each(TRANSPORTS)('%s: spreads the clients over both nodes; what node 1 and then node 0 publish reaches every client once, in order', { timeout: 60_000 }, async (transport) => {
    const server = await pool.acquire({ transport });
    expect(server).toBeInstanceOf(ServerNodes);
    const nodes = server as ServerNodes;
    expect(new Set(nodes.endpoints.map((e) => e.port)).size).toBe(2);
    // The room's first message is published on node 1 (a long poll waits for one before its client is ready).
    expect((await nodes.nodes[1]!.schedule({ rate: 1_000, rooms: [`n-${transport}`], durationMs: 1 })).rooms[`n-${transport}`]).toMatchObject({ published: 1, firstSeq: 1 });
    const received = new Map<number, number[]>();
    const clients = await ClientPool.connect({
      transport,
      host: nodes.host,
      port: nodes.port,
      endpoints: nodes.endpoints,
      clients: 4,
      rooms: [`n-${transport}`],
      clientOptions: { pollIntervalMs: 20 },
      onMessage: (member, message: FeedMessage) => received.set(member.index, [...(received.get(member.index) ?? []), message.seq]),
    });
    try {
      // Two clients on each node: the nodes' own counters say so.
      const perNode = await Promise.all(nodes.nodes.map((node) => node.stats()));
      if (transport !== 'short-polling' && transport !== 'long-polling') expect(perNode.map((s) => s.subscriptions > 0)).toEqual([true, true]);
      const report = await nodes.schedule({ rate: 200, rooms: [`n-${transport}`], durationMs: 100 });
      const published = report.rooms[`n-${transport}`]!.published;
      expect(published).toBe(20);
      await waitFor(() => [0, 1, 2, 3].every((i) => (received.get(i)?.length ?? 0) >= published + 1), 'every client to get every message', 10_000);
      for (const i of [0, 1, 2, 3]) expect(received.get(i)).toEqual(Array.from({ length: published + 1 }, (_, k) => k + 1));
      expect((await nodes.stats()).published).toBe(0);
    } finally {
      await clients.close();
    }
  });
});
