import { effectiveServerOptions, serverStartSchema, type ServerStartOptions } from '../../protocol/server-options.ts';
import type { TransportName } from '../../protocol/transports.ts';

/**
 * Step ids, built from the parameters: `push/ws/rate=1000/clients=10/payload=64`. Each scenario declares
 * which parameter goes into its id under which key, in order; a parameter a step does not have is left out.
 * The keys are short and stable (compare matches steps by id across runs), so some differ from the
 * parameter's own name: `payload` is payloadBytes, `poll` is pollIntervalMs, and `rate` is whatever the
 * scenario's rate parameter is (messages/s over all rooms in push, per client in chat and rtt; the
 * scenario's schema says which).
 */

/**
 * One part of an id: the parameter it reads, its key in the id, and how its value is written (as is by
 * default; a format that returns undefined leaves the part out).
 */
export type IdPart<P> = readonly [param: keyof P & string, key: string, format?: (value: NonNullable<P[keyof P]>, params: P) => string | undefined];
export type IdSpec<P> = readonly IdPart<P>[];

/**
 * The conditions a step ran under that are not the defaults: they go into its params and at the end of its id,
 * so a run with binary payloads is never compared with one without.
 */
export interface Conditions {
  /** Binary payloads (`run --binary`). */
  binary?: true;
  /** ws with permessage-deflate (`run --ws-deflate`). */
  wsPerMessageDeflate?: true;
  /** Socket.IO over websocket only, without the polling handshake (`run --socket-io-transports websocket`). */
  socketIoTransports?: 'websocket';
  /** Long polling held for this long instead of 25 s, ms (`run --long-poll-timeout`). */
  longPollTimeoutMs?: number;
  /** Round-trip time of the emulated network, ms (`run --rtt`), present whenever a network is emulated. */
  rttMs?: number;
  /** Its jitter, ± ms (`run --jitter`), when above 0. */
  jitterMs?: number;
  /** Its bandwidth per direction and connection, as given (`run --bandwidth`, e.g. 10mbit). */
  bandwidth?: string;
  /** Packets dropped on the clients' side, percent (`run --loss`), when above 0. */
  lossPercent?: number;
  /** The clients' extra request headers when not minimal: browser, or a file's name (`run --request-headers`). */
  requestHeaders?: string;
  /** A Cookie of this many bytes on every request (`run --cookie-bytes`), when above 0. */
  cookieBytes?: number;
  /** The clients ran in Chromium (`run --client-runtime browser`). */
  clientRuntime?: 'browser';
  /** Browser clients per host name when not 5 (`run --browser-clients-per-host`). */
  browserClientsPerHost?: number;
  /** The feed was in Redis, shared by the transport's server nodes (`run --feed redis`). */
  feed?: 'redis';
  /** Server processes per transport when more than 1 (`run --nodes`). */
  nodes?: number;
}

const CONDITIONS_ID: IdSpec<Conditions> = [
  ['binary', 'binary'],
  ['wsPerMessageDeflate', 'deflate'],
  ['socketIoTransports', 'mode'],
  ['longPollTimeoutMs', 'timeout'],
  ['rttMs', 'rtt'],
  ['jitterMs', 'jitter'],
  ['bandwidth', 'bw'],
  ['lossPercent', 'loss'],
  ['requestHeaders', 'headers'],
  ['cookieBytes', 'cookie'],
  ['clientRuntime', 'runtime'],
  ['browserClientsPerHost', 'perhost'],
  ['feed', 'feed'],
  ['nodes', 'nodes'],
];

/** The conditions of a server that differ from the defaults (only those its transport reads). */
export function conditionsOf(server: ServerStartOptions): Conditions {
  const effective = effectiveServerOptions(server);
  const defaults = serverStartSchema.parse({ transport: server.transport });
  const conditions: Conditions = {};
  if (effective.binary) conditions.binary = true;
  if (effective.wsPerMessageDeflate) conditions.wsPerMessageDeflate = true;
  if (effective.socketIoTransports === 'websocket') conditions.socketIoTransports = 'websocket';
  if (effective.longPollTimeoutMs !== undefined && effective.longPollTimeoutMs !== defaults.longPollTimeoutMs) conditions.longPollTimeoutMs = effective.longPollTimeoutMs;
  return conditions;
}

function idParts<P>(params: P, spec: IdSpec<P>): string[] {
  const parts: string[] = [];
  for (const [param, key, format] of spec) {
    const value = params[param];
    if (value === undefined) continue;
    const text = format ? (format as (v: unknown, p: P) => string | undefined)(value, params) : String(value);
    if (text !== undefined) parts.push(`${key}=${text}`);
  }
  return parts;
}

/** `<scenario>/<transport>/<key=value>…`: the scenario's parts in its order, then the conditions. */
export function stepId<P extends object>(scenario: string, transport: TransportName, params: P & Conditions, spec: IdSpec<P>): string {
  return [scenario, transport, ...idParts(params, spec), ...idParts<Conditions>(params, CONDITIONS_ID)].join('/');
}
