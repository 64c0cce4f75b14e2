import { z } from 'zod';
import { TRANSPORTS } from '../../protocol/message.ts';
import { SCENARIOS } from '../../results/schema.ts';

/**
 * Every option of `transport-bench run`, declared once with its default and unit, validated once (zod),
 * then frozen. A profile supplies the defaults; the config file and the command line override them.
 */

export const PROFILES = ['smoke', 'quick', 'full'] as const;
export type ProfileName = (typeof PROFILES)[number];

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

export const configSchema = z
  .object({
    profile: z.enum(PROFILES),
    /** Transports to measure. */
    transports: z.array(z.enum(TRANSPORTS)).min(1),
    /** Scenarios to run. */
    scenarios: z.array(z.enum(SCENARIOS)).min(1),
    /** Subscriber counts (push) / client counts (chat, rtt); a list is a sweep. */
    clients: z.array(positiveInt).min(1),
    /** Publish rates, messages/s over all rooms (push); a list is a sweep. */
    rate: z.array(positiveInt).min(1),
    /** Payload sizes, bytes; a list is a sweep. */
    payload: z.array(nonNegativeInt).min(1),
    /** Rooms the clients are spread over. */
    rooms: positiveInt,
    /** Measured window of each repeat, ms. */
    durationMs: positiveInt,
    /** Warm-up before each measured window, ms (excluded from every figure). */
    warmupMs: nonNegativeInt,
    /** Repeats per step; figures are the median with min–max across repeats. */
    repeats: positiveInt,
    /** Short-polling intervals to measure, ms. */
    pollIntervalsMs: z.array(positiveInt).min(1),
    /** Chat: messages/s sent by each client. */
    chatRatePerClient: z.number().positive(),
    /** rtt: round trips per second per client (open loop). */
    rttRate: positiveInt,
    /** connect: clients in one connection storm. */
    connectClients: positiveInt,
    /** idle: connections held idle. */
    idleClients: positiveInt,
    /** idle: how long they are held, ms. */
    idleMs: positiveInt,
    /** capacity: client counts tried in order until the SLA fails. */
    capacityClients: z.array(positiveInt).min(1),
    /** capacity: publish rate during each capacity step, messages/s. */
    capacityRate: positiveInt,
    /** capacity: the SLA, p95 latency in ms. */
    slaP95Ms: z.number().positive(),
    /** http-overhead: autocannon connections. */
    autocannonConnections: positiveInt,
    /** Socket.IO: 'polling-upgrade' (default handshake) or 'websocket' only. */
    socketIoTransports: z.enum(['polling-upgrade', 'websocket']),
    /** A step that has not finished after this long is errored, ms. */
    stepTimeoutMs: positiveInt,
    /** Fault scenarios (drop, crash, slow-consumer, hostile): repeats per step, in place of `repeats`. */
    faultRepeats: positiveInt,
    /** drop, crash, slow-consumer: clients (slow-consumer: one of them stalls). */
    faultClients: positiveInt,
    /** drop, crash, slow-consumer: publish rate to the clients' rooms, messages/s over all rooms. */
    faultRate: positiveInt,
    /** drop, crash: publishing time around the fault, ms (drop: the drop comes after a third; crash: half before, half after). */
    faultDurationMs: positiveInt,
    /** crash: from the SIGKILL until the replacement process listens on the same port, ms. */
    crashDowntimeMs: nonNegativeInt,
    /** slow-consumer: payload of the messages sent to the stalled client's own room, bytes. */
    slowConsumerPayloadBytes: positiveInt,
    /** slow-consumer: messages/s sent to the stalled client's room. */
    slowConsumerRate: positiveInt,
    /** slow-consumer: the longest the client stays stalled waiting for the server to drop it, ms. */
    slowConsumerStallMs: positiveInt,
    /** hostile: corpus cases that need longer than this are skipped (slowloris cases need requestTimeoutMs), ms. */
    hostileMaxCaseMs: positiveInt,
    /** Where to write the results file (default results/<timestamp>.json plus results/latest.json). */
    out: z.string().min(1).optional(),
    /** No progress bars; plain lines only. */
    quiet: z.boolean(),
    /** Keep the load process's event loop from sleeping, so idle-CPU wake-ups stay out of latency (bench/run/busy-poll.ts). */
    busyPoll: z.boolean(),
  })
  .strict();

export type ResolvedConfig = Readonly<z.infer<typeof configSchema>>;
export type ConfigInput = Partial<z.input<typeof configSchema>>;

const ALL = { transports: [...TRANSPORTS], scenarios: [...SCENARIOS] };

/** Profile defaults, sized for a 2-core machine: smoke < 60 s, quick < 3 min, full < 15 min in all. */
export const PROFILE_DEFAULTS: Record<ProfileName, Omit<z.input<typeof configSchema>, 'profile' | 'out' | 'quiet' | 'busyPoll'>> = {
  smoke: {
    ...ALL,
    // crash restarts a server process per transport (~2 s each): it runs in quick and full, and in the test suite.
    scenarios: SCENARIOS.filter((name) => name !== 'crash'),
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
    durationMs: 300,
    warmupMs: 100,
    repeats: 3,
    pollIntervalsMs: [100, 500, 1_000],
    chatRatePerClient: 10,
    rttRate: 200,
    connectClients: 100,
    idleClients: 100,
    idleMs: 600,
    capacityClients: [20, 100],
    capacityRate: 200,
    slaP95Ms: 500,
    autocannonConnections: 10,
    socketIoTransports: 'polling-upgrade',
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
    payload: [64],
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

/** An option that failed validation, named as the user typed it. */
export class ConfigError extends Error {
  readonly code = 'BENCH_ERR_BAD_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The command-line spelling of a config key (durationMs → --duration). */
export const OPTION_FLAGS: Partial<Record<keyof ResolvedConfig, string>> = {
  durationMs: '--duration',
  warmupMs: '--warmup',
  payload: '--payload',
  pollIntervalsMs: '--poll-intervals',
  stepTimeoutMs: '--step-timeout',
  slaP95Ms: '--sla',
};

/** The command-line flag of a config key: its OPTION_FLAGS spelling, else the key in kebab case. */
export function flagOf(key: string): string {
  return OPTION_FLAGS[key as keyof ResolvedConfig] ?? `--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
}

/** Merges profile defaults, then `overrides` (config file, then command line), validates and freezes. */
export function resolveConfig(profile: ProfileName, ...overrides: ConfigInput[]): ResolvedConfig {
  const merged = Object.assign({ profile, quiet: false, busyPoll: false }, PROFILE_DEFAULTS[profile], ...overrides);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    const flag = key ? flagOf(key) : 'config';
    const where = issue.path.length > 1 ? ` (item ${String(issue.path[1])})` : '';
    throw new ConfigError(`invalid option ${flag}${where}: ${issue.message}`);
  }
  return Object.freeze(parsed.data);
}
