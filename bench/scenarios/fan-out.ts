import type { FeedMessage } from '../../protocol/message.ts';
import { polls, pollsOnInterval, transportFacts } from '../../protocol/transports.ts';
import type { PooledClient } from '../run/client-pool.ts';
import { WindowReceiver, type WindowTally, type ExpectedRooms } from '../measure/window-receiver.ts';
import type { RepeatMeasurement } from '../measure/repeat-measurement.ts';
import { AgentClientGroup } from '../agent/agent-group.ts';
import { bytesValues, MeasuredWindow } from './measured-window.ts';
import { pollRates } from './poll-counts.ts';
import type { RepeatContext } from './scenario.ts';
import { drainMs, progressTicker } from './waits.ts';

/**
 * Server-side fan-out, measured: C clients over K rooms, an open-loop schedule in the server process at
 * R messages/s (ServerControl.schedule), a warm-up schedule then the measured one. push runs it once per
 * step; capacity runs it once per client count.
 *
 * A message belongs to the measured window when its intended time `at` is at or after the window start:
 * the warm-up schedule has finished by then, so only the measured schedule's messages qualify, and the
 * measured schedule's ScheduleReport gives the seqs every client should have received.
 *
 * The clients run in this process, or in the run's load agents (run --agents), each recording its slice with
 * the same WindowReceiver; the coordinator then merges their tallies.
 */

export interface FanOutOptions {
  clients: number;
  /** Messages/s over all rooms. */
  rate: number;
  payloadBytes: number;
  /** Rooms (at most the client count, so every message published has a receiver: the plan clamps it). */
  rooms: number;
  /** Short polling's interval, ms. */
  pollIntervalMs?: number;
  /** Label of the rooms (push, capacity). */
  roomPrefix: string;
  /** Progress range of this run within the repeat. */
  progress?: [number, number];
  /** Called with each in-window delivery's receive time (the self-check times the harness's ceiling with it). */
  onDelivery?: (receivedAt: number) => void;
}

/** Where the window's deliveries are recorded: here, or in the agents. */
interface ReceivingSide {
  caughtUp(rooms: ExpectedRooms): boolean | Promise<boolean>;
  tally(rooms: ExpectedRooms): WindowTally | Promise<WindowTally>;
}

/** The measured window of a fan-out step: the configured one, or twice short polling's interval when that is longer. */
export function fanOutWindowMs(durationMs: number, pollIntervalMs = 0): number {
  // A short-polling window must span a few polls, or polls per second and bytes per poll are guesses.
  return Math.max(durationMs, 2 * pollIntervalMs);
}

export async function measureFanOut(ctx: RepeatContext, options: FanOutOptions): Promise<RepeatMeasurement> {
  const [from, to] = options.progress ?? [0, 1];
  const at = (fraction: number) => from + (to - from) * fraction;
  const window = new MeasuredWindow(ctx, options.roomPrefix, options.rooms);
  const windowMs = fanOutWindowMs(ctx.durationMs, options.pollIntervalMs);
  if (windowMs > ctx.durationMs) window.notes.push(`measured window ${windowMs} ms (twice the poll interval) instead of ${ctx.durationMs} ms`);
  const receiver = new WindowReceiver(options.clients, { binary: transportFacts(ctx.step.transport).binary });

  const onMessage = (member: PooledClient, message: FeedMessage, receivedAt: number): void => {
    if (window.inWindow(message.at) && message.room === member.room && receiver.receive(member, message, receivedAt)) options.onDelivery?.(receivedAt);
  };

  try {
    const pool = await window.connect(options.clients, { onMessage, prime: options.payloadBytes, ...(options.onDelivery === undefined ? { agents: 'fan-out' as const } : {}) });
    const side: ReceivingSide = pool instanceof AgentClientGroup ? pool : { caughtUp: (rooms) => receiver.caughtUp(pool.members, rooms), tally: (rooms) => receiver.tally(pool.members, rooms) };
    ctx.progress(at(0.1));
    const request = { rate: options.rate, rooms: window.rooms, payloadBytes: options.payloadBytes, ...(ctx.step.binary !== undefined ? { binary: ctx.step.binary } : {}) };
    if (ctx.warmupMs > 0) await ctx.server.schedule({ ...request, durationMs: ctx.warmupMs });
    ctx.signal.throwIfAborted();

    // The measured window: bytes, resources and intended times all start here.
    await window.begin();
    receiver.start(pool.members);
    const stopTicker = progressTicker(ctx, at(0.2), at(0.9), windowMs);
    const report = await ctx.server.schedule({ ...request, durationMs: windowMs }).finally(stopTicker);
    const samples = await window.end();

    await window.drain(() => side.caughtUp(report.rooms), drainMs(options.pollIntervalMs, ctx.step.network), async () => (await side.tally(report.rooms)).delivery.lost);
    const { wireBytes, receipts, steadyUs } = await window.stop();
    const tally = await side.tally(report.rooms);
    const delivery = tally.delivery;

    const published = Object.values(report.rooms).reduce((n, r) => n + r.published, 0);
    const seconds = windowMs / 1000;
    const measurement: RepeatMeasurement = {
      values: { deliveredPerSec: delivery.delivered / seconds, publishedPerSec: published / seconds, clientErrors: pool.errors().count, ...bytesValues(wireBytes, receipts, tally.bytes) },
      histograms: tally.histograms,
      delivery,
      bytes: tally.bytes,
      ...samples,
      notes: window.notes,
    };
    if (polls(ctx.step.transport)) {
      const figures = pollRates(tally.polls, steadyUs);
      measurement.values.requestsPerSec = figures.requestsPerSec;
      if (pollsOnInterval(ctx.step.transport)) measurement.values.emptyPollShare = figures.emptyShare;
    }
    return measurement;
  } finally {
    await window.close();
  }
}
