import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { METRIC_IDS, METRICS } from '../../results/metrics.ts';
import { DEFAULT_RATIO_CHECKS } from '../../compare/ratio-checks.ts';
import { DEFAULT_THRESHOLDS_FILE, floorsFor, loadThresholds, parseThresholds, readThresholds } from '../../compare/thresholds.ts';

const dir = mkdtempSync(join(tmpdir(), 'compare-thresholds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('#parseThresholds', () => {
  it('fills every default from an empty object', () => {
    expect(parseThresholds({})).toEqual({
      spreadFactor: 1,
      metrics: {},
      failOn: { newlyErrored: true, missingStep: true, loss: true, disorder: true, faultOutcomes: true, newlySaturated: true },
      latencyRatio: { enabled: true, factorFloor: 2, fail: ['p50'], warn: ['p99'] },
      environmentMismatch: 'warn',
      ignoreSteps: [],
      ratioChecks: DEFAULT_RATIO_CHECKS,
    });
  });

  it('keeps the defaults of failOn fields that are not given', () => {
    expect(parseThresholds({ failOn: { missingStep: false } }).failOn).toEqual({
      newlyErrored: true,
      missingStep: false,
      loss: true,
      disorder: true,
      faultOutcomes: true,
      newlySaturated: true,
    });
  });

  it('names a field of the wrong type', () => {
    expect(() => parseThresholds({ spreadFactor: 'wide' }, 't.json')).toThrow(/^t\.json: invalid field "spreadFactor": .*expected number/);
  });

  it('names an unknown field, nested or not', () => {
    expect(() => parseThresholds({ spreadfactor: 1 })).toThrow('unknown field "spreadfactor"');
    expect(() => parseThresholds({ failOn: { regressions: false } })).toThrow('unknown field "failOn.regressions"');
  });

  it('names an unknown metric and lists the known ones', () => {
    expect(() => parseThresholds({ metrics: { 'latency.p95': { relativeFloor: 0.2 } } })).toThrow(/unknown field "metrics\.latency\.p95" \(known metrics: latency\.p50, /);
  });

  it('names the bad field of a ratio check by its position', () => {
    const check = { id: 'x', scenario: 'push', metric: 'latency.p99', left: 'websocket', op: '<', right: 'sse' };
    expect(() => parseThresholds({ ratioChecks: [check] })).toThrow(/invalid field "ratioChecks\.0\.left"/);
  });

  it('rejects a negative floor', () => {
    expect(() => parseThresholds({ metrics: { 'latency.p50': { absoluteFloor: -1 } } })).toThrow(/invalid field "metrics\.latency\.p50\.absoluteFloor"/);
  });
});

describe('#floorsFor', () => {
  it('takes the metric entry first, then the global relative floor, then the metric default', () => {
    expect(floorsFor(parseThresholds({}), 'latency.p99')).toEqual({ enabled: true, warnOnly: false, relativeFloor: 4, absoluteFloor: 1_000 });
    expect(floorsFor(parseThresholds({ relativeFloor: 0.5 }), 'latency.p99').relativeFloor).toBe(0.5);
    const own = parseThresholds({ relativeFloor: 0.5, metrics: { 'latency.p99': { relativeFloor: 0.1, absoluteFloor: 0 } } });
    expect(floorsFor(own, 'latency.p99')).toEqual({ enabled: true, warnOnly: false, relativeFloor: 0.1, absoluteFloor: 0 });
  });
});

describe('#readThresholds', () => {
  it('rejects a missing file', () => {
    expect(() => readThresholds(join(dir, 'nope.json'))).toThrow(expect.objectContaining({ code: 'COMPARE_ERR_THRESHOLDS' }));
    expect(() => readThresholds(join(dir, 'nope.json'))).toThrow(/cannot read thresholds: no such file/);
  });

  it('rejects a file that is not JSON', () => {
    expect(() => readThresholds(file('broken.json', '{ "spreadFactor": '))).toThrow(/thresholds file is not valid JSON/);
  });

  it('reads a valid file', () => {
    expect(readThresholds(file('ok.json', '{ "spreadFactor": 2, "ratioChecks": [] }'))).toMatchObject({ spreadFactor: 2, ratioChecks: [] });
  });
});

describe('#loadThresholds', () => {
  it('reads the committed compare/thresholds.json when no file is given', () => {
    const loaded = loadThresholds();
    expect(DEFAULT_THRESHOLDS_FILE).toMatch(/compare[\\/]thresholds\.json$/);
    expect(loaded.source).toBe('compare/thresholds.json');
    expect(loaded.thresholds.spreadFactor).toBeGreaterThan(0);
  });

  it('prefers the file it is given', () => {
    const path = file('given.json', '{ "spreadFactor": 3 }');
    expect(loadThresholds(path)).toMatchObject({ source: path, thresholds: { spreadFactor: 3 } });
  });
});

describe('docs/compare.md', () => {
  it('documents every metric, every default ratio check and every thresholds field', () => {
    const docs = readFileSync(new URL('../../docs/compare.md', import.meta.url), 'utf8');
    const names = [...METRIC_IDS, ...DEFAULT_RATIO_CHECKS.map((c) => c.id), ...Object.keys(parseThresholds({})), 'relativeFloor', '$comment'];
    const defaults = parseThresholds({});
    const nested = [...Object.keys(defaults.failOn).map((k) => `failOn.${k}`), ...Object.keys(defaults.latencyRatio).map((k) => `latencyRatio.${k}`)];
    names.push(...nested);
    expect(names.filter((name) => !docs.includes('`' + name))).toEqual([]);
  });

  it('states each metric\'s default floors and each default check\'s severity as the code has them', () => {
    const docs = readFileSync(new URL('../../docs/compare.md', import.meta.url), 'utf8').split('\n');
    const row = (id: string) => docs.find((line) => line.startsWith('| `' + id + '` |')) ?? '';
    const wrong = [
      ...METRIC_IDS.filter((id) => !row(id).includes(`| ${METRICS[id].better} | ${METRICS[id].relativeFloor} | ${METRICS[id].absoluteFloor}`)),
      ...DEFAULT_RATIO_CHECKS.filter((c) => !row(c.id).endsWith(`| ${c.severity} |`)).map((c) => c.id),
    ];
    expect(wrong).toEqual([]);
  });
});
