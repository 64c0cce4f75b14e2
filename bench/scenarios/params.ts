import { z } from 'zod';
import type { ServerStartOptions } from '../../protocol/server-options.ts';
import { pollsOnInterval, type TransportName } from '../../protocol/transports.ts';
import type { ResolvedConfig } from '../config/config.ts';

/** The parameter types the scenarios' schemas share, and what every plan derives from the config the same way. */

/** A count of things: clients, rooms, connections. */
export const count = z.number().int().positive();
/** A size in bytes. */
export const byteSize = z.number().int().nonnegative();
/** A duration, ms. */
export const duration = z.number().int().positive();
/** A rate, per second. */
export const perSecond = z.number().positive();
/** Short polling's interval, ms: present on short-polling steps only. */
export const pollInterval = z.number().int().positive().optional();

/** What most steps are about: clients spread over rooms, and short polling's interval. */
export const clientsInRooms = z.object({
  /** Clients (subscribers, senders, connections: the scenario says). */
  clients: count,
  /** Rooms the clients are spread over, at most one per client (not in the id). */
  rooms: count,
  /** Short polling's interval, ms (id key `poll`). */
  pollIntervalMs: pollInterval,
});

/** What the limit searches (capacity, ceiling) share: the SLA, the payload, the rooms, short polling's interval. */
export const limitSearchParams = z.object({
  /** The SLA: p95 latency at most this, ms (id key `sla`). */
  slaP95Ms: perSecond,
  /** Payload size, bytes. */
  payloadBytes: byteSize,
  /** Rooms the subscribers are spread over, at most the smallest client count. */
  rooms: count,
  /** Short polling's interval, ms (id key `poll`). */
  pollIntervalMs: pollInterval,
});

/** A list of increasing values one step tries in turn, comma-separated (a string: it is one parameter of one step). */
export const triedValues = z.string().regex(/^\d+(,\d+)*$/);

/**
 * Short polling's first configured interval as a parameter (nothing for the other transports): for
 * scenarios that sweep something else and measure short polling at one interval.
 */
export function firstPollInterval(config: ResolvedConfig, transport: TransportName): { pollIntervalMs?: number } {
  return pollsOnInterval(transport) ? { pollIntervalMs: config.pollIntervalsMs[0] } : {};
}

/** Short polling is measured once per poll interval; every other transport once. */
export function pollIntervals(config: ResolvedConfig, transport: TransportName): (number | undefined)[] {
  return pollsOnInterval(transport) ? [...config.pollIntervalsMs] : [undefined];
}

/**
 * How the step's server is started. The feed's payload size defaults to the first configured one even where a
 * scenario sends payloads of its own, so steps share one server process (the runner reuses a server while
 * the start options stay the same).
 */
export function serverOptions(config: ResolvedConfig, transport: TransportName, payloadBytes: number = config.payload[0]!): ServerStartOptions {
  return {
    transport,
    payloadBytes,
    binary: config.binary,
    ...(config.wsDeflate && transport === 'ws' ? { wsPerMessageDeflate: true } : {}),
    socketIoTransports: config.socketIoTransports[0],
    longPollTimeoutMs: config.longPollTimeoutMs,
    ...injectedDelay(config, transport),
  };
}

/** `run --inject-delay ws=2`: the transport's test-only delivery delay (no key at all when none, so servers and ids stay as they were). */
export function injectedDelay(config: Pick<ResolvedConfig, 'injectDelay'>, transport: TransportName): { injectDelayMs?: number } {
  const pair = config.injectDelay.find((item) => item.startsWith(`${transport}=`));
  return pair === undefined ? {} : { injectDelayMs: Number(pair.slice(transport.length + 1)) };
}
