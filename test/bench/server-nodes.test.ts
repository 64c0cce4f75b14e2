import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../../results/read-results.ts';
import { ClientPool } from '../../bench/run/client-pool.ts';
import { ServerNodes } from '../../bench/run/server-nodes.ts';
import { ServerPool } from '../../bench/run/server-pool.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import { TRANSPORTS } from '../../protocol/transports.ts';
import { PrivateRedis, redisSuiteRuns } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';

const SUITE = 'bench/server-nodes';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe.runIf(redisSuiteRuns(SUITE))('#ServerNodes (run --nodes 2 --feed redis)', () => {
  let redis: PrivateRedis;
  let pool: ServerPool;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    pool = new ServerPool({ feed: { url: redis.url, runId: 'nodes-test' } });
  });
  afterAll(async () => {
    await pool?.stopAll();
    await redis?.stop();
  });

  it.each(TRANSPORTS)('%s: spreads the clients over both nodes; what node 1 and then node 0 publish reaches every client once, in order', { timeout: 60_000 }, async (transport) => {
    const server = await pool.acquire({ transport }, undefined, 2);
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

describe.runIf(redisSuiteRuns(`${SUITE} faults`))('#node-kill and #redis-restart (run --nodes 2 --feed redis)', () => {
  it("node-kill moves the killed node's clients to the other node, and after redis-restart every client follows the new feed, on every transport", { timeout: 150_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tb-node-kill-'));
    try {
      const out = path.join(dir, 'results.json');
      const run = spawnSync('npx', ['tsx', 'bin/transport-bench.ts', 'run', '--profile', 'smoke', '--nodes', '2', '--feed', 'redis', '--scenarios', 'node-kill,redis-restart', '--client-runtime', 'node', '--quiet', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 140_000 });
      expect(run.status, run.stderr).toBe(0);
      const results = readResults(out);
      const kills = results.steps.filter((s) => s.scenario === 'node-kill');
      expect(kills.map((s) => s.transport).sort()).toEqual([...TRANSPORTS].sort());
      for (const step of kills) {
        expect({ id: step.id, status: step.status }).toEqual({ id: step.id, status: 'ok' });
        if (step.status !== 'ok') continue;
        expect(step.params).toMatchObject({ nodes: 2, feed: 'redis' });
        expect({ id: step.id, ...step.metrics.delivery }).toMatchObject({ id: step.id, lost: 0, duplicated: 0, outOfOrder: 0 });
        // Four clients over two nodes: clients 1 and 3 were on node 1, the one killed, and both came back.
        expect({ id: step.id, ...step.metrics.reliability }).toMatchObject({ id: step.id, fault: 'node-kill', moved: 2, movedResumed: 2, resumed: 4 });
      }
      // Redis SIGKILLed and back empty: the nodes drop their clients, who reset and lose nothing published after.
      const restarts = results.steps.filter((s) => s.scenario === 'redis-restart');
      expect(restarts.map((s) => s.transport).sort()).toEqual([...TRANSPORTS].sort());
      for (const step of restarts) {
        expect({ id: step.id, status: step.status }).toEqual({ id: step.id, status: 'ok' });
        if (step.status !== 'ok') continue;
        const r = step.metrics.reliability!;
        expect({ id: step.id, fault: r.fault, resumed: r.resumed, clients: r.clients }).toEqual({ id: step.id, fault: 'redis-restart', resumed: 4, clients: 4 });
        expect({ id: step.id, ...r.afterRestart }).toMatchObject({ id: step.id, lost: 0, duplicated: 0, outOfOrder: 0 });
        expect(r.afterRestart!.expected).toBeGreaterThan(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
