import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../bench/config/config.ts';
import { buildPlan } from '../../../bench/run/plan.ts';
import { NetworkPaths } from '../../../bench/network/network-path.ts';
import { roundTripNote } from '../../../bench/network/round-trip-arithmetic.ts';
import type { StepPlan } from '../../../bench/scenarios/scenario.ts';
import { measureOverNetwork } from '../../helpers/network-step.ts';
import { SCENARIO_REGISTRY } from '../../../bench/scenarios/registry.ts';

/**
 * The round-trip arithmetic of docs/network.md held on real steps at an emulated RTT of 20 ms: the clients
 * go through the delay proxy (its own process), the server runs in this one. The lower bounds are the
 * arithmetic itself: nothing arrives sooner than its round trips allow, however busy the box. The upper
 * bounds only catch arithmetic wrong by whole round trips (SLACK = 2 R): the suite shares 2 cores with other
 * test files, and a long-polling p50 of 35 ms against its 20 ms was seen under that load.
 */
const RTT = 20;
const SLACK = 2 * RTT;
const config = resolveConfig('smoke', {
  transports: ['ws', 'long-polling', 'socket-io'],
  scenarios: ['push', 'connect'],
  durationMs: 400,
  warmupMs: 100,
  connectClients: 4,
  rttMs: [RTT],
});
const plan = buildPlan(config, SCENARIO_REGISTRY);
const network = new NetworkPaths();
afterAll(() => network.stop());

async function measure(id: string) {
  const step: StepPlan | undefined = plan.find((s) => s.id === id);
  expect(step, id).toBeDefined();
  const metrics = await measureOverNetwork(step!, config, network);
  return { metrics, note: roundTripNote(step!, metrics) };
}

const ms = (us: number | undefined) => (us ?? NaN) / 1_000;

/**
 * One repeat, taken again once when `figure` (ms) reached the upper `bound`. Fresh-clone CI runs put whole
 * 400 ms windows over the bounds three times in four (ws push p50 84 ms, long polling 627 ms, ws set-up 181 and
 * 300 ms), each passing alone and in warm runs: a stall of the shared machine, not the arithmetic. Arithmetic
 * wrong by whole round trips is over the bound both times; the lower bounds are never retaken.
 */
async function measureWithin(id: string, figure: (metrics: Awaited<ReturnType<typeof measure>>['metrics']) => number, bound: number) {
  const first = await measure(id);
  return figure(first.metrics) < bound ? first : measure(id);
}

describe(`an emulated round trip of ${RTT} ms`, { timeout: 60_000 }, () => {
  it('push: ws about R/2, long polling about R and clearly above ws; nothing lost', async () => {
    const p50 = (metrics: Awaited<ReturnType<typeof measure>>['metrics']) => ms(metrics.latency?.p50.median);
    const ws = await measureWithin(`push/ws/rate=200/clients=4/payload=64/rtt=${RTT}`, p50, RTT / 2 + SLACK);
    const longPolling = await measureWithin(`push/long-polling/rate=200/clients=4/payload=64/rtt=${RTT}`, p50, RTT + SLACK);
    const wsP50 = ms(ws.metrics.latency?.p50.median);
    const lpP50 = ms(longPolling.metrics.latency?.p50.median);
    expect(wsP50).toBeGreaterThanOrEqual(RTT / 2);
    expect(wsP50).toBeLessThan(RTT / 2 + SLACK);
    expect(lpP50).toBeGreaterThanOrEqual(RTT * 0.75);
    expect(lpP50).toBeLessThan(RTT + SLACK);
    expect(lpP50).toBeGreaterThan(wsP50 + RTT / 4);
    expect(ws.metrics.delivery).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(longPolling.metrics.delivery).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
    // Every step under a network carries the arithmetic's note (its verdict is the run's, not asserted here).
    expect(ws.note).toMatch(/^round-trip arithmetic: latency p50 [\d.]+ ms against R\/2 = 10 ms/);
    expect(longPolling.note).toMatch(/^round-trip arithmetic: latency p50 [\d.]+ ms against R = 20 ms/);
  });

  it('set-up: ws pays TCP and the upgrade (2 R); Socket.IO polling-then-upgrade at least 3 R', async () => {
    const ws = await measureWithin(`connect/ws/clients=4/rtt=${RTT}`, (metrics) => ms(metrics.setup?.time?.p50.median), 2 * RTT + SLACK);
    const socketIo = await measure(`connect/socket-io/clients=4/rtt=${RTT}`);
    const wsSetup = ms(ws.metrics.setup?.time?.p50.median);
    const sioSetup = ms(socketIo.metrics.setup?.time?.p50.median);
    expect(wsSetup).toBeGreaterThanOrEqual(2 * RTT);
    expect(wsSetup).toBeLessThan(2 * RTT + SLACK);
    expect(sioSetup).toBeGreaterThanOrEqual(3 * RTT);
    expect(ws.note).toMatch(/^round-trip arithmetic: set-up p50 [\d.]+ ms against 2 R = 40 ms/);
  });
});
