import { beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../../results/read-results.ts';
import type { Results } from '../../results/schema.ts';
import { buildRunModel } from '../../report/model.ts';
import { erroredVersion, mapStep } from '../helpers/results-factory.ts';
import { buildReport } from '../../report/build-report.ts';
import { reliabilityTable } from '../../report/html-reliability.ts';
import { buildReliability } from '../../report/reliability.ts';
import { reliabilityMarkdown } from '../../report/reliability-markdown.ts';
import { summaryMarkdown } from '../../report/summary-markdown.ts';

const GOLDEN = new URL('../fixtures/results-golden.json', import.meta.url).pathname;
const HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';

let golden: Results;
beforeAll(() => {
  golden = readResults(GOLDEN);
});

/** The golden results with one ok step replaced. */
const withStep = (id: string, change: Parameters<typeof mapStep>[2]): Results => mapStep(golden, id, change);

describe('#buildReliability', () => {
  it('has a row per transport in display order, Socket.IO once with recovery on and once off', () => {
    expect(buildReliability(golden)!.rows.map((r) => r.label)).toEqual([
      'Short polling',
      'Long polling',
      'WebSocket (ws)',
      'Socket.IO (recovery on)',
      'Socket.IO (recovery off)',
      'SSE',
      'Raw TCP (floor)',
    ]);
  });

  it('counts the loss around a crash in two parts, and says a stalled polling client does not apply', () => {
    const [shortPolling] = buildReliability(golden)!.rows;
    expect(shortPolling.cells.crashLoss).toMatchObject({ text: '81 + 0 lost', detail: 'of 45,000 before the kill + 45,000 after' });
    expect(shortPolling.cells.crashLoss.flag).toBeUndefined();
    expect(shortPolling.cells.slowOutcome).toMatchObject({ state: 'not-applicable', text: 'not applicable', detail: 'the client pulls' });
    expect(shortPolling.cells.dropLoss).toMatchObject({ text: '0 lost', detail: 'of 90,000' });
  });

  it('flags a loss after a drop, an input not handled and a client never dropped', () => {
    let results = withStep('drop/ws/clients=20/rate=1000', (s) => ({ ...s, metrics: { ...s.metrics, delivery: { expected: 90_000, delivered: 89_990, lost: 10, duplicated: 2, outOfOrder: 0 } } }));
    results = mapStep(results, 'slow-consumer/tcp/clients=20/rate=1000', (s) => ({ ...s, metrics: { ...s.metrics, reliability: { fault: 'slow-consumer' as const, slowConsumer: { note: 'not dropped within 10000 ms', dropped: 0, repeats: 3, maxBufferedBytes: 8_388_608 } } } }));
    const rows = buildReliability(results)!.rows;
    const ws = rows.find((r) => r.transport === 'ws')!;
    expect(ws.cells.dropLoss).toMatchObject({ text: '10 lost, 2 doubled', flag: expect.stringContaining('nothing should be lost') });
    const tcp = rows.find((r) => r.transport === 'tcp')!;
    expect(tcp.cells.slowOutcome).toMatchObject({ text: 'not dropped', flag: expect.stringContaining('not dropped in 3 of 3 repeats') });
    const socketIo = rows.find((r) => r.label === 'Socket.IO (recovery on)')!;
    expect(socketIo.cells.hostile).toMatchObject({ text: '296 of 297', flag: '1 not handled', flagDetail: expect.stringContaining(HOSTILE) });
  });

  it("draws node-kill's and redis-restart's columns only when the run had them, with who moved and the two epochs' loss", () => {
    const plain = buildReliability(golden)!;
    expect(plain.columns.map((c) => c.id)).not.toContain('nodeKillLoss');
    expect(plain.columns.map((c) => c.id)).not.toContain('redisRestartLoss');
    // The ws crash and drop rows, renamed: a run on two nodes with its feed in Redis.
    const crash = golden.steps.find((s) => s.id === 'crash/ws/clients=20/rate=1000')!;
    const drop = golden.steps.find((s) => s.id === 'drop/ws/clients=20/rate=1000')!;
    if (crash.status !== 'ok' || drop.status !== 'ok') throw new Error('the golden ws crash and drop rows are ok');
    const extra = [
      { ...crash, id: 'redis-restart/ws/clients=20/rate=1000/feed=redis/nodes=2', scenario: 'redis-restart' as const, metrics: { ...crash.metrics, reliability: { ...crash.metrics.reliability!, fault: 'redis-restart' as const } } },
      { ...drop, id: 'node-kill/ws/clients=20/rate=1000/feed=redis/nodes=2', scenario: 'node-kill' as const, metrics: { ...drop.metrics, reliability: { ...drop.metrics.reliability!, fault: 'node-kill' as const, moved: 30, movedResumed: 30 } } },
    ];
    const both = buildReliability({ ...golden, steps: [...golden.steps, ...extra] })!;
    expect(both.columns.map((c) => c.id)).toEqual(expect.arrayContaining(['nodeKillReconnect', 'nodeKillLoss', 'redisRestartReconnect', 'redisRestartLoss']));
    const ws = both.rows.find((r) => r.transport === 'ws')!;
    expect(ws.cells.nodeKillReconnect.detail).toMatch(/30 moved/);
    expect(ws.cells.nodeKillLoss).toMatchObject({ text: '0 lost', detail: 'of 90,000' });
    expect(ws.cells.redisRestartLoss).toMatchObject({ text: '0 + 0 lost', detail: 'of 45,000 before the kill + 45,000 after' });
    expect(ws.cells.redisRestartReconnect.detail).toMatch(/outage/);
    // A transport without such a step shows it as missing, and the Markdown has the columns.
    expect(both.rows.find((r) => r.transport === 'tcp')!.cells.nodeKillLoss.state).toBe('missing');
    expect(reliabilityMarkdown(both).join('\n')).toContain('Lost after a node kill');
  });

  it('shows an errored step as errored, with its reason', () => {
    const results = withStep('crash/tcp/clients=20/rate=1000', (s) => erroredVersion(s, { code: 'BENCH_ERR_SERVER_NOT_READY', message: 'the replacement did not listen' }));
    const tcp = buildReliability(results)!.rows.find((r) => r.transport === 'tcp')!;
    expect(tcp.cells.crashReconnect).toEqual({ state: 'errored', text: '✖ errored', detail: 'BENCH_ERR_SERVER_NOT_READY the replacement did not listen' });
  });

  it('compares Socket.IO with recovery on and off in a note', () => {
    expect(buildReliability(golden)!.notes[0]).toBe(
      "Socket.IO after a drop: with connection state recovery on (missed packets replayed), p50 reconnect 89.4 ms, 0 lost; with it off (the handshake's cursor and the backlog fill the gap), p50 reconnect 98.0 ms, 0 lost. Recovery off is measured in the drop scenario only: after a crash no session survives to recover, whatever the setting.",
    );
  });

  it('is null when no fault scenario ran', () => {
    expect(buildReliability({ ...golden, steps: golden.steps.filter((s) => s.scenario === 'push') })).toBeNull();
  });
});

describe('#reliabilityTable', () => {
  it('is a card of the page, in the table of contents, with transport colours and the hostile text escaped', () => {
    const html = buildReport([{ file: 'results-golden.json', results: golden }]).html;
    expect(html).toContain('<a href="#r0-reliability">Reliability</a>');
    const card = /<section class="card" id="r0-reliability">([\s\S]*?)<\/section>/.exec(html)![1];
    expect([...card.matchAll(/<tr class="transport t-([a-z-]+)">/g)].map((m) => m[1])).toEqual(['short-polling', 'long-polling', 'ws', 'socket-io', 'socket-io', 'sse', 'tcp']);
    expect(card).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(card).not.toMatch(/<script|<img/);
    expect(card).toContain('⚠ 1 not handled');
  });

  it('says the fault scenarios were not run when they were not', () => {
    expect(reliabilityTable(buildReliability({ ...golden, steps: [] }))).toContain('Not measured: the fault scenarios');
  });
});

describe('#reliabilityMarkdown', () => {
  it('is a table in the summary, a row per transport, the hostile failure escaped', () => {
    const md = summaryMarkdown([buildRunModel({ file: 'results-golden.json', results: golden }, 0)]);
    expect(md).toContain('| Transport | Reconnect after a drop | Lost after a drop | Reconnect after a crash | Lost after a crash | Stalled client | Server RSS in the stall | Other clients in the stall | Hostile inputs handled |');
    expect(md).toContain(
      '| WebSocket (ws) | 60.1 ms (max 65.7 ms) | 0 lost (of 90,000) | 374 ms (max 420 ms · outage 318 ms) | 0 + 0 lost (of 45,000 before the kill + 45,000 after) | dropped after 610 ms (3/3 repeats; bound 8.39 MB) | 141 MB (+41.0 MB, 15.8 MB of it the log) | 5.61 ms / 42.3 ms (0 lost of 4,000) | 312 of 312 (0 skipped; client served after) |',
    );
    expect(md).toContain('| Short polling | 105 ms (max 115 ms) | 0 lost (of 90,000) |');
    expect(md).toContain('not applicable |');
    expect(md).not.toMatch(/<script|<img/);
  });

  it('has no lines without fault steps', () => {
    expect(reliabilityMarkdown(buildReliability({ ...golden, steps: golden.steps.filter((s) => s.scenario !== 'hostile' && s.scenario !== 'drop' && s.scenario !== 'crash' && s.scenario !== 'slow-consumer') }))).toEqual([]);
  });
});
