import { readFileSync } from 'node:fs';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { parseResults } from '../../results/read-results.ts';
import { SCENARIOS } from '../../results/schema.ts';

/** The golden fixture the report tests build from must itself be a valid, complete results file. */

const raw: unknown = JSON.parse(readFileSync(new URL('../fixtures/results-golden.json', import.meta.url), 'utf8'));
const HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';

describe('#results-golden.json', () => {
  const results = parseResults(raw, 'results-golden.json');
  // Loopback with minimal headers and 64 B payloads; the steps under real-world conditions and the payload sweep are checked apart below.
  const push = results.steps.filter((s) => s.scenario === 'push' && s.params.rttMs === undefined && s.params.requestHeaders === undefined && s.params.payloadBytes === 64);

  it('is valid results of the current schema', () => {
    expect(results.schemaVersion).toBe(1);
    expect(results.summary.steps).toBe(results.steps.length);
    expect(results.summary.errored).toBe(results.steps.filter((s) => s.status === 'errored').length);
  });

  it('covers all six transports and every scenario of a run on the memory feed', () => {
    expect(new Set(results.steps.map((s) => s.transport))).toEqual(new Set(['short-polling', 'long-polling', 'ws', 'socket-io', 'sse', 'tcp']));
    // node-kill and redis-restart plan steps only with --nodes 2 and --feed redis (docs/scale.md).
    expect(new Set(results.steps.map((s) => s.scenario))).toEqual(new Set(SCENARIOS.filter((s) => s !== 'node-kill' && s !== 'redis-restart')));
  });

  it('has a push rate sweep, a client sweep and short polling at 100, 500 and 1000 ms', () => {
    const ws = push.filter((s) => s.transport === 'ws');
    expect(new Set(ws.filter((s) => s.params.clients === 50).map((s) => s.params.rate))).toEqual(new Set([100, 1000, 5000]));
    expect(new Set(ws.filter((s) => s.params.rate === 1000).map((s) => s.params.clients))).toEqual(new Set([10, 50, 200]));
    const polls = push.filter((s) => s.transport === 'short-polling' && s.params.rate === 1000 && s.params.clients === 50);
    expect(polls.map((s) => s.params.pollIntervalMs).sort((a, b) => Number(a) - Number(b))).toEqual([100, 500, 1000]);
  });

  it('has push and connect over an emulated 50 ms round trip and with browser headers (raw TCP has no headers to add)', () => {
    const ids = results.steps.map((s) => s.id);
    for (const transport of ['short-polling', 'long-polling', 'ws', 'socket-io', 'sse', 'tcp']) {
      expect(ids.some((id) => id.startsWith(`push/${transport}/`) && id.endsWith('/rtt=50'))).toBe(true);
      expect(ids.some((id) => id.startsWith(`connect/${transport}/`) && id.endsWith('/rtt=50'))).toBe(true);
      expect(ids.some((id) => id.startsWith(`push/${transport}/`) && id.endsWith('/headers=browser'))).toBe(transport !== 'tcp');
    }
  });

  it('holds real encoded histograms whose counts match the recorded ones', () => {
    for (const step of push.filter((s) => s.status === 'ok')) {
      const histogram = decodeFromCompressedBase64(step.metrics.latency!.histogram);
      expect(histogram.totalCount).toBe(step.metrics.latency!.count);
      histogram.destroy();
    }
  });

  it('has one errored row with a reason, a hostile label and a note saying it is a fixture', () => {
    const errored = results.steps.filter((s) => s.status === 'errored');
    expect(errored).toHaveLength(1);
    expect(errored[0].error?.message).toContain(HOSTILE);
    expect(results.steps.some((s) => Object.values(s.params).includes(HOSTILE))).toBe(true);
    expect(results.steps.flatMap((s) => s.notes).some((n) => n.includes('golden fixture'))).toBe(true);
  });
});
