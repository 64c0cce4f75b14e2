import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../../results/read-results.ts';
import type { Results } from '../../results/schema.ts';
import { bandwidthProjection } from '../../report/bandwidth-projection.ts';
import { escapeHtml, escapeMarkdown, jsonForScript } from '../../report/escape.ts';
import { buildHeadline } from '../../report/headline.ts';
import { percentilePoints } from '../../report/histogram-points.ts';
import { headlinePoint } from '../../report/select-steps.ts';
import { mapStep, okStepOf } from '../helpers/results-factory.ts';

const GOLDEN = new URL('../fixtures/results-golden.json', import.meta.url).pathname;
const HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';
let golden: Results;
beforeAll(() => {
  golden = readResults(GOLDEN);
});

describe('#escape', () => {
  it('escapes HTML text and attributes', () => {
    expect(escapeHtml(`${HOSTILE}"'&`)).toBe('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;');
  });

  it('makes JSON that cannot close a script element and still parses to the same value', () => {
    const value = { label: `${HOSTILE} <!-- & \u2028\u2029` };
    const json = jsonForScript(value);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('keeps Markdown cells on one line and free of markup', () => {
    expect(escapeMarkdown('a | b\n<b>*c*</b> `d`')).toBe('a \\| b &lt;b&gt;\\*c\\*&lt;/b&gt; \\`d\\`');
  });
});

describe('#percentilePoints', () => {
  it('maps percentiles to x = 1/(1-p) and latency to ms', () => {
    const histogram = build({ numberOfSignificantValueDigits: 3 });
    for (let us = 1; us <= 1000; us++) histogram.recordValue(us);
    const points = percentilePoints(encodeIntoCompressedBase64(histogram));
    histogram.destroy();
    expect(points.find((p) => p.x === 2)!.y).toBeCloseTo(0.5, 2);
    expect(points.find((p) => p.x === 10)!.y).toBeCloseTo(0.9, 2);
    expect(points.at(-1)).toEqual({ x: 1000, y: 1 });
    expect(points.every((p, i) => i === 0 || p.x > points[i - 1].x)).toBe(true);
  });

  it('returns no points for an empty histogram', () => {
    const histogram = build();
    expect(percentilePoints(encodeIntoCompressedBase64(histogram))).toEqual([]);
    histogram.destroy();
  });
});

describe('#headlinePoint', () => {
  it('picks the load where the rate and client sweeps cross', () => {
    expect(headlinePoint(golden)).toEqual({ rate: 1000, clients: 50, payloadBytes: 64 });
  });

  it('is null without push steps', () => {
    expect(headlinePoint({ ...golden, steps: golden.steps.filter((s) => s.scenario !== 'push') })).toBeNull();
  });
});

describe('#buildHeadline', () => {
  it('leaves generator-saturated rows out of the latency verdicts and says so', () => {
    const saturated = mapStep(golden, 'push/ws/rate=1000/clients=50/payload=64', (s) => ({ ...s, flags: { ...s.flags, generatorSaturated: true } }));
    const { verdicts, rows } = buildHeadline(saturated);
    expect(rows.find((r) => r.transport === 'ws')!.generatorSaturated).toBe(true);
    expect(verdicts[0]).toContain('SSE has the lowest p99 latency');
    expect(verdicts.some((v) => v.startsWith('Left out of the latency verdicts') && v.includes('ws'))).toBe(true);
  });

  it('calls overlapping ranges a tie rather than a win', () => {
    const close: Results = {
      ...golden,
      steps: mapStep(golden, 'push/sse/rate=1000/clients=50/payload=64', (s) => ({ ...s, metrics: { ...s.metrics, latency: { ...s.metrics.latency!, p99: { median: 1600, min: 1500, max: 1700 } } } })).steps,
    };
    expect(buildHeadline(close).verdicts[0]).toContain('ws and SSE share the lowest p99 latency');
  });
});

describe('#buildHeadline with noisy or floor-level figures', () => {
  it('does not claim a gap to the TCP floor that the ranges do not show', () => {
    const tcpId = 'push/tcp/rate=1000/clients=50/payload=64';
    const level = mapStep(golden, tcpId, (s) => ({ ...s, metrics: { ...s.metrics, latency: { ...s.metrics.latency!, p99: { median: 1550, min: 1400, max: 1700 } } } }));
    const verdicts = buildHeadline(level).verdicts;
    expect(verdicts).toContain("ws's p99 is within the raw TCP floor's range (1.55 ms): at this load the transport adds no measurable tail latency.");
    expect(verdicts.some((v) => v.includes('even the best web transport'))).toBe(false);
  });

  it('leaves memory that did not grow out of the memory verdict', () => {
    const noisy = mapStep(golden, 'idle/short-polling/clients=1000', (s) => ({ ...s, metrics: { ...s.metrics, memoryPerConnectionBytes: { median: -1500, min: -3000, max: 200 } } }));
    const verdict = buildHeadline(noisy).verdicts.find((v) => v.startsWith('Server memory per connection'));
    expect(verdict).toBe('Server memory per connection ranges from 6.20 kB (long polling) to 34.5 kB (Socket.IO).');
  });
});

describe('#bandwidthProjection', () => {
  it('projects push transports from bytes per message and polling from bytes per poll at its interval', () => {
    const columns = bandwidthProjection(golden, headlinePoint(golden)!);
    const ws = columns.find((c) => c.transport === 'ws')!;
    expect(ws.bytesPerClientPerSec).toBe(160);
    expect(ws.mbps).toEqual([1.28, 12.8, 128]);
    const poll = columns.filter((c) => c.transport === 'short-polling');
    expect(poll.map((c) => c.pollIntervalMs)).toEqual([100, 500, 1000]);
    const step = okStepOf(golden, 'push/short-polling/rate=1000/clients=50/payload=64/poll=100');
    const m = step.metrics;
    const perPoll = (m.bytesPerMessage!.transport.median * m.deliveredPerSec!.median) / m.requestsPerSec!.median;
    expect(poll[0].bytesPerClientPerSec).toBeCloseTo(10 * perPoll + m.bytesPerMessage!.payload + m.bytesPerMessage!.envelope, 6);
    expect(poll[0].overheadMbps[0]).toBeCloseTo((1000 * 10 * perPoll * 8) / 1e6, 6);
  });
});
