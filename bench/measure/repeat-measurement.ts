import type { Histogram } from 'hdr-histogram-js';
import type { ResourceSample } from '../../protocol/server-ipc.ts';
import type { FAULT_SCENARIOS, StepMetrics } from '../../results/schema.ts';
import type { DeliveryCounts } from './sequence-tracker.ts';
import type { BrowserCpuSample } from '../browser/browser-cpu.ts';
import type { PollTimings } from '../browser/browser-pool.ts';

/**
 * The raw measurement of one repeat. Histograms are hdr-histogram-js histograms (µs); the runner's
 * summariser turns the repeats of a step into StepMetrics (medians with min–max, merged histograms).
 */
export interface RepeatMeasurement {
  /** Partial metrics already in their final per-repeat form (numbers become spreads across repeats). */
  values: Partial<Record<SpreadMetricName, number>>;
  /** Latency histograms of this repeat, by metric name. */
  histograms: Partial<Record<'latency' | 'latencyUncorrected' | 'schedulerLag' | 'echo' | 'setupTime' | 'reconnect', Histogram>>;
  delivery?: { expected: number; delivered: number; lost: number; duplicated: number; outOfOrder: number };
  /** Bytes per message split, when the scenario delivers messages. */
  bytes?: { payload: number; envelope: number };
  server?: ResourceSample;
  generator?: ResourceSample;
  /** Clients in Chromium: the browser's CPU over the measured window (bench/browser/browser-cpu.ts). */
  browser?: BrowserCpuSample;
  /** Polling clients in Chromium: each poll's time in flight and the page's turn before the next, ms (Resource Timing). */
  browserPolls?: PollTimings;
  /** Whole metrics a scenario produces itself (capacity, autocannon), copied into the step as they are. */
  extra?: Pick<StepMetrics, 'capacity' | 'autocannon'>;
  /** What a fault scenario measured in this repeat (summarised across repeats into metrics.reliability). */
  reliability?: ReliabilityRepeat;
  notes?: string[];
}

/** One repeat of a fault scenario; the reconnect times travel as `histograms.reconnect`. */
export interface ReliabilityRepeat {
  fault: (typeof FAULT_SCENARIOS)[number];
  /** drop, crash: clients, and how many received a message published after the fault. */
  clients?: number;
  resumed?: number;
  /** node-kill: clients that were on the killed node, and how many of them received a message on another. */
  moved?: number;
  movedResumed?: number;
  /** crash: the outage, kill to the replacement listening, ms. */
  outageMs?: number;
  /** crash: deliveries of the messages published before the kill, and of those published after the restart. */
  beforeCrash?: DeliveryCounts;
  afterRestart?: DeliveryCounts;
  slowConsumer?: {
    note: string;
    dropped: boolean;
    /** From the stall to the server's drop, ms (when dropped). */
    dropAfterMs?: number;
    maxBufferedBytes: number;
    /** Server RSS before the stall and its peak during it, bytes. */
    rssBeforeBytes?: number;
    rssPeakBytes?: number;
    /** Bytes of the stalled client's room the feed's log still holds at the end (part of the RSS growth). */
    logBytes?: number;
  };
  hostile?: { tried: number; handled: number; skipped: number; failures: string[]; servedAfter: boolean };
}

/** Metrics that are one number per repeat and become a median with min–max. */
export type SpreadMetricName =
  | 'deliveredPerSec'
  | 'publishedPerSec'
  | 'bytesPerMessage'
  | 'transportBytesPerMessage'
  | 'setupBytes'
  | 'emptyPollShare'
  | 'requestsPerSec'
  | 'idleBytesPerConnectionPerMin'
  | 'memoryPerConnectionBytes'
  | 'proxyCpuPercent'
  | 'browserCpuPercent'
  | 'browserBusiestThreadPercent'
  | 'browserPollInFlightMs'
  | 'browserPollTurnMs'
  | 'clientErrors';
