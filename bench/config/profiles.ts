import { TRANSPORTS } from '../../protocol/transports.ts';
import { SCENARIOS } from '../../results/schema.ts';
import type { COMMON_DEFAULTS, OptionValues } from './options.ts';

/** The profiles: smoke (CI), quick (`npm run bench`) and full; each supplies the defaults of the run's options. */

export const PROFILES = ['smoke', 'quick', 'full'] as const;
export type ProfileName = (typeof PROFILES)[number];

/** What a profile sets: every option but the profile itself, the output file and the common defaults. */
export type ProfileDefaults = Omit<OptionValues, 'out' | 'bandwidth' | keyof typeof COMMON_DEFAULTS> & Partial<Pick<OptionValues, keyof typeof COMMON_DEFAULTS>>;

const ALL = { transports: [...TRANSPORTS], scenarios: [...SCENARIOS] };

/** Profile defaults, sized for a 2-core machine: smoke < 60 s, quick < 3 min, full < 15 min in all. */
export const PROFILE_DEFAULTS: Record<ProfileName, ProfileDefaults> = {
  smoke: {
    ...ALL,
    // crash restarts a server process per transport (~2 s each) and ceiling sweeps rates: both run in quick and
    // full, and in the test suite.
    scenarios: SCENARIOS.filter((name) => name !== 'crash' && name !== 'ceiling'),
    clients: [4],
    rate: [200],
    payload: [64],
    rooms: 2,
    durationMs: 250,
    warmupMs: 100,
    repeats: 2,
    pollIntervalsMs: [100],
    chatRatePerClient: 20,
    rttRate: 100,
    connectClients: 10,
    idleClients: 10,
    idleMs: 300,
    capacityClients: [4, 12],
    capacityRate: 100,
    capacityScaleClients: [],
    // And each transport's push step with its clients in Chromium too (raw TCP: marked not applicable). Without
    // chromium, outside CI, those steps are skipped, each naming the install command (bin/commands/run.ts).
    clientRuntime: ['node', 'browser'],
    ceilingClients: 4,
    ceilingRates: [500, 2_000],
    slaP95Ms: 500,
    autocannonConnections: 4,
    socketIoTransports: 'polling-upgrade',
    stepTimeoutMs: 15_000,
    faultRepeats: 1,
    faultClients: 4,
    faultRate: 200,
    faultDurationMs: 400,
    crashDowntimeMs: 250,
    slowConsumerPayloadBytes: 65_536,
    slowConsumerRate: 400,
    slowConsumerStallMs: 3_000,
    hostileMaxCaseMs: 5_000,
  },
  quick: {
    ...ALL,
    clients: [10, 50],
    rate: [100, 1_000],
    payload: [64],
    rooms: 2,
    // 250 ms windows after 80 ms of warm-up, and 250 ms idle (300, 100 and 600 before the real-world conditions
    // came in) keep quick within its 3 minutes.
    durationMs: 250,
    warmupMs: 80,
    repeats: 3,
    // 100 and 1,000 ms: the ends of the trade-off (full adds 500); 500 ms cost 4.6 s of quick's 3 minutes.
    pollIntervalsMs: [100, 1_000],
    chatRatePerClient: 10,
    rttRate: 200,
    connectClients: 100,
    idleClients: 100,
    idleMs: 250,
    capacityClients: [20, 100],
    capacityRate: 200,
    capacityScaleClients: [],
    ceilingClients: 10,
    ceilingRates: [5_000, 25_000],
    slaP95Ms: 500,
    autocannonConnections: 10,
    // Socket.IO's websocket-only mode too, for push and connect at their first load point (the conditions below).
    socketIoTransports: ['polling-upgrade', 'websocket'],
    // And binary payloads, for push at its first load point (6 steps).
    payloadEncoding: ['text', 'binary'],
    // And the clients in Chromium, for push at its first load point (5 steps; raw TCP marked not applicable):
    // skipped, naming the install command, where chromium is missing outside CI (bin/commands/run.ts).
    clientRuntime: ['node', 'browser'],
    // One realistic round trip and a browser's headers, each apart, for push and connect at their first load
    // point: what `npm run bench` shows of real-world conditions (docs/network.md) within its 3 minutes.
    rttMs: [0, 50],
    requestHeaders: ['minimal', 'browser'],
    conditionScenarios: ['push', 'connect'],
    conditionsFirstStep: true,
    conditionsApart: true,
    stepTimeoutMs: 30_000,
    faultRepeats: 1,
    faultClients: 10,
    faultRate: 500,
    faultDurationMs: 600,
    crashDowntimeMs: 500,
    slowConsumerPayloadBytes: 65_536,
    slowConsumerRate: 400,
    slowConsumerStallMs: 5_000,
    hostileMaxCaseMs: 5_000,
  },
  full: {
    ...ALL,
    clients: [10, 100, 300],
    rate: [100, 1_000, 5_000],
    // The payload sweep runs at the first rate and client count (push.ts): 3 more push steps per transport.
    payload: [64, 1_024, 16_384, 65_536],
    rooms: 4,
    durationMs: 1_000,
    warmupMs: 300,
    repeats: 3,
    pollIntervalsMs: [100, 500, 1_000],
    chatRatePerClient: 10,
    rttRate: 500,
    connectClients: 500,
    idleClients: 1_000,
    idleMs: 3_000,
    capacityClients: [100, 300, 1_000],
    capacityRate: 500,
    // 10,000 connections at one message per client per second (websocket-shootout's and Lubbers & Greco's regime).
    capacityScaleClients: [10_000],
    ceilingClients: 40,
    ceilingRates: [2_000, 10_000],
    slaP95Ms: 500,
    autocannonConnections: 10,
    socketIoTransports: 'polling-upgrade',
    stepTimeoutMs: 60_000,
    faultRepeats: 2,
    faultClients: 20,
    faultRate: 1_000,
    faultDurationMs: 2_000,
    crashDowntimeMs: 1_000,
    slowConsumerPayloadBytes: 65_536,
    slowConsumerRate: 400,
    slowConsumerStallMs: 10_000,
    hostileMaxCaseMs: 5_000,
  },
};
