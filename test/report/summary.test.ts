import { beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../../results/read-results.ts';
import type { Results } from '../../results/schema.ts';
import { buildRunModel } from '../../report/model.ts';
import { summaryMarkdown } from '../../report/summary-markdown.ts';
import { erroredVersion, mapStep } from '../helpers/results-factory.ts';

const GOLDEN = new URL('../fixtures/results-golden.json', import.meta.url).pathname;

describe('#summaryMarkdown', () => {
  let golden: Results;
  let md: string;

  beforeAll(() => {
    golden = readResults(GOLDEN);
    md = summaryMarkdown([buildRunModel({ file: 'results-golden.json', results: golden }, 0)]);
  });

  it('has the headline table with a row per transport at the headline load', () => {
    expect(md).toContain('At 1,000 messages/s published, 50 clients, 64 B payloads:');
    expect(md).toContain('| Transport | Latency p50 | Latency p99 | Delivered msg/s | Bytes/msg | vs raw TCP | Server memory/conn | Lost |');
    for (const row of [
      '| Short polling (100 ms) | 51.2 ms | 104 ms | 25,000 | 166 B | ×1.05 | 1.30 kB | 0 |',
      '| Long polling | 3.20 ms | 21.8 ms | 25,000 | 330 B | ×2.07 | 6.20 kB | 0 |',
      '| WebSocket (ws) | 0.162 ms | 1.53 ms | 25,000 | 160 B | ×1.01 | 11.8 kB | 0 |',
      '| Socket.IO | 0.468 ms | 5.51 ms | 24,999 | 174 B | ×1.09 | 34.5 kB | 12 ⚠ |',
      '| SSE | 0.215 ms | 2.24 ms | 25,000 | 181 B | ×1.14 | 9.60 kB | 0 |',
      '| Raw TCP (floor) | 0.0930 ms | 0.635 ms | 25,000 | 159 B | ×1.00 | 2.90 kB | 0 |',
    ]) {
      expect(md).toContain(row);
    }
  });

  it('states the verdicts the numbers support', () => {
    expect(md).toContain('- At this load, ws has the lowest p99 latency: 1.53 ms, against 2.24 ms for SSE, the next best (1.46 times as long).');
    expect(md).toContain('- Socket.IO lost 12 of 225,000 messages with no fault injected (flagged: unexplained loss).');
    expect(md).toContain('ws held the most clients: 2,000 (every step tried passed, so the limit is higher); short polling (100 ms) the fewest: 250.');
  });

  it('lists flagged and errored steps, escaping the hostile reason', () => {
    expect(md).toContain('- `push/ws/rate=1000/clients=200/payload=64`: generator saturated');
    expect(md).toContain('- `push/long-polling/rate=5000/clients=50/payload=64`: BENCH_ERR_STEP_TIMEOUT: step did not finish within 60000 ms');
    expect(md).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(md).not.toMatch(/<script|<img/);
  });

  it('says "below noise" for memory per connection that did not grow', () => {
    const noisy = mapStep(golden, 'idle/ws/clients=1000', (s) => ({ ...s, metrics: { ...s.metrics, memoryPerConnectionBytes: { median: -152_000, min: -344_000, max: 39_000 } } }));
    expect(summaryMarkdown([buildRunModel({ file: 'noisy.json', results: noisy }, 0)])).toContain('| WebSocket (ws) | 0.162 ms | 1.53 ms | 25,000 | 160 B | ×1.01 | below noise | 0 |');
  });

  it('leaves the errored row out of the verdicts but shows it in the table', () => {
    const broken: Results = {
      ...golden,
      steps: mapStep(golden, 'push/ws/rate=1000/clients=50/payload=64', (s) => erroredVersion(s, { code: 'BENCH_ERR_X', message: 'server | crashed' })).steps,
    };
    const text = summaryMarkdown([buildRunModel({ file: 'broken.json', results: broken }, 0)]);
    expect(text).toContain('| WebSocket (ws) | ✖ errored: BENCH_ERR_X server \\| crashed |');
    // The first headline's verdicts: the tables under other conditions follow from "The same …".
    const verdicts = text.slice(0, text.indexOf('The same ')).split('\n').filter((l) => l.startsWith('- ') && !l.startsWith('- `'));
    expect(verdicts.some((v) => /\bws\b/.test(v) && /latency/.test(v))).toBe(false);
    expect(verdicts[0]).toContain('SSE has the lowest p99 latency');
  });
});
