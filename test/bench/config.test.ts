import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../bench/config/config.ts';
import { flagOf } from '../../bench/config/options.ts';
import { PROFILES } from '../../bench/config/profiles.ts';

const ALL_TRANSPORTS = ['short-polling', 'long-polling', 'ws', 'socket-io', 'sse', 'tcp'];
const ALL_SCENARIOS = ['push', 'chat', 'rtt', 'connect', 'idle', 'capacity', 'ceiling', 'http-overhead', 'drop', 'crash', 'node-kill', 'redis-restart', 'slow-consumer', 'hostile'];
const COMMON = { feed: 'memory', nodes: [1], agents: 1, serverHost: '127.0.0.1', joinAgents: 0, joinTimeoutMs: 120_000, quiet: false, busyPoll: false, binary: false, payloadEncoding: ['text'], clientRuntime: ['node'], browserClientsPerHost: 5, wsDeflate: false, longPollTimeoutMs: 25_000, injectDelay: [], rttMs: [0], lossPercent: [0], jitterMs: 0, requestHeaders: ['minimal'], cookieBytes: 0, conditionScenarios: ALL_SCENARIOS, conditionsFirstStep: false, conditionsApart: false, socketIoTransports: ['polling-upgrade'], slaP95Ms: 500, slowConsumerPayloadBytes: 65_536, slowConsumerRate: 400, hostileMaxCaseMs: 5_000, transports: ALL_TRANSPORTS };

// The profiles as README's "Profiles" table and docs describe them: literals, not the code's own table.
const DOCUMENTED = {
  smoke: {
    ...COMMON,
    scenarios: ALL_SCENARIOS.filter((s) => s !== 'crash' && s !== 'ceiling'),
    clients: [4], rate: [200], payload: [64], rooms: 2, durationMs: 250, warmupMs: 100, repeats: 2, pollIntervalsMs: [100],
    chatRatePerClient: 20, rttRate: 100, connectClients: 10, idleClients: 10, idleMs: 300, capacityClients: [4, 12], capacityRate: 100, capacityScaleClients: [],
    ceilingClients: 4, ceilingRates: [500, 2_000], autocannonConnections: 4, stepTimeoutMs: 15_000, faultRepeats: 1, faultClients: 4,
    faultRate: 200, faultDurationMs: 400, crashDowntimeMs: 250, slowConsumerStallMs: 3_000,
    // A browser push step per transport (docs/browser-runtime.md).
    clientRuntime: ['node', 'browser'],
  },
  quick: {
    ...COMMON,
    scenarios: ALL_SCENARIOS,
    clients: [10, 50], rate: [100, 1_000], payload: [64], rooms: 2, durationMs: 250, warmupMs: 80, repeats: 3, pollIntervalsMs: [100, 1_000],
    // One realistic round trip and a browser's headers, apart, for push and connect at their first load point (docs/network.md).
    rttMs: [0, 50], requestHeaders: ['minimal', 'browser'], conditionScenarios: ['push', 'connect'], conditionsFirstStep: true, conditionsApart: true,
    socketIoTransports: ['polling-upgrade', 'websocket'], payloadEncoding: ['text', 'binary'], clientRuntime: ['node', 'browser'],
    chatRatePerClient: 10, rttRate: 200, connectClients: 100, idleClients: 100, idleMs: 250, capacityClients: [20, 100], capacityRate: 200, capacityScaleClients: [],
    ceilingClients: 10, ceilingRates: [5_000, 25_000], autocannonConnections: 10, stepTimeoutMs: 30_000, faultRepeats: 1, faultClients: 10,
    faultRate: 500, faultDurationMs: 600, crashDowntimeMs: 500, slowConsumerStallMs: 5_000,
  },
  full: {
    ...COMMON,
    scenarios: ALL_SCENARIOS,
    clients: [10, 100, 300], rate: [100, 1_000, 5_000], payload: [64, 1_024, 16_384, 65_536], rooms: 4, durationMs: 1_000, warmupMs: 300, repeats: 3, pollIntervalsMs: [100, 500, 1_000],
    chatRatePerClient: 10, rttRate: 500, connectClients: 500, idleClients: 1_000, idleMs: 3_000, capacityClients: [100, 300, 1_000], capacityRate: 500, capacityScaleClients: [10_000],
    ceilingClients: 40, ceilingRates: [2_000, 10_000], autocannonConnections: 10, stepTimeoutMs: 60_000, faultRepeats: 2, faultClients: 20,
    faultRate: 1_000, faultDurationMs: 2_000, crashDowntimeMs: 1_000, slowConsumerStallMs: 10_000,
  },
} as const;

describe('#resolveConfig', () => {
  it.each(PROFILES)('gives the %s profile its documented defaults', (profile) => {
    const config = resolveConfig(profile);
    expect(config).toEqual({ profile, ...DOCUMENTED[profile] });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('applies overrides in order, the last one winning', () => {
    const config = resolveConfig('quick', { rate: [500], repeats: 5 }, { repeats: 7, out: 'x.json' });
    expect(config).toMatchObject({ profile: 'quick', rate: [500], repeats: 7, out: 'x.json', clients: [10, 50] });
  });

  it('takes --feed memory, redis or a Redis URL, and --nodes above 1 only with a shared feed', () => {
    expect(resolveConfig('smoke', { feed: 'redis', nodes: [2] })).toMatchObject({ feed: 'redis', nodes: [2] });
    expect(resolveConfig('smoke', { feed: 'redis://10.0.0.5:6379/2' }).feed).toBe('redis://10.0.0.5:6379/2');
    expect(resolveConfig('smoke', { feed: 'unix:///tmp/redis.sock' }).feed).toBe('unix:///tmp/redis.sock');
    expect(() => resolveConfig('smoke', { feed: 'postgres://x' })).toThrow(/invalid option --feed: a Redis URL starts with redis:/);
    expect(() => resolveConfig('smoke', { feed: 'redis://h/db' })).toThrow(/invalid option --feed: .*database number/);
    expect(() => resolveConfig('smoke', { feed: 'mem' })).toThrow(/invalid option --feed: expected memory, redis or a Redis URL/);
    expect(() => resolveConfig('smoke', { nodes: [0] })).toThrow(/invalid option --nodes/);
    expect(() => resolveConfig('smoke', { nodes: [2, 2], feed: 'redis' })).toThrow(/invalid option --nodes: a node count given twice/);
    expect(resolveConfig('smoke', { nodes: [1, 2, 4], feed: 'redis' }).nodes).toEqual([1, 2, 4]);
    expect(() => resolveConfig('smoke', { joinAgents: 1 })).toThrow(/invalid option --join-agents: agents join through the feed's Redis/);
    expect(resolveConfig('smoke', { joinAgents: 2, feed: 'redis' }).joinAgents).toBe(2);
    expect(() => resolveConfig('smoke', { joinAgents: 17, feed: 'redis' })).toThrow(/invalid option --join-agents/);
    expect(resolveConfig('smoke', { serverHost: '10.0.0.5' }).serverHost).toBe('10.0.0.5');
    expect(() => resolveConfig('smoke', { serverHost: '0.0.0.0' })).toThrow(/invalid option --server-host: an IP address of this machine that clients dial/);
    expect(() => resolveConfig('smoke', { serverHost: 'example.com' })).toThrow(/invalid option --server-host/);
    expect(() => resolveConfig('smoke', { nodes: [2] })).toThrow(/invalid option --nodes: 2 server nodes must share a feed; add --feed redis/);
  });

  it('rejects a negative rate, naming --rate', () => {
    expect(() => resolveConfig('quick', { rate: [-5] })).toThrow(expect.objectContaining({ code: 'BENCH_ERR_BAD_OPTION' }));
    expect(() => resolveConfig('quick', { rate: [-5] })).toThrow(/invalid option --rate/);
  });

  it('rejects an unknown transport, naming --transports and what it accepts', () => {
    expect(() => resolveConfig('quick', { transports: ['carrier-pigeon' as 'ws'] })).toThrow(/--transports.*"ws"/);
  });

  it('names options by their command-line flags', () => {
    expect(() => resolveConfig('quick', { durationMs: 0 })).toThrow(/--duration/);
    expect(() => resolveConfig('quick', { slaP95Ms: -1 })).toThrow(/--sla\b/);
    expect(flagOf('chatRatePerClient')).toBe('--chat-rate-per-client');
  });

  it('rejects an unknown key', () => {
    expect(() => resolveConfig('quick', { nope: 1 } as never)).toThrow(/nope/);
  });
});
