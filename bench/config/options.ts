import { isIP } from 'node:net';
import { z } from 'zod';
import { readHeaderSet } from '../../clients/request-headers.ts';
import { DEFAULT_LIMITS } from '../../protocol/limits.ts';
import { parseFeedSpec } from '../../protocol/feed-spec.ts';
import { TRANSPORTS } from '../../protocol/transports.ts';
import { SCENARIOS } from '../../results/schema.ts';
import { DEFAULT_CLIENTS_PER_HOST } from '../browser/clients-per-host.ts';

/**
 * Every option of `transport-bench run`, declared once: its schema (validated once, by resolveConfig), how
 * the command line spells and reads it, and the words of its --help. A profile (profiles.ts) supplies the
 * defaults of most; a --config file and the command line override them.
 */

export type OptionKind = 'numbers' | 'number' | 'strings' | 'string' | 'boolean';

export interface OptionSpec {
  readonly schema: z.ZodType;
  /** How the command line reads the value: a comma-separated list of numbers, one number, … */
  readonly kind: OptionKind;
  /** What the option means, for --help. */
  readonly help: string;
  /** What it accepts, for --help and error messages. */
  readonly accepts: string;
  /** The flag when it is not the key in kebab case (durationMs → --duration). */
  readonly flag?: string;
}

const positiveInt = z.number().int().positive();

/** --request-headers: minimal, browser, or a header set file that reads and checks (clients/request-headers.ts). */
function checkHeaderSet(value: string, ctx: z.RefinementCtx): void {
  if (value === 'minimal' || value === 'browser') return;
  try {
    readHeaderSet(value, value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not minimal, browser or a readable header set file: ${(error as Error).message}` });
  }
}
/** --feed: memory, redis or a Redis URL (protocol/feed-spec.ts). */
function checkFeedSpec(value: string, ctx: z.RefinementCtx): void {
  try {
    parseFeedSpec(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
}
/** A rate as tc spells it: bit/kbit/mbit/gbit are bits per second, bps/kbps/mbps/gbps bytes per second. */
export const BANDWIDTH_PATTERN = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/i;
const nonNegativeInt = z.number().int().nonnegative();

export const RUN_OPTIONS = {
  transports: { schema: z.array(z.enum(TRANSPORTS)).min(1), kind: 'strings', help: 'transports to measure', accepts: `a comma-separated list of ${TRANSPORTS.join(', ')}` },
  scenarios: { schema: z.array(z.enum(SCENARIOS)).min(1), kind: 'strings', help: 'scenarios to run', accepts: `a comma-separated list of ${SCENARIOS.join(', ')}` },
  clients: { schema: z.array(positiveInt).min(1), kind: 'numbers', help: 'subscriber/client counts (a list is a sweep)', accepts: 'positive integers, comma-separated, e.g. 10,50' },
  rate: { schema: z.array(positiveInt).min(1), kind: 'numbers', help: 'push: publish rates, messages/s over all rooms (a list is a sweep)', accepts: 'positive integers, comma-separated, e.g. 100,1000' },
  payload: { schema: z.array(nonNegativeInt).min(1), kind: 'numbers', help: 'payload sizes, bytes (a list is a sweep)', accepts: 'non-negative integers, comma-separated, e.g. 64,1024' },
  wsDeflate: { schema: z.boolean(), kind: 'boolean', help: "ws: permessage-deflate on, server and client (ws's defaults: messages from 1 KiB compressed, a zlib context per connection)", accepts: 'no value' },
  binary: { schema: z.boolean(), kind: 'boolean', help: 'binary payloads in every step: binary frames over ws and Socket.IO, base64 over the text transports (--payload-encoding binary)', accepts: 'no value' },
  payloadEncoding: {
    // One encoding, or a list: the first is every step's, the others are swept like --rtt where the payload
    // matters (push steps the --condition-scenarios reach).
    schema: z.array(z.enum(['text', 'binary'])).min(1).refine((kinds) => new Set(kinds).size === kinds.length, 'an encoding given twice'),
    kind: 'strings',
    help: 'payload encoding: text, or binary (binary frames over ws and Socket.IO, base64 over the text transports); a list measures the others too, in push steps the condition sweeps reach',
    accepts: 'text or binary, comma-separated',
  },
  clientRuntime: {
    // One runtime, or a list: the first is every step's, the others a variant of the steps the condition sweeps reach.
    schema: z.array(z.enum(['node', 'browser'])).min(1).refine((kinds) => new Set(kinds).size === kinds.length, 'a runtime given twice'),
    kind: 'strings',
    help: "where the clients run: node, or browser (in Debian's chromium, through playwright-core: push only for now; raw TCP is not applicable); a list measures the others too, in push steps the condition sweeps reach",
    accepts: 'node or browser, comma-separated',
  },
  browserClientsPerHost: {
    schema: z.number().int().min(1).max(1_000),
    kind: 'number',
    help: 'browser clients: how many share one host name (c<N>.localhost); Chromium opens at most 6 HTTP/1.1 connections per host, so above 6 polls and streams queue, and the step says how long',
    accepts: 'an integer from 1 to 1000',
  },
  rooms: { schema: positiveInt, kind: 'number', help: 'rooms the clients are spread over (at most one per client)', accepts: 'a positive integer' },
  durationMs: { schema: positiveInt, kind: 'number', help: 'measured window of each repeat, ms', accepts: 'a positive integer (ms)', flag: '--duration' },
  warmupMs: { schema: nonNegativeInt, kind: 'number', help: 'warm-up before each measured window, ms', accepts: 'a non-negative integer (ms)', flag: '--warmup' },
  repeats: { schema: positiveInt, kind: 'number', help: 'repeats per step (figures are medians with min–max)', accepts: 'a positive integer' },
  pollIntervalsMs: { schema: z.array(positiveInt).min(1), kind: 'numbers', help: 'short-polling intervals, ms', accepts: 'positive integers (ms), comma-separated', flag: '--poll-intervals' },
  longPollTimeoutMs: { schema: positiveInt, kind: 'number', help: 'long polling: how long a poll is held before it answers empty, ms', accepts: 'a positive integer (ms)', flag: '--long-poll-timeout' },
  chatRatePerClient: { schema: z.number().positive(), kind: 'number', help: 'chat: messages/s sent by each client', accepts: 'a positive number' },
  rttRate: { schema: positiveInt, kind: 'number', help: 'rtt: round trips/s per client', accepts: 'a positive integer' },
  connectClients: { schema: positiveInt, kind: 'number', help: 'connect: clients in one connection storm', accepts: 'a positive integer' },
  idleClients: { schema: positiveInt, kind: 'number', help: 'idle: connections held idle', accepts: 'a positive integer' },
  idleMs: { schema: positiveInt, kind: 'number', help: 'idle: how long they are held, ms', accepts: 'a positive integer (ms)' },
  capacityClients: { schema: z.array(positiveInt).min(1), kind: 'numbers', help: 'capacity: client counts tried in order until the SLA fails', accepts: 'positive integers, comma-separated' },
  capacityRate: { schema: positiveInt, kind: 'number', help: 'capacity: publish rate during each capacity step, messages/s', accepts: 'a positive integer' },
  capacityScaleClients: {
    schema: z.array(positiveInt),
    kind: 'numbers',
    help: 'capacity at scale: a second capacity step at one message per client per second (the rate is the room count), trying these client counts; not for short polling (10 polls a second per client); empty: none',
    accepts: 'positive integers, comma-separated (e.g. 10000)',
  },
  ceilingClients: { schema: positiveInt, kind: 'number', help: 'ceiling: subscribers, fixed while the rate rises', accepts: 'a positive integer' },
  ceilingRates: { schema: z.array(positiveInt).min(1), kind: 'numbers', help: 'ceiling: publish rates tried in order until the SLA fails or a message is lost, messages/s over all rooms', accepts: 'positive integers, comma-separated' },
  slaP95Ms: { schema: z.number().positive(), kind: 'number', help: 'capacity and ceiling: the SLA, p95 latency, ms', accepts: 'a positive number (ms)', flag: '--sla' },
  autocannonConnections: { schema: positiveInt, kind: 'number', help: 'http-overhead: autocannon connections', accepts: 'a positive integer' },
  socketIoTransports: {
    // One mode, or a list: the first is Socket.IO's mode in every step, the others are swept like --rtt (they
    // reach the --condition-scenarios). A config file may still give one mode as a string.
    schema: z.preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(z.enum(['polling-upgrade', 'websocket'])).min(1).refine((modes) => new Set(modes).size === modes.length, 'a mode given twice')),
    kind: 'strings',
    help: 'Socket.IO transports: polling-upgrade (its default handshake) or websocket only; a list measures the others too, where the condition sweeps reach',
    accepts: 'polling-upgrade or websocket, comma-separated',
  },
  feed: {
    schema: z.string().superRefine(checkFeedSpec),
    kind: 'string',
    help: "where the feed lives: memory (each server process's own), redis (a private redis-server the run starts and stops; Debian's redis-server package), or a Redis URL, shared by a transport's server nodes",
    accepts: 'memory, redis, redis://host:port[/db], rediss://… or unix:///path/redis.sock',
  },
  nodes: {
    schema: z.array(z.number().int().min(1).max(16)).min(1).refine((list) => new Set(list).size === list.length, 'a node count given twice'),
    kind: 'numbers',
    help: 'server processes per transport, sharing the feed (more than 1 needs --feed redis); clients are spread over them, client i on node i mod N; a list is a sweep (every step at each count)',
    accepts: 'integers from 1 to 16, comma-separated, e.g. 1,2,4',
  },
  agents: {
    schema: z.number().int().min(1).max(16),
    kind: 'number',
    help: "load agents: the Node clients of push, capacity, ceiling, chat and idle run in this many `transport-bench agent` processes, each a contiguous slice of the clients, their histograms merged exactly (1: in the run's own process)",
    accepts: 'an integer from 1 to 16',
  },
  serverHost: {
    schema: z.string().refine((host) => isIP(host) !== 0 && host !== '0.0.0.0' && host !== '::', 'an IP address of this machine that clients dial, e.g. 127.0.0.1 or a LAN address (not 0.0.0.0 or ::)'),
    kind: 'string',
    help: "the address every server listens on and every client dials: loopback by default; an address of this machine that other hosts reach lets agents there (--join-agents) connect. The network conditions' proxies (--rtt, --loss) and Chromium stay on this machine",
    accepts: 'an IP address of this machine',
    flag: '--server-host',
  },
  joinAgents: {
    schema: z.number().int().min(0).max(16),
    kind: 'number',
    help: "load agents started elsewhere with `transport-bench agent --join <redis-url>` (another host, or this one), which the run waits for and which join it through the feed's Redis (needs --feed redis or a Redis URL); they hold clients as --agents' do, their clocks mapped onto the run's by a measured offset (0: none)",
    accepts: 'an integer from 0 to 16',
  },
  joinTimeoutMs: { schema: positiveInt, kind: 'number', help: '--join-agents: how long the run waits for its agents to join, ms', accepts: 'a positive integer (ms)', flag: '--join-timeout' },
  stepTimeoutMs: { schema: positiveInt, kind: 'number', help: 'a step not finished after this long is errored, ms', accepts: 'a positive integer (ms)', flag: '--step-timeout' },
  faultRepeats: { schema: positiveInt, kind: 'number', help: 'fault scenarios (drop, crash, slow-consumer, hostile): repeats per step', accepts: 'a positive integer' },
  faultClients: { schema: positiveInt, kind: 'number', help: 'drop, crash, slow-consumer: clients (slow-consumer: one of them stalls)', accepts: 'a positive integer' },
  faultRate: { schema: positiveInt, kind: 'number', help: 'drop, crash, slow-consumer: publish rate, messages/s over all rooms', accepts: 'a positive integer' },
  faultDurationMs: { schema: positiveInt, kind: 'number', help: 'drop, crash: publishing time around the fault, ms', accepts: 'a positive integer (ms)' },
  crashDowntimeMs: { schema: nonNegativeInt, kind: 'number', help: 'crash: SIGKILL to the replacement listening, ms', accepts: 'a non-negative integer (ms)' },
  slowConsumerPayloadBytes: { schema: positiveInt, kind: 'number', help: "slow-consumer: payload of the stalled client's messages, bytes", accepts: 'a positive integer' },
  slowConsumerRate: { schema: positiveInt, kind: 'number', help: "slow-consumer: messages/s to the stalled client's room", accepts: 'a positive integer' },
  slowConsumerStallMs: { schema: positiveInt, kind: 'number', help: 'slow-consumer: longest stall waiting for the server to drop the client, ms', accepts: 'a positive integer (ms)' },
  hostileMaxCaseMs: { schema: positiveInt, kind: 'number', help: 'hostile: skip corpus cases that need longer than this, ms', accepts: 'a positive integer (ms)' },
  out: { schema: z.string().min(1).optional(), kind: 'string', help: 'write the results here instead of results/<timestamp>.json and results/latest.json', accepts: 'a file path' },
  quiet: { schema: z.boolean(), kind: 'boolean', help: 'no progress bars: one plain line per step', accepts: 'no value' },
  injectDelay: {
    schema: z.array(z.string().regex(new RegExp(`^(${TRANSPORTS.join('|')})=\\d+(\\.\\d+)?$`), 'expected transport=ms, e.g. ws=2')),
    kind: 'strings',
    help: "test only: delay one transport's deliveries on purpose, to see compare's latency gate catch it (not in step ids; recorded in results.method)",
    accepts: 'transport=ms pairs, comma-separated, e.g. ws=2',
  },
  rttMs: {
    schema: z.array(z.number().nonnegative().max(10_000)).min(1),
    kind: 'numbers',
    help: 'network: round-trip time added between clients and servers by the delay proxy, ms (a list is a sweep; 0: straight to loopback)',
    accepts: 'numbers from 0 to 10000 (ms), comma-separated, e.g. 0,40',
    flag: '--rtt',
  },
  lossPercent: {
    schema: z.array(z.number().nonnegative().max(50)).min(1),
    kind: 'numbers',
    help: 'network: packets dropped at random on the clients\' side, percent, real TCP loss in a network namespace with iptables (root; a list is a sweep; 0: none)',
    accepts: 'numbers from 0 to 50 (percent), comma-separated, e.g. 0,1',
    flag: '--loss',
  },
  jitterMs: { schema: z.number().nonnegative().max(5_000), kind: 'number', help: 'network: ± jitter around each direction\'s delay, ms (never reorders a connection\'s bytes)', accepts: 'a number from 0 to 5000 (ms)', flag: '--jitter' },
  bandwidth: {
    schema: z
      .string()
      .regex(BANDWIDTH_PATTERN, 'expected a number and a unit: bit, kbit, mbit, gbit (bits/s) or bps, kbps, mbps, gbps (bytes/s), e.g. 10mbit')
      .refine((value) => Number(BANDWIDTH_PATTERN.exec(value)?.[1]) > 0, 'a rate must be above 0')
      .optional(),
    kind: 'string',
    help: 'network: what each direction of each connection carries, as tc spells rates (10mbit = 10 megabits/s, 1mbps = 1 megabyte/s)',
    accepts: 'a rate such as 10mbit, 512kbit or 1mbps',
  },
  requestHeaders: {
    schema: z.array(z.string().min(1).superRefine(checkHeaderSet)).min(1),
    kind: 'strings',
    help: "headers the HTTP clients send beyond their own: minimal (none), browser (Debian's chromium's, clients/browser-headers.json) or a JSON file of that shape (a list is a sweep)",
    accepts: 'minimal, browser or a file path, comma-separated',
  },
  cookieBytes: { schema: z.number().int().nonnegative().max(65_536), kind: 'number', help: 'a Cookie header of this many bytes on every HTTP request and upgrade (0: none)', accepts: 'an integer from 0 to 65536' },
  conditionScenarios: {
    schema: z.array(z.enum(SCENARIOS)).min(1),
    kind: 'strings',
    help: 'scenarios the --rtt, --loss, --request-headers, --cookie-bytes, --socket-io-transports, --payload-encoding and --client-runtime sweeps apply to (the others run once, on loopback with minimal headers)',
    accepts: `a comma-separated list of ${SCENARIOS.join(', ')}`,
  },
  conditionsFirstStep: { schema: z.boolean(), kind: 'boolean', help: 'the condition sweeps apply to the first step each scenario plans per transport only (its first load point)', accepts: 'no value' },
  conditionsApart: {
    schema: z.boolean(),
    kind: 'boolean',
    help: 'vary one condition at a time (each --rtt and --loss value with minimal headers, each header set on loopback) instead of every combination',
    accepts: 'no value',
  },
  busyPoll: { schema: z.boolean(), kind: 'boolean', help: 'the load process never sleeps: no idle-CPU wake-up in latency (its CPU then reads ~100 %)', accepts: 'no value' },
} as const satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof RUN_OPTIONS;

/** The value of every option as a profile, a --config file or the command line gives it. */
export type OptionValues = { [K in OptionKey]: z.input<(typeof RUN_OPTIONS)[K]['schema']> };

/** Defaults that do not depend on the profile. */
export const COMMON_DEFAULTS = { feed: 'memory', nodes: [1] as number[], agents: 1, serverHost: '127.0.0.1', joinAgents: 0, joinTimeoutMs: 120_000, binary: false, payloadEncoding: ['text'] as string[], clientRuntime: ['node'] as string[], browserClientsPerHost: DEFAULT_CLIENTS_PER_HOST, wsDeflate: false, longPollTimeoutMs: DEFAULT_LIMITS.longPollTimeoutMs, quiet: false, busyPoll: false, injectDelay: [] as string[], rttMs: [0] as number[], lossPercent: [0] as number[], jitterMs: 0, requestHeaders: ['minimal'] as string[], cookieBytes: 0, conditionScenarios: [...SCENARIOS] as string[], conditionsFirstStep: false, conditionsApart: false } as const;

/** The command-line flag of an option: its own spelling, else the key in kebab case. */
export function flagOf(key: string): string {
  const spec = (RUN_OPTIONS as Record<string, OptionSpec>)[key];
  return spec?.flag ?? `--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
}
