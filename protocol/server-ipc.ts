import type { TransportName } from './transports.ts';

/**
 * What the harness and a server process say to each other over the IPC channel (servers/process-entry.ts
 * answers, bench/run/server-process.ts asks): requests with ids, replies carrying them back, and the types
 * the replies hold. Each message is one JSON value.
 */

/** An open-loop publish schedule run inside the server process (servers/schedule.ts). */
export interface ScheduleRequest {
  /** Messages per second over all rooms. */
  rate: number;
  /** Rooms to publish to, round-robin. */
  rooms: string[];
  /** How long to publish, ms. */
  durationMs: number;
  /** Payload size, bytes (the feed's own size when omitted). */
  payloadBytes?: number;
  /**
   * Binary payloads (true) or text (false) for this schedule only, whatever the feed's own: each message is
   * sent as its own encoding says, so one server process serves both (run --payload-encoding text,binary).
   */
  binary?: boolean;
}

export interface ScheduleReport {
  rooms: Record<string, { published: number; firstSeq: number; lastSeq: number }>;
  strategy: string;
  /** Publishes the feed refused or could not take (a shared feed's Redis unreachable), with the first reason. */
  failed?: number;
  failure?: string;
}

/** Resource figures of one process over one window (servers/resource-sampler.ts). */
export interface ResourceSample {
  /** CPU time (user + system) over wall time, percent of one core, the publisher's wait left out. */
  cpuPercent: number;
  /** Time the open-loop publisher spent turning the event loop while it waited for a deadline, percent of the window. */
  publisherWaitPercent: number;
  /** Resident set size at the end of the window, bytes. */
  rssBytes: number;
  /** V8 heap used at the end of the window, bytes. */
  heapUsedBytes: number;
  /** Event-loop utilisation over the window, percent. */
  eventLoopUtilisation: number;
  /** Event-loop delay p99 over the window, ms. */
  eventLoopDelayP99Ms: number;
  /** Event-loop delay p90 over the window, ms: lag in a tenth of the samples, so sustained, not one pause. */
  eventLoopDelayP90Ms: number;
}

/** Counters a server exposes (GET /health shows them; tests and the harness read them). */
export interface ServerStats {
  transport: TransportName;
  /** Clients connected now (open sockets, SSE streams, held polls…). */
  connections: number;
  /** Long polls held now (0 for other transports). */
  waiters: number;
  /** Feed subscriptions held by this server's clients now. */
  subscriptions: number;
  /** Clients dropped for going over `maxBufferedBytes`. */
  slowClientsDropped: number;
  /** Messages accepted by this server's POST /publish (publish commands over ws, Socket.IO and TCP are not counted here). */
  published: number;
}

/** Harness → server process. Every request has an id; the reply carries it back. */
export type ServerRequest =
  | { id: number; type: 'schedule'; request: ScheduleRequest }
  | { id: number; type: 'startResourceWindow' }
  | { id: number; type: 'endResourceWindow' }
  | { id: number; type: 'stats' }
  | { id: number; type: 'dropConnections' }
  | { id: number; type: 'listen' }
  | { id: number; type: 'stop' };

/** Server process → harness. */
export type ServerMessage =
  | { type: 'ready'; port: number; pid: number }
  | { type: 'standby'; pid: number }
  | { type: 'reply'; id: number; ok: true; result?: unknown }
  | { type: 'reply'; id: number; ok: false; error: { message: string; code?: string } };
