import { describe, expect, it } from 'vitest';
import { compareResults, judgeMetric, type Finding, type MetricFinding } from '../../compare/compare.ts';
import { renderMarkdown, failureLines } from '../../compare/markdown.ts';
import { parseThresholds, type ThresholdsInput } from '../../compare/thresholds.ts';
import type { Results, StepResult } from '../../results/schema.ts';
import { LONG_POLLING_PUSH, TCP_PUSH, WS_PUSH, idleStep, latency, makeStep, pushStep, spread, stepId, typicalRun, withStep, withoutStep, erroredVersion } from '../helpers/results-factory.ts';

const defaults = parseThresholds({});

/** Latency floors fixed here, so these tests judge the logic, not the tuning of the default floors. */
const TIGHT_METRICS = {
  'latency.p50': { relativeFloor: 0.2, absoluteFloor: 50 },
  'latency.p90': { relativeFloor: 0.25, absoluteFloor: 100 },
  'latency.p99': { relativeFloor: 0.3, absoluteFloor: 200 },
};
const tight = parseThresholds({ metrics: TIGHT_METRICS });

function run(baseline: Results, current: Results, thresholds: ThresholdsInput = {}) {
  return compareResults(baseline, current, parseThresholds({ ...thresholds, metrics: { ...TIGHT_METRICS, ...thresholds.metrics } }));
}

function metric(findings: Finding[], step: string, id: string): MetricFinding {
  const found = findings.find((f): f is MetricFinding => f.kind === 'metric' && f.stepId === step && f.metric === id);
  if (!found) throw new Error(`no finding for ${id} of ${step}`);
  return found;
}

function wsP99(p99: number, relativeWidth = 0.05): Results {
  return withStep(typicalRun(), WS_PUSH, (step) => {
    step.metrics.latency = latency(90, p99, relativeWidth);
  });
}

describe('#compareResults', () => {
  it('passes an improvement and reports it as one', () => {
    const result = run(typicalRun(), wsP99(300));
    expect(result.failed).toBe(false);
    const p99 = metric(result.findings, WS_PUSH, 'latency.p99');
    expect(p99).toMatchObject({ verdict: 'improvement', severity: 'pass', difference: -300, relativeChange: -0.5 });
  });

  it('fails a regression beyond tolerance and names the metric and step', () => {
    const result = run(typicalRun(), wsP99(1_800));
    expect(result.failed).toBe(true);
    const p99 = metric(result.findings, WS_PUSH, 'latency.p99');
    expect(p99).toMatchObject({ verdict: 'regression', severity: 'fail', difference: 1_200, tolerance: 240, toleranceFrom: 'noise' });
    expect(failureLines(result).join('\n')).toContain(`regression: latency p99 of ${WS_PUSH}`);
  });

  const saturated = (results: Results) => withStep(results, WS_PUSH, (step) => void (step.flags.generatorSaturated = true));

  it('only warns about a timing regression in a step whose load generator was saturated in the baseline', () => {
    const result = run(saturated(typicalRun()), wsP99(1_800));
    expect(result.failed).toBe(false);
    expect(metric(result.findings, WS_PUSH, 'latency.p99')).toMatchObject({ verdict: 'regression', severity: 'warn' });
    expect(result.findings.some((f) => f.kind === 'step' && f.stepId === WS_PUSH && f.verdict === 'generator saturated' && f.severity === 'warn')).toBe(true);
  });

  it('fails a step whose load generator is saturated now and was not in the baseline', () => {
    const result = run(typicalRun(), saturated(typicalRun()));
    expect(result.failed).toBe(true);
    expect(result.findings[0]).toMatchObject({ kind: 'step', verdict: 'newly saturated', severity: 'fail', stepId: WS_PUSH });
  });

  it('still fails a bytes regression in a saturated step', () => {
    const bigger = withStep(saturated(typicalRun()), WS_PUSH, (step) => void (step.metrics.bytesPerMessage!.total = spread(224, 0.01)));
    const result = run(saturated(typicalRun()), bigger);
    expect(result.failed).toBe(true);
    expect(metric(result.findings, WS_PUSH, 'bytesPerMessage.total')).toMatchObject({ verdict: 'regression', severity: 'fail' });
  });

  it('only warns about a regression of a metric marked warnOnly in the thresholds', () => {
    const result = run(typicalRun(), wsP99(1_800), { metrics: { 'latency.p99': { relativeFloor: 0.3, absoluteFloor: 200, warnOnly: true } } });
    expect(metric(result.findings, WS_PUSH, 'latency.p99')).toMatchObject({ verdict: 'regression', severity: 'warn' });
  });

  it('passes a change inside the noise band even when it passes both floors', () => {
    // 600 → 900 µs is beyond the 200 µs absolute and 180 µs relative floors, but both runs spread ±30%.
    const baseline = wsP99(600, 0.3);
    const result = run(baseline, withStep(baseline, WS_PUSH, (step) => void (step.metrics.latency = latency(90, 900, 0.3))));
    expect(result.failed).toBe(false);
    expect(metric(result.findings, WS_PUSH, 'latency.p99')).toMatchObject({ verdict: 'unchanged', toleranceFrom: 'noise', tolerance: 900 });
  });

  it('fails the same change when the runs are tight and the floor is the tolerance', () => {
    const result = run(wsP99(600, 0), wsP99(900, 0));
    expect(metric(result.findings, WS_PUSH, 'latency.p99')).toMatchObject({ verdict: 'regression', toleranceFrom: 'absolute floor', tolerance: 200 });
  });

  it('is direction-aware: fewer deliveries per second is worse, more is better', () => {
    const delivered = (median: number) => withStep(typicalRun(), WS_PUSH, (step) => void (step.metrics.deliveredPerSec = spread(median, 0.01)));
    expect(metric(run(typicalRun(), delivered(300)).findings, WS_PUSH, 'deliveredPerSec').verdict).toBe('regression');
    expect(metric(run(typicalRun(), delivered(500)).findings, WS_PUSH, 'deliveredPerSec').verdict).toBe('improvement');
  });

  it('fails a step that was ok in the baseline and errored now', () => {
    const current = withStep(typicalRun(), WS_PUSH, (step) => erroredVersion(step, { code: 'BENCH_ERR_TIMEOUT', message: 'step timed out after 15000 ms' }));
    const result = run(typicalRun(), current);
    expect(result.failed).toBe(true);
    expect(result.findings[0]).toMatchObject({ kind: 'step', verdict: 'newly errored', severity: 'fail', stepId: WS_PUSH });
    expect(result.findings[0]!.kind === 'step' && result.findings[0]!.message).toContain('BENCH_ERR_TIMEOUT');
  });

  it('never fails on a step marked not run here: a warning when it was ok in the baseline, information when new or marked in both', () => {
    const skip = (step: Parameters<typeof erroredVersion>[0]) => erroredVersion(step, { code: 'BENCH_ERR_SKIPPED', message: "skipped: the smoke profile's browser steps need Debian's chromium" });
    const skipped = run(typicalRun(), withStep(typicalRun(), WS_PUSH, skip));
    expect(skipped.failed).toBe(false);
    expect(skipped.findings.find((f) => f.kind === 'step' && f.stepId === WS_PUSH)).toMatchObject({ verdict: 'newly errored', severity: 'warn', message: expect.stringMatching(/not run now/) });
    const both = run(withStep(typicalRun(), WS_PUSH, skip), withStep(typicalRun(), WS_PUSH, skip));
    expect(both.findings.find((f) => f.kind === 'step' && f.stepId === WS_PUSH)).toMatchObject({ severity: 'info' });
    const current = typicalRun();
    current.steps.push(erroredVersion(makeStep({ scenario: 'push', transport: 'tcp', params: { rate: 9, clients: 1, payload: 64 } }), { code: 'BENCH_ERR_NOT_APPLICABLE', message: 'not applicable in a browser' }));
    const added = run(typicalRun(), current);
    expect(added.failed).toBe(false);
    expect(added.findings.find((f) => f.kind === 'step' && f.verdict === 'new')).toMatchObject({ severity: 'info', message: expect.stringMatching(/BENCH_ERR_NOT_APPLICABLE/) });
  });

  it('only warns on the bytes per message of polling clients in a browser (Chromium batches them), and still fails a Node step\'s', () => {
    const inBrowser = (step: StepResult) => ({ ...step, id: `${step.id}/runtime=browser`, params: { ...step.params, clientRuntime: 'browser' } }) as StepResult;
    const browserRun = (scale: number) => {
      const run = typicalRun();
      const node = run.steps.find((s) => s.id === LONG_POLLING_PUSH)!;
      const browser = inBrowser(JSON.parse(JSON.stringify(node)) as StepResult);
      if (browser.status === 'ok') browser.metrics.bytesPerMessage!.total = spread(450 * scale, 0.01);
      run.steps.push(browser);
      return run;
    };
    const batched = run(browserRun(1), browserRun(1.6));
    const finding = batched.findings.find((f) => f.kind === 'metric' && f.stepId === `${LONG_POLLING_PUSH}/runtime=browser` && f.metric === 'bytesPerMessage.total');
    expect(finding).toMatchObject({ verdict: 'regression', severity: 'warn' });
    expect(batched.failed).toBe(false);
    const node = run(typicalRun(), withStep(typicalRun(), LONG_POLLING_PUSH, (step) => void (step.metrics.bytesPerMessage!.total = spread(720, 0.01))));
    expect(node.findings.find((f) => f.kind === 'metric' && f.stepId === LONG_POLLING_PUSH && f.metric === 'bytesPerMessage.total')).toMatchObject({ severity: 'fail' });
  });

  it('reports steps present in only one file, failing only when told a missing one is no failure', () => {
    const current = withoutStep(typicalRun(), TCP_PUSH);
    current.steps.push(makeStep({ scenario: 'push', transport: 'ws', params: { rate: 1_000, clients: 4, payload: 64 } }));
    const result = run(typicalRun(), current, { failOn: { missingStep: false } });
    expect(result.failed).toBe(false);
    const steps = result.findings.filter((f) => f.kind === 'step').map((f) => [f.stepId, f.verdict, f.severity]);
    expect(steps).toContainEqual([TCP_PUSH, 'missing', 'warn']);
    expect(steps).toContainEqual([stepId('push', 'ws', { rate: 1_000, clients: 4, payload: 64 }), 'new', 'info']);
  });

  it('warns about an id that appears twice in a file', () => {
    const current = typicalRun();
    current.steps.push(structuredClone(current.steps[0]!));
    expect(run(typicalRun(), current).findings.filter((f) => f.kind === 'step')).toEqual([
      { kind: 'step', severity: 'warn', verdict: 'duplicate id', stepId: current.steps[0]!.id, message: 'appears 2 times in the current run; the last one is compared' },
    ]);
  });

  it('fails a missing step by default', () => {
    const result = run(typicalRun(), withoutStep(typicalRun(), TCP_PUSH));
    expect(result.failed).toBe(true);
    expect(result.findings[0]).toMatchObject({ kind: 'step', verdict: 'missing', severity: 'fail', stepId: TCP_PUSH });
  });

  it('fails a step that loses messages with no fault injected', () => {
    const current = withStep(typicalRun(), WS_PUSH, (step) => {
      step.flags.unexplainedLoss = true;
      step.metrics.delivery = { expected: 480, delivered: 470, lost: 10, duplicated: 0, outOfOrder: 0 };
    });
    const result = run(typicalRun(), current);
    expect(result.failed).toBe(true);
    expect(result.findings[0]).toMatchObject({ verdict: 'unexplained loss', stepId: WS_PUSH, severity: 'fail' });
  });

  it('warns, without failing, when the environments differ', () => {
    const result = run(typicalRun(), typicalRun({ environment: { cpuCount: 8, node: 'v22.1.0' } }));
    expect(result.failed).toBe(false);
    expect(result.environmentWarning).toMatch(/^Warning: .*2 vs 8 cores; Node 20 vs 22/);
    expect(run(typicalRun(), typicalRun()).environmentWarning).toBeNull();
  });

  it('warns the same way when one run busy-polled and the other did not', () => {
    const spinning = typicalRun();
    spinning.method = { ...spinning.method, busyPoll: 'on: the load process never slept' };
    expect(run(typicalRun(), spinning).environmentWarning).toMatch(/^Warning: .*busy polling off vs on/);
    expect(run(spinning, spinning).environmentWarning).toBeNull();
  });

  it('turns regressions into warnings across machines when environmentMismatch is ratio-only', () => {
    const elsewhere = withStep(typicalRun({ environment: { cpuModel: 'Other CPU' } }), WS_PUSH, (step) => void (step.metrics.latency = latency(90, 1_800)));
    expect(run(typicalRun(), elsewhere).failed).toBe(true);
    const result = run(typicalRun(), elsewhere, { environmentMismatch: 'ratio-only' });
    expect(result.failed).toBe(false);
    expect(metric(result.findings, WS_PUSH, 'latency.p99')).toMatchObject({ verdict: 'regression', severity: 'warn' });
  });

  it('fails when a ratio check fails in the current run', () => {
    const current = withStep(typicalRun(), TCP_PUSH, (step) => void (step.metrics.bytesPerMessage!.total = { median: 112.5, min: 111.4, max: 113.6 }));
    const result = run(typicalRun(), current);
    expect(result.findings.filter((f) => f.severity === 'fail')).toEqual([]);
    expect(result.failed).toBe(true);
    expect(result.ratioChecks.find((r) => r.check.id === 'tcp-bytes-at-most-ws')).toMatchObject({ verdict: 'fail' });
    expect(failureLines(result)).toEqual([expect.stringContaining('ratio check failed: tcp bytes/message at most ws bytes/message (push)')]);
  });

  it('sorts failures first, then regressions by size of change, then improvements, then the rest', () => {
    const current = withStep(
      withStep(wsP99(1_200), LONG_POLLING_PUSH, (step) => void (step.metrics.latency = latency(300, 40_000))),
      TCP_PUSH,
      (step) => void (step.metrics.deliveredPerSec = spread(800, 0.01)),
    );
    const order = run(typicalRun(), current)
      .findings.filter((f) => f.kind !== 'latency-ratio')
      .map((f) => (f.kind === 'metric' ? `${f.verdict} ${f.metric} ${f.stepId.split('/')[1]}` : f.verdict));
    expect(order.slice(0, 5)).toEqual([
      'regression latency.p99 long-polling',
      'regression latency.p90 long-polling',
      'regression latency.p99 ws',
      'regression latency.p90 ws',
      'improvement deliveredPerSec tcp',
    ]);
    expect(order[5]).toBe('improvement latency.p50 long-polling');
    expect(order.slice(6).every((line) => line.startsWith('unchanged'))).toBe(true);
  });

  it('leaves out ignored steps and disabled metrics', () => {
    const current = wsP99(1_800);
    expect(run(typicalRun(), current, { ignoreSteps: ['push/ws/'] }).failed).toBe(false);
    const result = run(typicalRun(), current, { metrics: { 'latency.p99': { enabled: false }, 'latency.p90': { enabled: false } } });
    expect(result.failed).toBe(false);
    expect(result.findings.some((f) => f.kind === 'metric' && f.metric === 'latency.p99')).toBe(false);
  });
});

describe('#judgeMetric', () => {
  const floors = { enabled: true, warnOnly: false, relativeFloor: 0.1, absoluteFloor: 0 };

  it('judges a zero baseline by the absolute floor and gives no relative change', () => {
    const judged = judgeMetric('lower', { ...floors, absoluteFloor: 64 }, 1, spread(0, 0), spread(100, 0));
    expect(judged).toMatchObject({ verdict: 'regression', relativeChange: null, tolerance: 64, toleranceFrom: 'absolute floor' });
  });

  it('calls identical figures unchanged even with no tolerance at all', () => {
    expect(judgeMetric('higher', { ...floors, relativeFloor: 0 }, 1, spread(20, 0), spread(20, 0)).verdict).toBe('unchanged');
  });
});

describe('#renderMarkdown', () => {
  /** One of everything: a regression, an improvement, a missing and a new step, a failed ratio check, another machine. */
  function richComparison() {
    const baseline = typicalRun({ transports: ['ws', 'tcp', 'long-polling', 'short-polling'] });
    let current = typicalRun({ transports: ['ws', 'tcp', 'long-polling', 'sse'], environment: { cpuCount: 4 } });
    current = withStep(current, WS_PUSH, (step) => void (step.metrics.latency = latency(90, 1_800)));
    current = withStep(current, LONG_POLLING_PUSH, (step) => void (step.metrics.bytesPerMessage!.total = spread(200, 0.01)));
    current = withStep(current, TCP_PUSH, (step) => void (step.metrics.bytesPerMessage!.total = { median: 112.5, min: 111.4, max: 113.6 }));
    current = withStep(current, 'connect/ws/clients=10', (step) => erroredVersion(step, { code: 'BENCH_ERR_X', message: 'a | b' }));
    current.steps.push(idleStep('short-polling', 180_000), pushStep('socket-io'));
    return compareResults(baseline, current, tight);
  }

  it('matches the snapshot', async () => {
    await expect(renderMarkdown(richComparison())).toMatchFileSnapshot('./__snapshots__/compare-table.md');
  });

  it('puts the environment warning on the first line', () => {
    expect(renderMarkdown(richComparison()).split('\n')[0]).toMatch(/^> ⚠️ Warning: the baseline and the current run come from different environments/);
  });

  it('escapes pipes inside cells so the table keeps its columns', () => {
    expect(renderMarkdown(richComparison())).toContain('(BENCH_ERR_X: a \\| b)');
  });

  it('says PASS with no warning when nothing changed', () => {
    const text = renderMarkdown(compareResults(typicalRun(), typicalRun(), defaults));
    expect(text.split('\n')[0]).toBe('## transport-bench compare: ✔️ PASS');
    expect(text).toContain('**0 regressions, 0 latency ratio regressions, 0 improvements, 52 within tolerance, 0 step findings, ratio checks: 8 passed, 0 failed, 0 warned, 0 skipped.**');
  });
});
