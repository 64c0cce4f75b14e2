import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../../results/read-results.ts';
import type { Results } from '../../results/schema.ts';
import { buildReport } from '../../report/build-report.ts';
import type { ChartSpec } from '../../report/chart-spec.ts';
import { CHART_NAMES, NODE_SWEEP_CHARTS } from '../../report/charts.ts';

// The golden run is on the memory feed and one node: every chart but the node sweep's has data.
const GOLDEN_CHARTS = CHART_NAMES.filter((name) => !NODE_SWEEP_CHARTS.includes(name));
import { STYLES } from '../../report/styles.ts';
import { okStepOf } from '../helpers/results-factory.ts';

const GOLDEN = new URL('../fixtures/results-golden.json', import.meta.url).pathname;
const HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';

/** The inline elements of a page: `<script>` bodies with their type attribute, and the stylesheet. */
function scripts(html: string): Array<{ type: string | undefined; id: string | undefined; code: string }> {
  return [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({
    type: /type="([^"]+)"/.exec(m[1])?.[1],
    id: /id="([^"]+)"/.exec(m[1])?.[1],
    code: m[2],
  }));
}

function chartData(html: string): Record<string, ChartSpec> {
  const block = scripts(html).find((s) => s.id === 'report-data');
  return (JSON.parse(block!.code) as { charts: Record<string, ChartSpec> }).charts;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('#buildReport', () => {
  let golden: Results;
  let html: string;

  beforeAll(() => {
    golden = readResults(GOLDEN);
    html = buildReport([{ file: 'results-golden.json', results: golden }], { generatedAt: new Date('2025-01-15T12:00:00Z') }).html;
  });

  it('inlines data for every chart and gives each a canvas', () => {
    const charts = chartData(html);
    for (const name of GOLDEN_CHARTS) {
      const spec = charts[`r0-${name}`];
      expect(spec, name).toBeDefined();
      expect(spec.missing, name).toBeUndefined();
      expect(spec.datasets.length, name).toBeGreaterThan(0);
      const values = spec.datasets.flatMap((d) => (d.data as unknown[]).map((p) => (typeof p === 'object' && p !== null ? (p as { y: unknown }).y : p)));
      expect(values.some((v) => typeof v === 'number' && v > 0), name).toBe(true);
      expect(html).toContain(`<canvas id="r0-${name}" data-chart`);
    }
  });

  it('plots the percentile distribution from the decoded histograms, one line per transport', () => {
    const spec = chartData(html)['r0-latency-corrected'];
    expect(spec.x.scale).toBe('percentile');
    expect(spec.datasets).toHaveLength(6);
    const ws = spec.datasets.find((d) => d.label.startsWith('WebSocket'))!;
    const points = ws.data as Array<{ x: number; y: number }>;
    // At x = 100 (the 99th percentile) the curve reads the fixture's p99 (1.535 ms within a histogram bucket).
    const p99 = points.find((p) => p.x === 100)!;
    expect(p99.y).toBeCloseTo(okStepOf(golden, 'push/ws/rate=1000/clients=50/payload=64').metrics.latency!.p99.median / 1000, 2);
    expect(points.every((p, i) => i === 0 || (p.x > points[i - 1].x && p.y >= points[i - 1].y))).toBe(true);
  });

  it('shows the hostile label only escaped, in HTML and in the JSON data block', () => {
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toMatch(/<img\b/i);
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    const data = scripts(html).find((s) => s.id === 'report-data')!.code;
    expect(data).toContain('\\u003c/script\\u003e\\u003cscript\\u003ealert(1)');
    expect(JSON.stringify(chartData(html))).toContain(JSON.stringify(HOSTILE).slice(1, -1));
    // Exactly our three script elements: the data, Chart.js and the client script.
    expect(scripts(html).map((s) => s.type ?? s.id ?? 'inline')).toEqual(['application/json', 'inline', 'inline']);
  });

  it('has inline scripts that parse as JavaScript', () => {
    const code = scripts(html).filter((s) => s.type === undefined);
    expect(code).toHaveLength(2);
    for (const s of code) expect(() => new Script(s.code)).not.toThrow();
  });

  it('carries a CSP that allows exactly its own inline scripts and stylesheet and nothing from the network', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1].replace(/&#39;/g, "'");
    expect(csp).toBeDefined();
    const directives = Object.fromEntries(csp!.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name, sources]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['img-src']).toEqual(['data:']);
    expect(directives['script-src'].sort()).toEqual(scripts(html).filter((s) => s.type === undefined).map((s) => sha256(s.code)).sort());
    expect(directives['style-src']).toEqual([sha256(STYLES)]);
    expect(html).toContain(`<style>${STYLES}</style>`);
    expect(csp).not.toMatch(/unsafe-eval|unsafe-inline|https?:|\*/);
  });

  it('references no network address outside the Chart.js source comments', () => {
    expect(html).not.toMatch(/\b(src|href|action|srcset)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<(link|iframe|object|embed|img|base)\b/i);
    expect(STYLES).not.toMatch(/url\(|@import/);
    const chartJs = scripts(html)[1].code;
    expect(html.replace(chartJs, '')).not.toMatch(/https?:\/\//);
  });

  it('has a headline row per transport and shows flags beside the figures they taint', () => {
    const table = /<table class="headline">([\s\S]*?)<\/table>/.exec(html)![1];
    const rows = [...table.matchAll(/<tr class="transport t-([a-z-]+)">/g)].map((m) => m[1]);
    expect(rows).toEqual(['short-polling', 'long-polling', 'ws', 'socket-io', 'sse', 'tcp']);
    const socketIo = /<tr class="transport t-socket-io">([\s\S]*?)<\/tr>/.exec(table)![1];
    expect(socketIo).toContain('unexplained loss');
    expect(html).toContain('⚠ WebSocket (ws) at 200 clients: generator saturated');
  });

  it('lists errored steps with their reasons', () => {
    const details = /id="r0-details"([\s\S]*?)<\/section>/.exec(html)![1];
    expect(details).toContain('push/long-polling/rate=5000/clients=50/payload=64');
    expect(details).toContain('BENCH_ERR_STEP_TIMEOUT');
    expect(details).toContain('step did not finish within 60000 ms');
  });

  it('states the bandwidth unit and rebuilds the projection for 1,000 to 100,000 clients', () => {
    expect(html).toContain('Mbps means 10^6 bit/s');
    const spec = chartData(html)['r0-bandwidth'];
    expect(spec.labels).toEqual(['1,000 clients', '10,000 clients', '100,000 clients']);
  });

  it('shows a short note, not a chart, for scenarios that were not run', () => {
    const pushOnly: Results = { ...golden, steps: golden.steps.filter((s) => s.scenario === 'push') };
    const page = buildReport([{ file: 'push-only.json', results: pushOnly }]).html;
    const charts = chartData(page);
    for (const name of ['capacity', 'capacity-steps', 'chat-latency', 'rtt-latency', 'handshake-bytes', 'handshake-time', 'idle-bytes', 'idle-memory']) {
      expect(charts[`r0-${name}`], name).toBeUndefined();
      expect(page).not.toContain(`<canvas id="r0-${name}"`);
      expect(page).toMatch(new RegExp(`id="fig-r0-${name}"><h3>[^<]+</h3><p class="missing-note">Not measured`));
    }
    expect(charts['r0-latency-corrected']).toBeDefined();
  });

  it('says a zero idle cost was measured over a window, which a slower heartbeat cannot show in', () => {
    const quiet: Results = structuredClone(golden);
    const idleWs = okStepOf(quiet, 'idle/ws/clients=1000');
    idleWs.metrics.idleBytesPerConnectionPerMin = { median: 0, min: 0, max: 0 };
    const spec = chartData(buildReport([{ file: 'quiet.json', results: quiet }]).html)['r0-idle-bytes'];
    const note = spec.notes.find((n) => n.startsWith('WebSocket (ws): 0 B'));
    expect(note).toContain(`0 B in its ${Number(idleWs.params.idleMs).toLocaleString('en-US')} ms idle window`);
    expect(note).toContain('raise --idle-ms');
  });

  it('builds a page for a run with no steps at all', () => {
    const empty: Results = { ...golden, steps: [], summary: { steps: 0, ok: 0, errored: 0, durationMs: 0 } };
    const page = buildReport([{ file: 'empty.json', results: empty }]).html;
    expect(Object.keys(chartData(page))).toEqual([]);
    expect(page).toContain('No headline: the push scenario was not run');
  });

  it('shows several runs with a picker and side by side', () => {
    const older: Results = { ...golden, startedAt: '2025-01-01T09:00:00.000Z' };
    const page = buildReport([{ file: 'latest.json', results: golden }, { file: 'older.json', results: older }]).html;
    expect(page).toContain('<select id="run-select">');
    expect([...page.matchAll(/<option value="(\d)"/g)].map((m) => m[1])).toEqual(['0', '1']);
    expect(page).toContain('<section class="run" data-run="0" id="run-0">');
    expect(page).toContain('<section class="run" data-run="1" id="run-1" hidden>');
    expect(page).toContain('id="runs-compared"');
    const charts = chartData(page);
    expect(charts['r0-capacity']).toBeDefined();
    expect(charts['r1-capacity']).toBeDefined();
  });
});

describe('#buildReport of an interrupted run', () => {
  it('says so at the top of the run and in the summary', () => {
    const results: Results = { ...readResults(GOLDEN), interrupted: true };
    const { html, markdown } = buildReport([{ file: 'cut.json', results }]);
    expect(html).toContain('This run was interrupted before it finished');
    expect(markdown).toContain('This run was interrupted before it finished');
  });
});
