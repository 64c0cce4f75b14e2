import { describe, expect, it } from 'vitest';
import { buildHeadline } from '../../report/headline.ts';
import { conditionsChart } from '../../report/charts-conditions.ts';
import { buildRunModel } from '../../report/model.ts';
import { runSection } from '../../report/html-run.ts';
import { summaryMarkdown } from '../../report/summary-markdown.ts';
import { conditionsLabel, describeConditions, reportedSteps } from '../../report/select-steps.ts';
import type { StepResult } from '../../results/schema.ts';
import { ALL_TRANSPORTS, makeResults, pushStep } from '../helpers/results-factory.ts';

/** The step under an emulated network: rtt in its params and id, its latency that much higher. */
function overRtt(step: StepResult, rttMs: number): StepResult {
  const copy = structuredClone(step);
  copy.id = `${copy.id}/rtt=${rttMs}`;
  copy.params = { ...copy.params, rttMs };
  if (copy.status === 'ok' && copy.metrics.latency) copy.metrics.latency.p50.median += rttMs * 500;
  return copy;
}

describe('the report under several conditions', () => {
  const loopback = ALL_TRANSPORTS.map(pushStep);
  const hostile = { ...structuredClone(loopback[0]!), id: 'hostile/short-polling', scenario: 'hostile' as const, params: {} };

  it('draws loopback when the run has it, and names the other conditions', () => {
    const run = makeResults([...loopback, ...loopback.map((s) => overRtt(s, 40))]);
    const headline = buildHeadline(run);
    expect(headline.conditions).toBe('');
    expect(headline.otherConditions).toEqual(['rtt=40']);
    // The ws row is the loopback step, never the 40 ms one at the same load point.
    expect(headline.rows.find((r) => r.transport === 'ws')?.step?.id).toBe(loopback.find((s) => s.transport === 'ws')!.id);
  });

  it('introduces the conditions card with the sets of conditions the run measured, in words', () => {
    const swept = buildRunModel({ file: 'run.json', results: makeResults([...loopback, ...loopback.map((s) => overRtt(s, 40))]) }, 0);
    expect(runSection(swept, false)).toContain('The same transports under every set of conditions this run measured: loopback with minimal request headers; over an emulated 40 ms round trip');
    const one = buildRunModel({ file: 'run.json', results: makeResults(loopback) }, 0);
    expect(runSection(one, false)).toContain('This run measured one set of conditions, loopback with minimal request headers');
  });

  it('draws the first network the run has when it has no loopback step; hostile (always loopback) does not decide it', () => {
    const run = makeResults([...loopback.map((s) => overRtt(s, 20)), ...loopback.map((s) => overRtt(s, 40)), hostile]);
    expect(buildHeadline(run).conditions).toBe('over an emulated 20 ms round trip');
    expect(reportedSteps(run).map(conditionsLabel)).toEqual([...loopback.map(() => 'rtt=20'), '']);
  });

  it('adds a headline per other condition the run measured push under, drawn from those steps only', () => {
    const run = makeResults([...loopback, ...loopback.map((s) => overRtt(s, 40))]);
    const model = buildRunModel({ file: 'run.json', results: run }, 0);
    expect(model.otherHeadlines).toHaveLength(1);
    const [rtt40] = model.otherHeadlines;
    expect(rtt40!.conditions).toBe('over an emulated 40 ms round trip');
    expect(rtt40!.rows.find((r) => r.transport === 'ws')?.step?.id).toBe(`${loopback.find((s) => s.transport === 'ws')!.id}/rtt=40`);
    expect(summaryMarkdown([model])).toContain('The same over an emulated 40 ms round trip, at 200 messages/s published, 4 clients, 64 B payloads:');
  });

  it('charts each transport under every condition, the drawn one first; one condition only is a note', () => {
    const single = conditionsChart('c', makeResults(loopback), 'latency');
    expect(single.missing).toMatch(/one set of conditions only/);
    const chart = conditionsChart('c', makeResults([...loopback, ...loopback.map((s) => overRtt(s, 40))]), 'latency');
    expect(chart.datasets.map((d) => d.label)).toEqual(['loopback', 'over an emulated 40 ms round trip']);
    const ws = chart.labels!.indexOf('WebSocket (ws)');
    // overRtt adds rtt/2 = 20 ms to the p50.
    expect((chart.datasets[1]!.data[ws] as number) - (chart.datasets[0]!.data[ws] as number)).toBeCloseTo(20, 3);
  });

  it('shows Socket.IO in the run\'s own mode when another mode was swept too, whichever comes first', () => {
    const sio = loopback.find((s) => s.transport === 'socket-io')!;
    const websocketOnly = { ...structuredClone(sio), id: `${sio.id}/mode=websocket`, params: { ...sio.params, socketIoTransports: 'websocket' } };
    const run = makeResults([...loopback.filter((s) => s !== sio), websocketOnly, sio]);
    expect(buildHeadline(run).rows.find((r) => r.transport === 'socket-io')?.step?.id).toBe(sio.id);
  });

  it('puts the conditions in words', () => {
    expect(describeConditions('rtt=40 jitter=5 bw=10mbit headers=browser cookie=500')).toBe('over an emulated 40 ms round trip (± 5 ms jitter) at 10mbit per connection, with browser request headers, with a 500 B cookie');
  });
});
