import { z } from 'zod';
import { TRANSPORTS } from '../protocol/transports.ts';

/**
 * The versioned results format: the contract between the harness (bench/) and the report and compare
 * commands (report/, compare/). docs/results-format.md explains each field.
 *
 * Bump RESULTS_SCHEMA_VERSION on any change a reader of an older file could misread; additive optional
 * fields do not need a bump.
 */
export const RESULTS_SCHEMA_VERSION = 1;

const TRANSPORT = z.enum(TRANSPORTS);
export const SCENARIOS = ['push', 'chat', 'rtt', 'connect', 'idle', 'capacity', 'ceiling', 'http-overhead', 'drop', 'crash', 'node-kill', 'redis-restart', 'slow-consumer', 'hostile'] as const;
/** The scenarios that inject a fault (docs/reliability.md); their steps carry metrics.reliability. */
export const FAULT_SCENARIOS = ['drop', 'crash', 'node-kill', 'redis-restart', 'slow-consumer', 'hostile'] as const;
/** Scenarios that bring their own requests and always run over loopback, whatever --rtt or --request-headers say. */
export const LOOPBACK_ONLY_SCENARIOS = ['hostile', 'http-overhead'] as const;
const SCENARIO = z.enum(SCENARIOS);

/** A figure measured once per repeat: the median across repeats with its min and max. */
export const spreadSchema = z.object({ median: z.number(), min: z.number(), max: z.number() });
export type Spread = z.infer<typeof spreadSchema>;

/** Latency in µs. Percentiles are per-repeat percentiles summarised across repeats; the histogram merges all repeats. */
export const latencySchema = z.object({
  unit: z.literal('us'),
  count: z.number().int().nonnegative(),
  p50: spreadSchema,
  p90: spreadSchema,
  p99: spreadSchema,
  p999: spreadSchema,
  max: spreadSchema,
  mean: spreadSchema,
  /** hdr-histogram-js `encodeIntoCompressedBase64` of the merged histogram (1 µs resolution, 3 significant digits). */
  histogram: z.string(),
  /**
   * Each repeat's own percentiles, in repeat order (present when every repeat recorded some): repeat r of every
   * transport of a comparison point ran in the same round, so compare pairs them (ratio to the raw TCP floor).
   */
  perRepeat: z.object({ p50: z.array(z.number()), p90: z.array(z.number()), p99: z.array(z.number()) }).optional(),
});
export type LatencyMetrics = z.infer<typeof latencySchema>;

/** Process resource figures over the measured window. */
export const resourceSchema = z.object({
  /** CPU time (user + system) over wall time, percent of one core, without the publisher's wait. */
  cpuPercent: spreadSchema,
  /** Time the open-loop publisher spent keeping the event loop turning while it waited for a deadline, percent of the window (servers/pacer.ts). */
  publisherWaitPercent: spreadSchema.optional(),
  /** Resident set size at the end of the window, bytes. */
  rssBytes: spreadSchema,
  /** V8 heap used at the end of the window, bytes. */
  heapUsedBytes: spreadSchema,
  /** Event-loop utilisation over the window, percent. */
  eventLoopUtilisation: spreadSchema,
  /** Event-loop delay p99 over the window, ms (perf_hooks.monitorEventLoopDelay). */
  eventLoopDelayP99Ms: spreadSchema,
});
export type ResourceMetrics = z.infer<typeof resourceSchema>;

/** Sequence-number accounting over every client of every repeat. expected = delivered + lost. */
export const deliverySchema = z.object({
  /** Deliveries expected: for each client, the messages published to its room in the measured window. */
  expected: z.number().int().nonnegative(),
  /** Distinct messages received. */
  delivered: z.number().int().nonnegative(),
  lost: z.number().int().nonnegative(),
  duplicated: z.number().int().nonnegative(),
  outOfOrder: z.number().int().nonnegative(),
});

/** Bytes per delivered message in steady state, split; payload + envelope + transport = total. */
export const messageBytesSchema = z.object({
  /** Everything read and written by the clients in the window, divided by messages delivered. */
  total: spreadSchema,
  /** The payload itself. */
  payload: z.number().nonnegative(),
  /** The message's JSON fields around the payload (seq, room, timestamps). */
  envelope: z.number().nonnegative(),
  /** The rest: HTTP headers, frame headers, protocol prefixes, empty polls, heartbeats. */
  transport: spreadSchema,
});

export const connectionSetupSchema = z.object({
  /** Bytes read + written until ready, per connection (TCP payload: HTTP, upgrade, handshakes). */
  bytes: spreadSchema,
  /** Time from starting to connect until ready, µs. */
  time: latencySchema.optional(),
});

/** What a fault scenario measured (docs/reliability.md); counts are summed over repeats. */
export const reliabilitySchema = z.object({
  fault: z.enum(FAULT_SCENARIOS),
  /** drop, crash: from the fault to each client's first message published after it, µs (every client of every repeat). */
  reconnect: latencySchema.optional(),
  /** drop, crash: clients, and how many of them received a message published after the fault. */
  clients: z.number().int().nonnegative().optional(),
  resumed: z.number().int().nonnegative().optional(),
  /** node-kill: clients that were on the killed node, and how many of them received a message on another. */
  moved: z.number().int().nonnegative().optional(),
  movedResumed: z.number().int().nonnegative().optional(),
  /** crash: the outage, from the SIGKILL until the replacement process listened on the same port, ms. */
  outageMs: spreadSchema.optional(),
  /** crash: delivery of the messages published before the kill, and of those the restarted server published. */
  beforeCrash: deliverySchema.optional(),
  afterRestart: deliverySchema.optional(),
  /** slow-consumer (push transports only: a polling client pulls, so the server never queues for it). */
  slowConsumer: z
    .object({
      /** The outcome in words. */
      note: z.string(),
      /** Repeats in which the server dropped the stalled client, of `repeats`. */
      dropped: z.number().int().nonnegative(),
      repeats: z.number().int().nonnegative(),
      /** From the stall to the drop, ms (repeats where it was dropped). */
      dropAfterMs: spreadSchema.optional(),
      /** The server's per-connection bound, bytes (limits.maxBufferedBytes). */
      maxBufferedBytes: z.number().nonnegative(),
      /** Server RSS before the stall and its peak while the client was stalled, bytes. */
      rssBeforeBytes: spreadSchema.optional(),
      rssPeakBytes: spreadSchema.optional(),
      /** Bytes of the stalled client's messages the feed's log still held (part of the RSS growth, not the client's queue). */
      logBytes: spreadSchema.optional(),
    })
    .optional(),
  hostile: z
    .object({
      /** Hostile inputs sent, and how many were answered as their case expects (a 4xx, a close code, an error line). */
      tried: z.number().int().nonnegative(),
      handled: z.number().int().nonnegative(),
      /** Cases not run (too slow for the profile, wrong Socket.IO mode). */
      skipped: z.number().int().nonnegative(),
      /** `case: what was wrong`, at most 20. */
      failures: z.array(z.string()),
      /** A normal client was served afterwards, in every repeat. */
      servedAfter: z.boolean(),
    })
    .optional(),
});
export type ReliabilityMetrics = z.infer<typeof reliabilitySchema>;

export const metricsSchema = z.object({
  /** From the intended send time (open-loop schedule): coordinated-omission corrected. */
  latency: latencySchema.optional(),
  /** From the actual send time. */
  latencyUncorrected: latencySchema.optional(),
  /** Actual minus intended send time, µs: the publisher's own lag. */
  schedulerLag: latencySchema.optional(),
  /**
   * rtt only: from the intended send time to the client receiving its own message through its subscription
   * (the echo). `latency` in rtt is publish → ack: for the polling transports and SSE, the answer to the POST.
   */
  echo: latencySchema.optional(),
  /** Messages delivered per second, over all clients. */
  deliveredPerSec: spreadSchema.optional(),
  /** Messages published per second. */
  publishedPerSec: spreadSchema.optional(),
  delivery: deliverySchema.optional(),
  bytesPerMessage: messageBytesSchema.optional(),
  setup: connectionSetupSchema.optional(),
  /** Polls that returned no message, as a share of all polls (0–1); polling transports only. */
  emptyPollShare: spreadSchema.optional(),
  /** HTTP requests per second made by the clients (polling transports, http-overhead). */
  requestsPerSec: spreadSchema.optional(),
  /** Idle scenario: bytes per connection per minute, both directions. */
  idleBytesPerConnectionPerMin: spreadSchema.optional(),
  /** Server memory (RSS growth) per connection, bytes. */
  memoryPerConnectionBytes: spreadSchema.optional(),
  /**
   * Steps under an emulated network (rtt=, loss=): CPU of the delay proxy processes over the whole repeat
   * (connects included), percent of one core; neither the server's nor the load generator's.
   */
  proxyCpuPercent: spreadSchema.optional(),
  /**
   * Steps with their clients in Chromium (runtime=browser): CPU of all the browser's processes over the measured
   * window, percent of one core (above 100 when it used more than one), and of its busiest thread alone (a page's
   * JavaScript runs on one). Part of the load generator: the busiest thread at 90 % or more flags the step.
   */
  browserCpuPercent: spreadSchema.optional(),
  browserBusiestThreadPercent: spreadSchema.optional(),
  /**
   * Polling clients in Chromium: the median poll's time in flight (fetch called -> answer read: Chromium's queue,
   * the server's hold, the read) and the median turn of the page after an answer before the client's next fetch
   * (parsing and handing over; short polling's interval included), ms, from the page's Resource Timing.
   */
  browserPollInFlightMs: spreadSchema.optional(),
  browserPollTurnMs: spreadSchema.optional(),
  /**
   * push, capacity, ceiling: errors the clients reported over the repeat (warm-up, window and drain), all together; each
   * ended a connection or a request, which the client then reconnected or retried. Packet loss shows here.
   */
  clientErrors: spreadSchema.optional(),
  /**
   * capacity (dimension clients) and ceiling (dimension rate): the largest value that met the SLA, null when
   * none did, with every value tried and why the search stopped.
   */
  capacity: z
    .object({
      dimension: z.enum(['clients', 'rate']),
      lastPassing: z.number().nullable(),
      slaP95Ms: z.number(),
      steps: z.array(
        z.object({
          value: z.number(),
          p95Ms: z.number().nullable(),
          lost: z.number(),
          passed: z.boolean(),
          reason: z.string().optional(),
          /** Messages delivered per second at this value (all clients). */
          deliveredPerSec: z.number().optional(),
        }),
      ),
      /** Why the search ended: the SLA, a loss, the load generator's own saturation, an error; null: every value passed. */
      stoppedBy: z.enum(['sla', 'loss', 'generator', 'error']).nullable().optional(),
      /** Delivered messages/s at the last passing value: the throughput ceiling (null when none passed). */
      deliveredPerSec: z.number().nullable().optional(),
    })
    .optional(),
  /** http-overhead: what autocannon measured against the same route, for comparison. */
  autocannon: z
    .object({ route: z.string(), requestsPerSec: spreadSchema, bytesPerRequest: spreadSchema, latencyP50Ms: spreadSchema, latencyP99Ms: spreadSchema, errors: z.number().int() })
    .optional(),
  /** Fault scenarios (drop, crash, slow-consumer, hostile): what the fault did. */
  reliability: reliabilitySchema.optional(),
  server: resourceSchema.optional(),
  generator: resourceSchema.optional(),
});
export type StepMetrics = z.infer<typeof metricsSchema>;

/** What every step row starts with, whatever its status. */
const stepHead = {
  /** Stable id, e.g. `push/ws/rate=1000/clients=10/payload=64`: compare matches steps by it. */
  id: z.string(),
  scenario: SCENARIO,
  transport: TRANSPORT,
  /** The step's parameters (clients, rate, payloadBytes, rooms, durationMs, pollIntervalMs, …); docs/results-format.md lists them per scenario. */
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
};
/** Repeats measured (errored repeats excluded). */
const repeats = z.number().int().nonnegative();
const notes = z.array(z.string()).default([]);

/** Warnings about the measurement itself. */
export const flagsSchema = z.object({
  /** The load generator, not the server, was the bottleneck: its event-loop delay or CPU passed the documented bound. */
  generatorSaturated: z.boolean(),
  /** Messages were lost with no fault injected. */
  unexplainedLoss: z.boolean(),
});

export const okStepSchema = z.object({ ...stepHead, status: z.literal('ok'), repeats, metrics: metricsSchema, flags: flagsSchema, notes });

/** A step that failed: it carries its error, and no figures (files of older versions held an empty `metrics`; it is dropped). */
export const erroredStepSchema = z.object({
  ...stepHead,
  status: z.literal('errored'),
  /** Why the step failed (server crashed, connection refused, timeout …): a code of protocol/tool-errors.ts and a message. */
  error: z.object({ code: z.string(), message: z.string() }),
  repeats,
  notes,
});

/** One row per planned step, keyed on its status. */
export const stepSchema = z.discriminatedUnion('status', [okStepSchema, erroredStepSchema]);
export type StepResult = z.infer<typeof stepSchema>;
export type OkStep = z.infer<typeof okStepSchema>;
export type ErroredStep = z.infer<typeof erroredStepSchema>;
export type StepFlags = z.infer<typeof flagsSchema>;

export const environmentSchema = z.object({
  node: z.string(),
  v8: z.string(),
  platform: z.string(),
  arch: z.string(),
  osRelease: z.string(),
  cpuModel: z.string(),
  cpuCount: z.number().int(),
  totalMemoryBytes: z.number(),
  /** Versions of the packages that shape the numbers (ws, socket.io, fastify …). */
  packages: z.record(z.string(), z.string()),
  gitCommit: z.string().nullable(),
  gitDirty: z.boolean().nullable(),
  ci: z.boolean(),
});
export type Environment = z.infer<typeof environmentSchema>;

export const resultsSchema = z.object({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('transport-bench'), version: z.string() }),
  /** ISO timestamps of the run. */
  startedAt: z.string(),
  finishedAt: z.string(),
  profile: z.string(),
  /** The full resolved configuration the run used. */
  config: z.record(z.string(), z.unknown()),
  environment: environmentSchema,
  /** How the numbers were taken, in words a reader can check (clock, schedule, histogram, warm-up, repeats). */
  method: z.record(z.string(), z.string()),
  steps: z.array(stepSchema),
  summary: z.object({ steps: z.number().int(), ok: z.number().int(), errored: z.number().int(), durationMs: z.number() }),
  /** True when the run was stopped early (Ctrl-C, SIGTERM): steps not reached are errored BENCH_ERR_NOT_RUN. */
  interrupted: z.boolean().optional(),
});
export type Results = z.infer<typeof resultsSchema>;
export type ResultsInput = z.input<typeof resultsSchema>;
