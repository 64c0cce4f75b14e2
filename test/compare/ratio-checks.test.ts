import { describe, expect, it } from 'vitest';
import { DEFAULT_RATIO_CHECKS, describeCheck, evaluateRatioCheck, evaluateRatioChecks, type RatioCheck } from '../../compare/ratio-checks.ts';
import { LONG_POLLING_PUSH, TCP_PUSH, WS_PUSH, erroredVersion, latency, makeResults, pushStep, spread, typicalRun, withStep } from '../helpers/results-factory.ts';

const wsBelowLongPolling: RatioCheck = { id: 'p99', scenario: 'push', metric: 'latency.p99', left: 'ws', op: '<', right: 'long-polling', factor: 1, severity: 'fail' };

describe('#evaluateRatioChecks', () => {
  it('passes every default check on a typical run', () => {
    expect(evaluateRatioChecks(typicalRun(), DEFAULT_RATIO_CHECKS).map((r) => [r.check.id, r.verdict])).toEqual(DEFAULT_RATIO_CHECKS.map((c) => [c.id, 'pass']));
  });

  it('fails when the left side is not below the right', () => {
    const run = withStep(typicalRun(), WS_PUSH, (step) => void (step.metrics.latency = latency(90, 5_000)));
    const outcome = evaluateRatioCheck(run, wsBelowLongPolling);
    expect(outcome.verdict).toBe('fail');
    expect(outcome.pairs).toEqual([{ leftStep: WS_PUSH, rightStep: LONG_POLLING_PUSH, left: 5_000, right: 4_000, passed: false }]);
  });

  it('tells "<" from "<=" on equal figures', () => {
    const run = withStep(typicalRun(), TCP_PUSH, (step) => void (step.metrics.bytesPerMessage!.total = spread(112, 0.01)));
    const atMost: RatioCheck = { id: 'b', scenario: 'push', metric: 'bytesPerMessage.total', left: 'tcp', op: '<=', right: 'ws', factor: 1, severity: 'fail' };
    expect(evaluateRatioCheck(run, atMost).verdict).toBe('pass');
    expect(evaluateRatioCheck(run, { ...atMost, op: '<' }).verdict).toBe('fail');
  });

  it('applies the factor to the right side', () => {
    const run = withStep(typicalRun(), WS_PUSH, (step) => void (step.metrics.latency = latency(90, 5_000)));
    expect(evaluateRatioCheck(run, { ...wsBelowLongPolling, factor: 1.5 }).verdict).toBe('pass');
  });

  it('is skipped when a transport has no ok step in the scenario', () => {
    const run = withStep(typicalRun(), LONG_POLLING_PUSH, (step) => erroredVersion(step, { code: 'BENCH_ERR_X', message: 'broken' }));
    expect(evaluateRatioCheck(run, wsBelowLongPolling)).toMatchObject({ verdict: 'skipped', pairs: [] });
    expect(evaluateRatioCheck(typicalRun({ transports: ['ws'] }), wsBelowLongPolling).verdict).toBe('skipped');
  });

  it('leaves out steps whose load generator was saturated', () => {
    const run = withStep(typicalRun(), WS_PUSH, (step) => {
      step.flags.generatorSaturated = true;
      step.metrics.latency = latency(90, 5_000);
    });
    expect(evaluateRatioCheck(run, wsBelowLongPolling).verdict).toBe('skipped');
  });

  it('pairs steps by the parameters they share, never across different rates', () => {
    const ws = pushStep('ws');
    const fast = { ...ws, id: 'push/ws/rate=1000/clients=4/payload=64', params: { ...ws.params, rate: 1_000 } };
    const run = makeResults([pushStep('ws'), fast, pushStep('long-polling')]);
    expect(evaluateRatioCheck(run, wsBelowLongPolling).pairs.map((p) => p.leftStep)).toEqual([WS_PUSH]);
  });

  it('never pairs a step in the browser, or behind an emulated network, with a Node step on loopback', () => {
    const ws = pushStep('ws');
    const variant = (suffix: string, params: Record<string, string | number>, p99: number) => {
      const step = pushStep('ws');
      if (step.status === 'ok') step.metrics.latency = latency(90, p99);
      return { ...step, id: `${WS_PUSH}/${suffix}`, params: { ...step.params, ...params } };
    };
    const inBrowser = variant('runtime=browser', { clientRuntime: 'browser' }, 13_000);
    const overNetwork = variant('rtt=40', { rttMs: 40 }, 30_000);
    const run = makeResults([ws, inBrowser, overNetwork, pushStep('long-polling')]);
    const outcome = evaluateRatioCheck(run, wsBelowLongPolling);
    expect(outcome.pairs.map((p) => [p.leftStep, p.rightStep])).toEqual([[WS_PUSH, LONG_POLLING_PUSH]]);
    expect(outcome.verdict).toBe('pass');
  });

  it('pairs one ws step with every short-polling interval', () => {
    const slow = pushStep('short-polling');
    const slower = { ...slow, id: slow.id.replace('poll=100', 'poll=500'), params: { ...slow.params, pollIntervalMs: 500 } };
    const run = makeResults([pushStep('ws'), slow, slower]);
    const check = DEFAULT_RATIO_CHECKS.find((c) => c.id === 'ws-p50-below-short-polling')!;
    expect(evaluateRatioCheck(run, check).pairs.map((p) => p.rightStep)).toEqual([slow.id, slower.id]);
  });
});

describe('#describeCheck', () => {
  it('states the check in words', () => {
    expect(describeCheck(wsBelowLongPolling)).toBe('ws latency p99 below long-polling latency p99 (push)');
    expect(describeCheck({ ...wsBelowLongPolling, op: '<=', factor: 2 })).toBe('ws latency p99 at most 2 × long-polling latency p99 (push)');
  });
});
