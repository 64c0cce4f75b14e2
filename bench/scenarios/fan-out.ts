import { nowUs } from '../../protocol/clock.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { PooledClient } from '../run/client-pool.ts';
import { createHistogram, recordUs } from '../measure/histogram.ts';
import { MessageBytesAccumulator } from '../measure/message-bytes.ts';
import type { RepeatContext, RepeatMeasurement, ScheduleReport } from './scenario.ts';
import { SequenceTracker, sumDelivery } from '../measure/sequence-tracker.ts';
import { bytesValues, connectPool, drainMs, pollIntervalOf, primeRooms, progressTicker, repeatRooms, waitUntil } from './common.ts';
import { pollingFigures, PollWatch } from './poll-counts.ts';

/**
 * Server-side fan-out, measured: C clients over K rooms, an open-loop schedule in the server process at
 * R messages/s (ServerControl.schedule), a warm-up schedule then the measured one. push runs it once per
 * step; capacity runs it once per client count.
 *
 * A message belongs to the measured window when its intended time `at` is at or after the window start:
 * the warm-up schedule has finished by then, so only the measured schedule's messages qualify, and the
 * measured schedule's ScheduleReport gives the seqs every client should have received.
 */

export interface FanOutOptions {
  clients: number;
  /** Messages/s over all rooms. */
  rate: number;
  payloadBytes: number;
  /** Rooms (capped at the client count, so every message published has a receiver). */
  rooms: number;
  /** Label of the rooms (push, capacity). */
  roomPrefix: string;
  /** Progress range of this run within the repeat. */
  progress?: [number, number];
  /** Called with each in-window delivery's receive time (the self-check times the harness's ceiling with it). */
  onDelivery?: (receivedAt: number) => void;
}

interface ClientState {
  tracker: SequenceTracker;
  /** Receipts of any message since the steady byte window began (the denominator of bytes per message). */
  steadyReceipts: number;
  polls: PollWatch;
}

export async function measureFanOut(ctx: RepeatContext, options: FanOutOptions): Promise<RepeatMeasurement> {
  const { step, server, signal } = ctx;
  const [from, to] = options.progress ?? [0, 1];
  const roomCount = Math.max(1, Math.min(options.rooms, options.clients));
  const rooms = repeatRooms(options.roomPrefix, roomCount);
  const drainWithinMs = drainMs(pollIntervalOf(step));
  const notes: string[] = [];
  // A short-polling window must span a few polls, or polls per second and bytes per poll are guesses.
  const windowMs = Math.max(ctx.durationMs, 2 * (pollIntervalOf(step) ?? 0));
  if (windowMs > ctx.durationMs) notes.push(`measured window ${windowMs} ms (twice the poll interval) instead of ${ctx.durationMs} ms`);

  const latency = createHistogram();
  const uncorrected = createHistogram();
  const schedulerLag = createHistogram();
  const split = new MessageBytesAccumulator();
  const lagSeen = new Map(rooms.map((room) => [room, new SequenceTracker()]));
  const states: ClientState[] = [];
  let windowStartUs = Infinity;
  let steady = false;

  const onMessage = (member: PooledClient, message: FeedMessage, receivedAt: number): void => {
    const state = states[member.index];
    if (!state) return;
    if (steady) {
      state.steadyReceipts++;
    }
    if (message.at < windowStartUs || message.room !== member.room) return;
    if (state.tracker.observe(message.seq) === 'duplicate') return;
    recordUs(latency, receivedAt - message.at);
    recordUs(uncorrected, receivedAt - message.ts);
    options.onDelivery?.(receivedAt);
    // Scheduler lag and the payload/envelope split belong to the message, not the delivery: once per message.
    const seen = lagSeen.get(message.room);
    if (seen && seen.observe(message.seq) !== 'duplicate') {
      recordUs(schedulerLag, message.ts - message.at);
      split.add(message);
    }
  };

  await primeRooms(server, rooms, options.payloadBytes);
  for (let i = 0; i < options.clients; i++) states.push({ tracker: new SequenceTracker(), steadyReceipts: 0, polls: new PollWatch() });
  const pool = await connectPool(ctx, options.clients, rooms, { onMessage });
  try {
    ctx.progress(from + (to - from) * 0.1);
    const request = { rate: options.rate, rooms, payloadBytes: options.payloadBytes };
    if (ctx.warmupMs > 0) await server.schedule({ ...request, durationMs: ctx.warmupMs });
    signal.throwIfAborted();

    // The measured window: bytes, resources and intended times all start here.
    windowStartUs = nowUs();
    pool.resetSteady();
    steady = true;
    for (const member of pool.members) states[member.index].polls.start(member.client);
    await server.startResourceWindow();
    ctx.generator.start();
    const stopTicker = progressTicker(ctx, from + (to - from) * 0.2, from + (to - from) * 0.9, windowMs);
    let report: ScheduleReport;
    try {
      report = await server.schedule({ ...request, durationMs: windowMs });
    } finally {
      stopTicker();
    }
    const generator = ctx.generator.end();
    const serverSample = await server.endResourceWindow();

    // Drain: wait for messages still in flight, up to a bound, before counting anything as lost.
    const expectedOf = (room: string) => report.rooms[room]?.published ?? 0;
    const complete = () => pool.members.every((m) => states[m.index].tracker.distinct >= expectedOf(m.room));
    const drained = await waitUntil(complete, drainWithinMs, signal);
    const wireBytes = pool.steadyBytes();
    const steadyUs = nowUs() - windowStartUs;
    steady = false;

    // Counting starts: what arrives from now on (while the pool closes) is no longer recorded anywhere.
    windowStartUs = Infinity;
    const counts = pool.members.map((m) => {
      const range = report.rooms[m.room];
      return states[m.index].tracker.count(range && range.published > 0 ? range : { firstSeq: 1, lastSeq: 0 });
    });
    const delivery = sumDelivery(counts);
    if (!drained) notes.push(`${delivery.lost} deliveries still missing ${drainWithinMs} ms after the window`);
    const errors = pool.errors();
    if (errors.count > 0) notes.push(`${errors.count} client errors during the repeat (e.g. ${errors.example})`);

    const published = Object.values(report.rooms).reduce((n, r) => n + r.published, 0);
    const receipts = states.reduce((n, s) => n + s.steadyReceipts, 0);
    const bytes = split.average();
    const seconds = windowMs / 1000;

    const measurement: RepeatMeasurement = {
      values: {
        deliveredPerSec: delivery.delivered / seconds,
        publishedPerSec: published / seconds,
        ...bytesValues(wireBytes, receipts, bytes),
      },
      histograms: { latency, latencyUncorrected: uncorrected, schedulerLag },
      delivery,
      bytes,
      server: serverSample,
      generator,
      notes,
    };
    if (step.transport === 'short-polling' || step.transport === 'long-polling') {
      const figures = pollingFigures(pool.members.map((m) => ({ member: m, watch: states[m.index].polls })), steadyUs);
      measurement.values.requestsPerSec = figures.requestsPerSec;
      if (step.transport === 'short-polling') measurement.values.emptyPollShare = figures.emptyShare;
    }
    return measurement;
  } finally {
    await pool.close();
  }
}
