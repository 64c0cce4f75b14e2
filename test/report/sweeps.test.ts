import { describe, expect, it } from 'vitest';
import { conditionsChart } from '../../report/charts-conditions.ts';
import { nodesChart, payloadChart, rttChart } from '../../report/charts-sweeps.ts';
import { headlinePoint } from '../../report/select-steps.ts';
import type { StepResult } from '../../results/schema.ts';
import { ALL_TRANSPORTS, makeResults, pushStep } from '../helpers/results-factory.ts';

/** The step with other params (and the id that says so), its latency p50 moved by `addUs`. */
function variant(step: StepResult, suffix: string, params: Record<string, number | string | boolean>, addUs = 0): StepResult {
  const copy = structuredClone(step);
  copy.id = `${copy.id}/${suffix}`;
  copy.params = { ...copy.params, ...params };
  if (copy.status === 'ok' && copy.metrics.latency) copy.metrics.latency.p50.median += addUs;
  return copy;
}

const xy = (data: unknown[]) => data as Array<{ x: number; y: number | null }>;

describe('charts along a swept round trip and payload size', () => {
  const loopback = ALL_TRANSPORTS.map(pushStep);

  it('draws push latency against RTT, loopback at 0, with RTT/2 beside it; other conditions stay out', () => {
    const run = makeResults([
      ...loopback,
      ...loopback.map((s) => variant(s, 'rtt=40', { rttMs: 40 }, 20_000)),
      ...loopback.map((s) => variant(s, 'rtt=40/loss=1', { rttMs: 40, lossPercent: 1 }, 90_000)),
    ]);
    const spec = rttChart('c', run, 'latency');
    expect(spec.missing).toBeUndefined();
    const ws = spec.datasets.find((d) => d.label.startsWith('WebSocket'))!;
    const base = loopback.find((s) => s.transport === 'ws')!;
    const p50 = base.status === 'ok' ? base.metrics.latency!.p50.median / 1000 : NaN;
    expect(xy(ws.data).map((p) => p.x)).toEqual([0, 40]);
    expect(xy(ws.data)[1]!.y).toBeCloseTo(p50 + 20, 1);
    expect(xy(spec.datasets.at(-1)!.data)).toEqual([{ x: 0, y: 0 }, { x: 40, y: 20 }]);
  });

  it('says what to run when the run has one round trip only', () => {
    expect(rttChart('c', makeResults(loopback), 'setup').missing).toMatch(/--rtt 0,20,50,100/);
  });

  it('draws latency and the transport share against payload at the load the sweep ran at; the headline keeps the smallest payload', () => {
    const ws = loopback.find((s) => s.transport === 'ws')!;
    const sweep = [1_024, 65_536].map((payloadBytes) => {
      const step = variant(ws, `p${payloadBytes}`, { payloadBytes });
      if (step.status === 'ok') {
        const b = step.metrics.bytesPerMessage!;
        step.metrics.bytesPerMessage = { ...b, payload: payloadBytes, total: { ...b.total, median: payloadBytes + b.envelope + b.transport.median } };
      }
      return step;
    });
    const run = makeResults([...loopback, ...sweep]);
    expect(headlinePoint(run)?.payloadBytes).toBe(ws.params.payloadBytes);
    const share = payloadChart('c', run, 'overhead');
    const line = share.datasets.find((d) => d.label.startsWith('WebSocket'))!;
    const points = xy(line.data);
    expect(points.map((p) => p.x)).toEqual([ws.params.payloadBytes, 1_024, 65_536]);
    // The transport's share falls as the payload grows.
    expect(points[0]!.y!).toBeGreaterThan(points[1]!.y!);
    expect(points[1]!.y!).toBeGreaterThan(points[2]!.y!);
    expect(payloadChart('c', makeResults(loopback), 'latency').missing).toMatch(/--payload/);
  });

  it('charts the clients\' errors per condition, and says so when there were none', () => {
    const withErrors = (step: StepResult, n: number) => {
      const copy = structuredClone(step);
      if (copy.status === 'ok') copy.metrics.clientErrors = { median: n, min: n, max: n };
      return copy;
    };
    const quiet = makeResults([...loopback.map((s) => withErrors(s, 0)), ...loopback.map((s) => withErrors(variant(s, 'loss=1', { rttMs: 0, lossPercent: 1 }), 0))]);
    expect(conditionsChart('c', quiet, 'errors').notes.join(' ')).toMatch(/No client reported an error/);
    const lossy = makeResults([...loopback.map((s) => withErrors(s, 0)), ...loopback.map((s) => withErrors(variant(s, 'loss=5', { rttMs: 0, lossPercent: 5 }), 3))]);
    const spec = conditionsChart('c', lossy, 'errors');
    expect(spec.datasets.map((d) => d.data[0])).toEqual([0, 3]);
    expect(spec.notes.join(' ')).not.toMatch(/No client reported/);
  });
});

describe('charts along the server nodes (run --nodes 1,2,4 --feed redis)', () => {
  const onRedis = ALL_TRANSPORTS.map(pushStep).map((s) => variant(s, 'feed=redis', { feed: 'redis' }));

  it('draws push latency (p50 and p99) and delivered messages/s against nodes, one node where a step has no nodes=', () => {
    const run = makeResults([
      ...onRedis,
      ...onRedis.map((s) => variant(s, 'nodes=2', { nodes: 2 }, 300)),
      ...onRedis.map((s) => variant(s, 'nodes=4', { nodes: 4 }, 900)),
      // Another condition set (an emulated round trip) stays out of the node sweep.
      ...onRedis.map((s) => variant(s, 'rtt=40/nodes=2', { rttMs: 40, nodes: 2 }, 20_000)),
    ]);
    const latency = nodesChart('c', run, 'latency');
    expect(latency.missing).toBeUndefined();
    const ws = latency.datasets.filter((d) => d.label.startsWith('WebSocket'));
    expect(ws.map((d) => d.label)).toEqual(['WebSocket (ws) p50', 'WebSocket (ws) p99']);
    expect(xy(ws[0]!.data).map((p) => p.x)).toEqual([1, 2, 4]);
    const base = onRedis.find((s) => s.transport === 'ws')!;
    const p50 = base.status === 'ok' ? base.metrics.latency!.p50.median / 1000 : NaN;
    expect(xy(ws[0]!.data)[2]!.y).toBeCloseTo(p50 + 0.9, 3);
    const throughput = nodesChart('c', run, 'throughput');
    expect(throughput.datasets).toHaveLength(ALL_TRANSPORTS.length);
    expect(xy(throughput.datasets[0]!.data).every((p) => typeof p.y === 'number' && p.y > 0)).toBe(true);
  });

  it('says what to run when the run has one node count only', () => {
    expect(nodesChart('c', makeResults(onRedis), 'latency').missing).toMatch(/--nodes 1,2,4 --feed redis/);
  });
});

