import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mayRaiseHardLimits } from '../helpers/capabilities.ts';
import { cli } from '../helpers/cli.ts';
import { loadSideSample, sliceClients } from '../../bench/agent/agent-group.ts';
import { AgentSet } from '../../bench/agent/agent-set.ts';
import { spawnSync } from 'node:child_process';
import { waitFor } from '../helpers/wait-for.ts';
import { encodeTally, mergeTallies, WindowReceiver, type WindowTally } from '../../bench/measure/window-receiver.ts';
import { runOpenLoopShare } from '../../bench/scenarios/open-loop.ts';
import { percentiles } from '../../bench/measure/histogram.ts';
import type { PooledClient } from '../../bench/run/client-pool.ts';
import type { TransportClient } from '../../clients/client.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { ResourceSample } from '../../protocol/server-ipc.ts';
import { readResults } from '../../results/read-results.ts';
import { fileLimit } from '../../bench/run/file-limit.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tb-agents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pooled client that only has a place in the pool (the receiver reads its poll counter, which it lacks). */
function member(index: number, room: string): PooledClient {
  return { index, room, client: {} as TransportClient, readyUs: 0, errors: 0 };
}

/** Everything a tally says, in comparable form: counts exact, histograms by their percentiles and counts. */
function figures(tally: WindowTally) {
  const h = tally.histograms;
  return { delivery: tally.delivery, latency: percentiles(h.latency), uncorrected: percentiles(h.latencyUncorrected), lag: percentiles(h.schedulerLag), bytes: tally.bytes, messages: tally.messages };
}

describe('#load agents: slices and merging', () => {
  it('slices the clients contiguously, sizes apart by one at most, leaving out empty slices', () => {
    expect(sliceClients(10, 3)).toEqual([{ first: 0, count: 4 }, { first: 4, count: 3 }, { first: 7, count: 3 }]);
    expect(sliceClients(50_000, 3).map((s) => s.count)).toEqual([16_667, 16_667, 16_666]);
    expect(sliceClients(2, 4)).toEqual([{ first: 0, count: 1 }, { first: 1, count: 1 }]);
  });

  it('merges the tallies of slices into exactly what one receiver of every client records (no percentile averaged)', () => {
    const clients = 9;
    const rooms = ['r0', 'r1', 'r2'];
    const members = Array.from({ length: clients }, (_, i) => member(i, rooms[i % rooms.length]!));
    // Deliveries with latencies spread over four orders of magnitude, some lost, some doubled, some late.
    const deliveries: { client: number; message: FeedMessage; receivedAt: number }[] = [];
    let x = 7;
    for (let seq = 1; seq <= 200; seq++) {
      for (const [r, room] of rooms.entries()) {
        const at = 1_000_000 + seq * 1_000 + r;
        const message: FeedMessage = { seq, room, at, ts: at + (seq % 17) * 13, payload: 'p'.repeat(32 + (seq % 5)) };
        for (let client = r; client < clients; client += rooms.length) {
          x = (x * 48_271) % 2_147_483_647;
          if (x % 50 === 0) continue; // lost
          deliveries.push({ client, message, receivedAt: at + 20 + (x % 100_000) });
          if (x % 97 === 0) deliveries.push({ client, message, receivedAt: at + 200_000 }); // doubled
        }
      }
    }
    const published = Object.fromEntries(rooms.map((room) => [room, { published: 200, firstSeq: 1, lastSeq: 200 }]));

    const whole = new WindowReceiver(clients);
    for (const d of deliveries) whole.receive(members[d.client]!, d.message, d.receivedAt);

    // Three agents as run --agents 3 slices nine clients: 0–2, 3–5 and 6–8, every room's clients in every agent.
    const tallies = sliceClients(clients, 3).map(({ first, count }) => {
      const receiver = new WindowReceiver(count, { log: true });
      const local = Array.from({ length: count }, (_, i) => member(i, rooms[(first + i) % rooms.length]!));
      for (const d of deliveries) if (d.client >= first && d.client < first + count) receiver.receive(local[d.client - first]!, d.message, d.receivedAt);
      return encodeTally(receiver.tally(local, published), receiver.log);
    });

    const merged = figures(mergeTallies(tallies));
    expect(merged).toEqual(figures(whole.tally(members, published)));
    expect(merged.delivery.lost).toBeGreaterThan(0);
    expect(merged.delivery.duplicated).toBeGreaterThan(0);
    // Each message's lag once, whichever agents saw it: 600 messages, of which each agent saw only some.
    expect(merged.lag.count).toBe(600);
    expect(tallies.map((t) => t.log!.length).every((n) => n < 600)).toBe(true);
  });

  it("splits the load side's open loop into the agents' shares: every event once, at its time in the whole schedule", async () => {
    // 5 clients over 2 agents (0–2 and 3–4), 53 events in all: event k is client k mod 5's. Started at 0 µs,
    // every event is already due: each share fires at once, in order, with its intended times.
    const fired: { k: number; us: number }[] = [];
    const shares = [{ first: 0, count: 3, of: 5 }, { first: 3, count: 2, of: 5 }];
    const counts = await Promise.all(shares.map((share) => runOpenLoopShare({ rate: 10_600, durationMs: 5, startUs: 0, share, fire: (k, us) => fired.push({ k, us }) })));
    expect(counts).toEqual([33, 20]);
    fired.sort((a, b) => a.k - b.k);
    expect(fired.map((f) => f.k)).toEqual(Array.from({ length: 53 }, (_, k) => k));
    for (const { k, us } of fired) expect(us).toBeCloseTo((k * 1e6) / 10_600, 6);
  });

  it("sums the agents' CPU when they share one core, else takes the busiest; memory summed, the busiest agent's event loop", () => {
    const sample = (cpuPercent: number, eventLoopDelayP90Ms: number, rssBytes: number): ResourceSample => ({ cpuPercent, publisherWaitPercent: 0, rssBytes, heapUsedBytes: rssBytes / 2, eventLoopUtilisation: cpuPercent / 100, eventLoopDelayP99Ms: eventLoopDelayP90Ms * 2, eventLoopDelayP90Ms });
    const samples = [sample(40, 3, 100), sample(95, 1, 200)];
    expect(loadSideSample(samples, true)).toEqual({ cpuPercent: 135, publisherWaitPercent: 0, rssBytes: 300, heapUsedBytes: 150, eventLoopUtilisation: 0.95, eventLoopDelayP99Ms: 6, eventLoopDelayP90Ms: 3 });
    expect(loadSideSample(samples, false).cpuPercent).toBe(95);
  });
});

/** Pids of this process's children running `transport-bench agent`. */
function agentPids(): number[] {
  const found = spawnSync('pgrep', ['-P', String(process.pid), '-f', 'transport-bench.ts agent'], { encoding: 'utf8' });
  return found.stdout.split('\n').filter(Boolean).map(Number);
}

describe('#AgentSet', () => {
  it("answers an agent's error as the request's, rejects requests to a dead agent with why it died, starts a new one when asked, and leaves none behind", { timeout: 60_000 }, async () => {
    const set = new AgentSet(1);
    try {
      const first = set.agents()[0]!;
      const session = set.newSession();
      await expect(first.request({ type: 'connect', slice: { transport: 'ws', host: '127.0.0.1', port: 1, first: 0, count: 0, total: 0, rooms: ['r'], binary: 'frame', messages: 'fan-out' } }, session)).resolves.toEqual({ connected: 0 });
      await expect(first.request({ type: 'caught-up' }, session)).rejects.toThrow(/load agent 0: no 'expect' before it was needed/);
      const [pid] = agentPids();
      expect(pid).toBeGreaterThan(0);
      process.kill(pid!, 'SIGKILL');
      await waitFor(() => agentPids().length === 0, 'the agent to be gone', 5_000);
      await expect(first.request({ type: 'stop' }, session)).rejects.toThrow(/load agent 0 exited \(SIGKILL\)/);
      // The next step's agents: a new process, answering.
      await expect(set.agents()[0]!.request({ type: 'stop' }, set.newSession())).rejects.toThrow(/'stop' of a session this agent is not on/);
      expect(agentPids()).toHaveLength(1);
      expect(agentPids()[0]).not.toBe(pid);
    } finally {
      await set.close();
    }
    expect(agentPids()).toEqual([]);
  });

  it("refuses an earlier session's requests and ignores its close: a step that gave up cannot touch the next one's clients", { timeout: 60_000 }, async () => {
    const set = new AgentSet(1);
    try {
      const agent = set.agents()[0]!;
      const slice = { transport: 'ws' as const, host: '127.0.0.1', port: 1, first: 0, count: 0, total: 0, rooms: ['r'], binary: 'frame' as const, messages: 'fan-out' as const };
      const old = set.newSession();
      await agent.request({ type: 'connect', slice }, old);
      const current = set.newSession();
      await agent.request({ type: 'connect', slice }, current);
      await expect(agent.request({ type: 'close' }, old)).resolves.toBeNull();
      await expect(agent.request({ type: 'stop' }, old)).rejects.toThrow(/'stop' of a session this agent is not on \(session \d+; it is on \d+: a step that gave up\)/);
      // The current session's clients are still there.
      await expect(agent.request({ type: 'stop' }, current)).resolves.toMatchObject({ wireBytes: 0, receipts: 0 });
    } finally {
      await set.close();
    }
  });
});

describe('#transport-bench agent and run --agents', () => {
  it('answers --help, and refuses to start without the run that feeds it (exit 2)', async () => {
    const help = await cli(['agent', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/run\s+--agents N/);
    const alone = await cli(['agent']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/no IPC channel and no --join: agents are started by `transport-bench run --agents N`, or by hand with `transport-bench agent --join <redis-url>`/);
  });

  it.runIf(fileLimit().hard < 51_024 && !mayRaiseHardLimits())("exits 2 when 50,000 connections cannot fit one process's open files, naming the agents and nodes that spread them", async () => {
    const { code, stderr } = await cli(['run', '--transports', 'ws', '--scenarios', 'capacity', '--capacity-clients', '10000,25000,50000']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/50000 connections at once, which needs about 51024 open files in the busiest process/);
    expect(stderr).toMatch(/--nodes 3 --feed redis --agents 3/);
  });

  it('exits 2 on --agents 0, naming the option', async () => {
    const { code, stderr } = await cli(['run', '--agents', '0']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/invalid option --agents/);
  });

  it('push, chat and idle with --agents 2 count exactly what one load process counts: every delivery, every latency, each message once', { timeout: 180_000 }, async () => {
    const run = async (agents: number) => {
      const out = path.join(dir, `agents-${agents}.json`);
      // Two transports, one that streams and one that polls: the suite shares 2 cores with timing-bound tests.
      const { code, stderr } = await cli(['run', '--profile', 'smoke', '--transports', 'ws,short-polling', '--scenarios', 'push,chat,idle', '--client-runtime', 'node', '--repeats', '1', '--agents', String(agents), '--quiet', '--out', out]);
      expect(code, stderr).toBe(0);
      return readResults(out);
    };
    const one = await run(1);
    const two = await run(2);
    expect(two.method.agents).toMatch(/2 load agents/);
    expect(two.steps.map((s) => s.id)).toEqual(one.steps.map((s) => s.id));
    for (const [i, step] of two.steps.entries()) {
      const single = one.steps[i]!;
      if (step.status !== 'ok' || single.status !== 'ok') throw new Error(`${step.id}: not ok`);
      expect(step.notes.join(' ')).toMatch(/clients in 2 load agents/);
      if (step.scenario === 'idle') {
        // Held by the agents: the server's memory per connection is measured (a few clients' RSS is noise, any sign).
        expect(Number.isFinite(step.metrics.memoryPerConnectionBytes?.median)).toBe(true);
        continue;
      }
      // The same open-loop schedule over the same clients: the same counts, whichever process received them.
      expect({ id: step.id, ...step.metrics.delivery }).toEqual({ id: step.id, ...single.metrics.delivery, lost: 0, duplicated: 0, outOfOrder: 0 });
      expect(step.metrics.latency!.count).toBe(single.metrics.latency!.count);
      expect(step.metrics.schedulerLag!.count).toBe(single.metrics.schedulerLag!.count);
      expect(step.metrics.bytesPerMessage!.payload).toBe(single.metrics.bytesPerMessage!.payload);
      // Envelopes carry the µs stamps ts and at as JSON numbers with fractions whose length depends on when the run
      // started: ts up to '.ddd' (4 characters, nanosecond digits), at a float sum of start + k × interval, up to
      // 17 significant digits (a 7-character fraction past the 11 integer digits of µs since boot). Seqs are equal.
      expect(Math.abs(step.metrics.bytesPerMessage!.envelope - single.metrics.bytesPerMessage!.envelope)).toBeLessThanOrEqual(11);
      if (step.transport === 'short-polling' && step.scenario === 'push') expect(step.metrics.requestsPerSec?.median).toBeGreaterThan(0);
    }
  });
});
