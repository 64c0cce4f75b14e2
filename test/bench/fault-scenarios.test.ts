import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../bench/config/config.ts';
import { buildPlan } from '../../bench/run/plan.ts';
import { runBenchmark } from '../../bench/run/run-benchmark.ts';
import { EpochTracker } from '../../bench/scenarios/restart-epochs.ts';
import { ResumeClock } from '../../bench/scenarios/fault-common.ts';
import { SCENARIO_REGISTRY } from '../../bench/scenarios/registry.ts';
import { RSS_SLACK_BYTES } from '../../bench/scenarios/slow-consumer.ts';
import { liveServerPids } from '../../bench/run/server-process.ts';
import { parseResults } from '../../results/read-results.ts';
import type { OkStep, Results } from '../../results/schema.ts';
import { TRANSPORTS } from '../../protocol/transports.ts';
import { scheduledCount } from '../../servers/schedule.ts';
import { expectOk } from '../helpers/ok-step.ts';
import { makeEnvironment } from '../helpers/results-factory.ts';

/**
 * The fault scenarios through the real runner, with real server processes (crash SIGKILLs one): one small
 * run of drop, crash, slow-consumer and hostile over every transport, then what each step reports.
 */

/** A fixed environment: the runner would otherwise ask git and the OS on every run. */
const ENVIRONMENT = makeEnvironment();

const FAULTS = ['drop', 'crash', 'slow-consumer', 'hostile'] as const;
type Fault = (typeof FAULTS)[number];

const OPTIONS = {
  transports: [...TRANSPORTS],
  payload: [64],
  rooms: 2,
  pollIntervalsMs: [50],
  faultRepeats: 1,
  faultClients: 4,
  faultRate: 200,
  faultDurationMs: 300,
  crashDowntimeMs: 100,
  slowConsumerStallMs: 4_000,
  hostileMaxCaseMs: 5_000,
  stepTimeoutMs: 20_000,
  quiet: true,
};

/** The figures every scenario's run shares (client count, rate, window). */
const config = resolveConfig('smoke', { ...OPTIONS, scenarios: [...FAULTS] });
const configFor = (scenario: Fault) => resolveConfig('smoke', { ...OPTIONS, scenarios: [scenario] });

/**
 * Each scenario runs on its own, bounded by what the runner itself allows it: every step at most its step timeout
 * (after which the runner errors it, and the tests below name the step and its error) plus 10 s for its server's
 * start and stop. A slow shared machine then fails a step with a reason, never the whole file on a bare hook
 * timeout. Normally the four runs take about 30 s together (slow-consumer's stalls take the most).
 */
const SERVER_ALLOWANCE_MS = 10_000;
const runBound = (scenario: Fault) => buildPlan(configFor(scenario), SCENARIO_REGISTRY).length * (config.stepTimeoutMs + SERVER_ALLOWANCE_MS);

const runs = new Map<Fault, Results>();

/** The ok steps of the scenario's own run (each `describe` below runs its scenario in its `beforeAll`). */
function steps(scenario: Fault): OkStep[] {
  const results = runs.get(scenario);
  if (!results) throw new Error(`the ${scenario} run did not finish`);
  return results.steps.filter((s) => s.scenario === scenario).map(expectOk);
}

/** Runs the scenario through the runner before the tests of the enclosing describe, and checks the run as a whole. */
function runScenario(scenario: Fault): void {
  beforeAll(async () => {
    const { results } = await runBenchmark({ config: configFor(scenario), scenarios: SCENARIO_REGISTRY, environment: ENVIRONMENT });
    runs.set(scenario, results);
  }, runBound(scenario));

  it('runs every planned step, writes valid results and leaves no server process behind', () => {
    const results = runs.get(scenario)!;
    expect(results.steps.map((s) => s.id)).toEqual(buildPlan(configFor(scenario), SCENARIO_REGISTRY).map((s) => s.id));
    for (const step of results.steps) expectOk(step);
    expect(() => parseResults(JSON.parse(JSON.stringify(results)), `${scenario} run`)).not.toThrow();
    expect(liveServerPids()).toEqual([]);
  });
}

describe('#fault scenarios through the runner', () => {
  it('plans every fault scenario over every transport', () => {
    expect(FAULTS.map((scenario) => buildPlan(configFor(scenario), SCENARIO_REGISTRY).length)).toEqual([TRANSPORTS.length + 1, TRANSPORTS.length, 4, TRANSPORTS.length]);
  });
});

describe('#drop', () => {
  runScenario('drop');

  it('loses, doubles and reorders nothing on any transport, Socket.IO with recovery on and off, and every client comes back', () => {
    const ids = steps('drop').map((s) => s.id);
    expect(ids).toContain('drop/socket-io/clients=4/rate=200/recovery=on');
    expect(ids).toContain('drop/socket-io/clients=4/rate=200/recovery=off');
    expect(steps('drop')).toHaveLength(TRANSPORTS.length + 1);
    for (const step of steps('drop')) {
      const { delivery, reliability } = step.metrics;
      expect({ id: step.id, ...delivery }).toMatchObject({ id: step.id, lost: 0, duplicated: 0, outOfOrder: 0 });
      expect(delivery!.expected).toBe(config.faultClients * (scheduledCount(config.faultRate, config.faultDurationMs) / 2));
      expect(reliability).toMatchObject({ fault: 'drop', clients: 4, resumed: 4 });
      expect(reliability!.reconnect!.count).toBe(4);
      expect(step.flags.unexplainedLoss).toBe(false);
    }
  });
});

describe('#crash', () => {
  runScenario('crash');

  // Each epoch publishes half the window's schedule over 2 rooms, and each room has 2 of the 4 clients.
  const perEpoch = config.faultClients * (scheduledCount(config.faultRate, config.faultDurationMs / 2) / 2);

  it('counts every message of both epochs against the sequence numbers: what the old process published, what the new one did', () => {
    expect(steps('crash')).toHaveLength(TRANSPORTS.length);
    for (const step of steps('crash')) {
      const r = step.metrics.reliability!;
      expect(r.fault).toBe('crash');
      expect(r.beforeCrash!.expected).toBe(perEpoch);
      expect(r.afterRestart!.expected).toBe(perEpoch);
      for (const part of [r.beforeCrash!, r.afterRestart!]) expect(part.delivered + part.lost).toBe(part.expected);
      expect(step.metrics.delivery).toEqual({
        expected: 2 * perEpoch,
        delivered: r.beforeCrash!.delivered + r.afterRestart!.delivered,
        lost: r.beforeCrash!.lost + r.afterRestart!.lost,
        duplicated: r.beforeCrash!.duplicated + r.afterRestart!.duplicated,
        outOfOrder: r.beforeCrash!.outOfOrder + r.afterRestart!.outOfOrder,
      });
      // Loss from the crash is reported, named in a note, and not flagged as unexplained.
      expect(step.flags.unexplainedLoss).toBe(false);
      if (r.beforeCrash!.lost > 0) expect(step.notes.join('\n')).toContain(`${r.beforeCrash!.lost} of ${perEpoch} deliveries published before the kill were lost`);
    }
  });

  it('gets every client back onto the restarted server (its feed starts again at 1) with nothing lost after the restart', () => {
    for (const step of steps('crash')) {
      const r = step.metrics.reliability!;
      expect({ id: step.id, ...r.afterRestart }).toMatchObject({ id: step.id, lost: 0, duplicated: 0 });
      expect(r).toMatchObject({ clients: 4, resumed: 4 });
      expect(r.outageMs!.median).toBeGreaterThanOrEqual(config.crashDowntimeMs);
      // Reconnecting takes at least the outage.
      expect(r.reconnect!.p50.median).toBeGreaterThanOrEqual(config.crashDowntimeMs * 1000);
    }
  });
});

describe('#EpochTracker', () => {
  it('keeps seq 3 of the old feed apart from seq 3 of the new one, so loss on either side is exact', () => {
    const tracker = new EpochTracker();
    for (const seq of [1, 2, 3, 4, 5, 6, 7]) tracker.observe({ seq, at: 100 + seq });
    tracker.boundaryUs = 500;
    // A last old message read after the kill, then the new feed from 1 again.
    tracker.observe({ seq: 8, at: 108 });
    for (const seq of [1, 2, 4, 5]) tracker.observe({ seq, at: 600 + seq });
    const before = { rooms: { a: { published: 10, firstSeq: 1, lastSeq: 10 } }, strategy: '' };
    const after = { rooms: { a: { published: 5, firstSeq: 1, lastSeq: 5 } }, strategy: '' };
    expect(tracker.count('a', before, after)).toEqual({
      before: { expected: 10, delivered: 8, lost: 2, duplicated: 0, outOfOrder: 0 },
      after: { expected: 5, delivered: 4, lost: 1, duplicated: 0, outOfOrder: 0 },
    });
  });
});

describe('#ResumeClock', () => {
  it('times each client to its first message published after the fault, and names a client that never came back', () => {
    const clock = new ResumeClock(3);
    clock.receipt(0, 50, 90); // before watching: ignored
    clock.watch(100);
    clock.receipt(0, 99, 101); // published before the fault: came over the old connection
    clock.receipt(0, 130, 180);
    clock.receipt(0, 120, 175);
    clock.receipt(1, 140, 240);
    clock.receipt(2, 105, 150);
    expect(clock.times(100, 110)).toEqual([75, 140, undefined]);
    expect(ResumeClock.summary(clock.times(100, 110)).resumed).toBe(2);
  });
});

describe('#slow-consumer', () => {
  runScenario('slow-consumer');

  it('runs where the server pushes: a polling client pulls, so there is nothing to stall', () => {
    expect(steps('slow-consumer').map((s) => s.transport).sort()).toEqual(['socket-io', 'sse', 'tcp', 'ws']);
  });

  it('has the server drop the stalled client, keep its RSS within the documented bound, and serve the others everything', () => {
    for (const step of steps('slow-consumer')) {
      const slow = step.metrics.reliability!.slowConsumer!;
      expect({ id: step.id, dropped: slow.dropped, of: slow.repeats }).toEqual({ id: step.id, dropped: 1, of: 1 });
      const oneMessage = config.slowConsumerPayloadBytes + 256;
      const bound = slow.maxBufferedBytes + oneMessage + slow.logBytes!.median + RSS_SLACK_BYTES;
      expect(slow.rssPeakBytes!.median - slow.rssBeforeBytes!.median).toBeLessThanOrEqual(bound);
      expect(step.metrics.delivery).toMatchObject({ lost: 0, duplicated: 0 });
      expect(step.metrics.delivery!.expected).toBeGreaterThan(0);
      expect(step.metrics.latency!.count).toBe(step.metrics.delivery!.delivered);
      expect(step.flags.unexplainedLoss).toBe(false);
    }
  });
});

describe('#hostile', () => {
  runScenario('hostile');

  it('handles every hostile input it tried on every transport, and a normal client is served afterwards', () => {
    expect(steps('hostile')).toHaveLength(TRANSPORTS.length);
    for (const step of steps('hostile')) {
      const h = step.metrics.reliability!.hostile!;
      expect({ id: step.id, tried: h.tried, failures: h.failures }).toEqual({ id: step.id, tried: h.handled, failures: [] });
      expect(h.tried).toBeGreaterThan(0);
      expect(h.servedAfter).toBe(true);
    }
  });
});
