import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../bench/config/config.ts';
import type { RepeatMeasurement } from '../../bench/measure/repeat-measurement.ts';
import { buildPlan } from '../../bench/run/plan.ts';
import type { RepeatContext, ScenarioName, StepPlan } from '../../bench/scenarios/scenario.ts';
import { SCENARIO_REGISTRY } from '../../bench/scenarios/registry.ts';
import { chatPayload, parseChatPayload } from '../../bench/scenarios/chat-payload.ts';
import { summariseStep } from '../../bench/measure/summarise.ts';
import { FAULT_SCENARIOS, metricsSchema, SCENARIOS, type LatencyMetrics, type StepMetrics } from '../../results/schema.ts';
import { TRANSPORTS, type TransportName } from '../../protocol/transports.ts';
import { startResourceWindow, type ResourceWindow } from '../../servers/resource-sampler.ts';
import { InProcessServer } from '../helpers/in-process-server.ts';

// A small configuration: a few clients, short windows, so every scenario × transport fits in seconds.
const config = resolveConfig('smoke', {
  clients: [3],
  rate: [100],
  payload: [32],
  rooms: 2,
  durationMs: 150,
  warmupMs: 50,
  pollIntervalsMs: [50],
  chatRatePerClient: 20,
  rttRate: 50,
  connectClients: 4,
  idleClients: 3,
  idleMs: 200,
  capacityClients: [2, 4],
  capacityRate: 50,
  ceilingClients: 3,
  ceilingRates: [50, 100],
  // The searches' mechanics, not this shared machine's speed: a half-second stall while other test files load
  // both cores is no SLA failure at these loads, but it would cross smoke's 500 ms in a 150 ms window.
  slaP95Ms: 5_000,
  autocannonConnections: 2,
  socketIoTransports: 'polling-upgrade',
});

const servers = new Set<InProcessServer>();
afterAll(async () => {
  await Promise.all([...servers].map((s) => s.close()));
});

function context(step: StepPlan, server: InProcessServer): RepeatContext {
  let window: ResourceWindow | undefined;
  return {
    step,
    params: SCENARIO_REGISTRY[step.scenario].params.parse(step.params),
    server,
    warmupMs: config.warmupMs,
    durationMs: config.durationMs,
    signal: new AbortController().signal,
    progress: () => {},
    generator: {
      start: () => void (window = startResourceWindow()),
      end: () => (window ?? startResourceWindow()).end(),
    },
  };
}

async function runStep(step: StepPlan): Promise<RepeatMeasurement> {
  const server = await InProcessServer.start(step.server);
  servers.add(server);
  try {
    return await SCENARIO_REGISTRY[step.scenario].runRepeat(context(step, server));
  } finally {
    servers.delete(server);
    await server.close();
  }
}

function expectOrdered(latency: LatencyMetrics | undefined): void {
  expect(latency).toBeDefined();
  expect(latency!.count).toBeGreaterThan(0);
  expect(latency!.p50.median).toBeLessThanOrEqual(latency!.p99.median);
  expect(latency!.p99.median).toBeLessThanOrEqual(latency!.max.median);
}

/** The checks every measured step must pass, whatever the scenario: nothing lost, doubled or reordered, no flag, bytes that add up. */
function expectConsistent(step: StepPlan, repeat: RepeatMeasurement) {
  const summary = summariseStep(step, [repeat]);
  expect(metricsSchema.safeParse(summary.metrics).success).toBe(true);
  // generatorSaturated is not asserted here: in these tests the server runs inside the load process and other
  // test files share the 2 cores, so the load process's CPU says little (the runner's tests check the flag).
  expect(summary.flags.unexplainedLoss).toBe(false);
  const { delivery, bytesPerMessage } = summary.metrics;
  if (delivery) {
    expect(delivery.expected).toBeGreaterThan(0);
    expect({ lost: delivery.lost, duplicated: delivery.duplicated, outOfOrder: delivery.outOfOrder }).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(delivery.delivered).toBe(delivery.expected);
  }
  if (bytesPerMessage) {
    expect(bytesPerMessage.payload).toBe(step.params.payloadBytes);
    expect(bytesPerMessage.payload + bytesPerMessage.envelope + bytesPerMessage.transport.median).toBeCloseTo(bytesPerMessage.total.median, 6);
  }
  for (const name of ['latency', 'latencyUncorrected', 'schedulerLag', 'echo'] as const) {
    if (summary.metrics[name]) expectOrdered(summary.metrics[name]);
  }
  return summary;
}

/**
 * A search at loads far below any limit: every value passes, in order, with nothing lost. The one way it may
 * stop early is the load process's own saturation (here the server shares the test process and other test
 * files share the cores), never the SLA or a loss.
 */
function expectSearch(search: NonNullable<StepMetrics['capacity']>, values: number[]): void {
  const tried = search.steps.map((s) => s.value);
  expect(values.slice(0, tried.length)).toEqual(tried);
  expect(search.steps.every((s) => s.lost === 0)).toBe(true);
  const passed = search.steps.filter((s) => s.passed).map((s) => s.value);
  if (passed.length === values.length) {
    expect(search.stoppedBy).toBeNull();
  } else {
    expect(search.stoppedBy).toBe('generator');
    expect(passed).toEqual(values.slice(0, passed.length));
  }
  expect(search.lastPassing).toBe(passed.length > 0 ? passed[passed.length - 1] : null);
}

const supported = (scenario: ScenarioName): TransportName[] => TRANSPORTS.filter((t) => SCENARIO_REGISTRY[scenario].plan(config, t).length > 0);

describe('#SCENARIO_REGISTRY', () => {
  it('has every scenario under its own name', () => {
    expect(Object.keys(SCENARIO_REGISTRY).sort()).toEqual([...SCENARIOS].sort());
    for (const name of SCENARIOS) expect(SCENARIO_REGISTRY[name].name).toBe(name);
  });

  it('plans every transport for every scenario except http-overhead over raw TCP and slow-consumer over polling; node-kill and redis-restart only on a feed in Redis', () => {
    for (const name of SCENARIOS) {
      const expected =
        name === 'http-overhead' ? TRANSPORTS.filter((t) => t !== 'tcp') : name === 'slow-consumer' ? TRANSPORTS.filter((t) => !t.endsWith('polling')) : name === 'node-kill' || name === 'redis-restart' ? [] : [...TRANSPORTS];
      expect(supported(name)).toEqual(expected);
    }
    // node-kill needs a node to lose and one to move to; redis-restart a Redis the run started (never a --feed URL).
    const shared = resolveConfig('smoke', { nodes: [2], feed: 'redis' });
    for (const name of ['node-kill', 'redis-restart'] as const) expect(TRANSPORTS.filter((t) => SCENARIO_REGISTRY[name].plan(shared, t).length > 0)).toEqual([...TRANSPORTS]);
    expect(TRANSPORTS.filter((t) => SCENARIO_REGISTRY['node-kill'].plan(resolveConfig('smoke', { feed: 'redis' }), t).length > 0)).toEqual([]);
    expect(TRANSPORTS.filter((t) => SCENARIO_REGISTRY['redis-restart'].plan(resolveConfig('smoke', { feed: 'redis://127.0.0.1:6379' }), t).length > 0)).toEqual([]);
  });

  it("plans the full profile's capacity at 10,000 clients, one message per client per second, for all but short polling, with a budget to connect them", () => {
    const full = resolveConfig('full');
    for (const transport of TRANSPORTS) {
      const steps = SCENARIO_REGISTRY.capacity.plan(full, transport);
      const scale = steps.filter((s) => s.params.clients === '10000');
      expect(scale, transport).toHaveLength(transport === 'short-polling' ? 0 : 1);
      for (const step of scale) {
        expect(step.params.rate).toBe(step.params.rooms);
        expect(step.timeoutMs).toBeGreaterThanOrEqual(200_000);
      }
    }
    expect(buildPlan(full, SCENARIO_REGISTRY).find((s) => s.id === 'capacity/ws/rate=4/sla=500')?.timeoutMs).toBe(200_000);
    expect(SCENARIO_REGISTRY.capacity.plan(resolveConfig('quick'), 'ws')).toHaveLength(1);
  });

  it('gives every step a unique id naming its scenario, transport and parameters', () => {
    const full = resolveConfig('full');
    const ids = buildPlan(full, SCENARIO_REGISTRY).map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('push/ws/rate=1000/clients=10/payload=64');
    expect(ids).toContain('push/short-polling/rate=100/clients=10/payload=64/poll=500');
    expect(ids).toContain('push/short-polling/rate=1000/clients=10/payload=64/poll=100');
  });

  it('sweeps push over rate × clients, payloads at the first rate and client count, and poll intervals for short polling at the first load point', () => {
    const full = resolveConfig('full');
    const n = full.rate.length * full.clients.length + full.payload.length - 1;
    expect(SCENARIO_REGISTRY.push.plan(full, 'ws')).toHaveLength(n);
    expect(SCENARIO_REGISTRY.push.plan(full, 'short-polling')).toHaveLength(n + full.pollIntervalsMs.length - 1);
  });
});

describe('#chatPayload', () => {
  it('carries the intended and actual send times and pads to the size', () => {
    const payload = chatPayload(1234.4, 1240.6, 40);
    expect(payload).toHaveLength(40);
    expect(parseChatPayload(payload)).toEqual({ intendedUs: 1234, sentUs: 1241 });
  });

  it('ignores a payload without times', () => {
    expect(parseChatPayload('ABCdef')).toBeUndefined();
  });
});

// The fault scenarios kill and restart server processes: test/fault-scenarios.test.ts runs them through the runner.
for (const scenario of SCENARIOS.filter((s) => !(FAULT_SCENARIOS as readonly string[]).includes(s))) {
  describe(`#${scenario}`, () => {
    for (const transport of supported(scenario)) {
      it(`measures ${transport}`, async () => {
        const step = buildPlan({ ...config, transports: [transport], scenarios: [scenario] }, SCENARIO_REGISTRY)[0]!;
        const repeat = await runStep(step);
        const { metrics } = expectConsistent(step, repeat);
        switch (scenario) {
          case 'push':
          case 'chat':
          case 'rtt':
            expect(metrics.delivery!.delivered).toBeGreaterThan(0);
            expect(metrics.bytesPerMessage).toBeDefined();
            expectOrdered(metrics.latency);
            expect(metrics.publishedPerSec!.median).toBeGreaterThan(0);
            if (transport === 'short-polling' && scenario === 'push') expect(metrics.emptyPollShare).toBeDefined();
            // rtt also times the echo: every acknowledged message came back through the subscription.
            if (scenario === 'rtt') expect(metrics.echo!.count).toBe(metrics.delivery!.delivered);
            break;
          case 'connect':
            expect(metrics.setup?.time?.count).toBe(config.connectClients);
            expect(metrics.setup!.bytes.median).toBeGreaterThan(0);
            // Counted up to the replayed primer, a ws or raw TCP set-up is the same bytes every repeat (but for
            // a digit more or less in the primer's times), whether the primer's frame came in the handshake
            // answer's read or the next one (a ~120 B difference).
            if (transport === 'ws' || transport === 'tcp') expect(metrics.setup!.bytes.max - metrics.setup!.bytes.min).toBeLessThanOrEqual(8);
            break;
          case 'idle':
            expect(metrics.memoryPerConnectionBytes).toBeDefined();
            // No ping within 200 ms on a ws connection (ws pings every 30 s), so an idle ws connection costs nothing.
            if (transport === 'ws') expect(metrics.idleBytesPerConnectionPerMin!.median).toBe(0);
            if (transport === 'short-polling') expect(metrics.idleBytesPerConnectionPerMin!.median).toBeGreaterThan(0);
            break;
          case 'capacity': {
            const cap = metrics.capacity!;
            expect(cap.dimension).toBe('clients');
            expectSearch(cap, [2, 4]);
            break;
          }
          case 'ceiling': {
            // 3 clients at 50 then 100 messages/s: far below any limit.
            const ceiling = metrics.capacity!;
            expect(ceiling.dimension).toBe('rate');
            expectSearch(ceiling, [50, 100]);
            // 50 or 100 messages/s over 2 rooms reaching 3 clients: 75 or 150 deliveries/s, less what the short window's edges cut.
            if (ceiling.lastPassing !== null) {
              expect(ceiling.deliveredPerSec).toBeGreaterThan(0.6 * 1.5 * ceiling.lastPassing);
              expect(ceiling.deliveredPerSec).toBeLessThanOrEqual(1.6 * ceiling.lastPassing);
            } else {
              expect(ceiling.deliveredPerSec).toBeNull();
            }
            break;
          }
          case 'http-overhead':
            expect(metrics.requestsPerSec!.median).toBeGreaterThan(0);
            expect(metrics.autocannon!.requestsPerSec.median).toBeGreaterThan(0);
            expect(metrics.autocannon!.route).toBe(step.params.route === 'poll' ? 'GET /poll' : 'POST /publish');
            break;
        }
      });
    }
  });
}
