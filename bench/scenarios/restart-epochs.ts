import { z } from 'zod';
import { nowUs } from '../../protocol/clock.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { ScheduleReport } from '../../protocol/server-ipc.ts';
import { scheduledCount } from '../../servers/schedule.ts';
import type { PooledClient } from '../run/client-pool.ts';
import { SequenceTracker, sumDelivery, type DeliveryCounts } from '../measure/sequence-tracker.ts';
import type { RepeatMeasurement } from '../measure/repeat-measurement.ts';
import { faultDrainMs, faultParams, ResumeClock } from './fault-common.ts';
import { MeasuredWindow } from './measured-window.ts';
import type { CrashReport, RepeatContext, ServerControl } from './scenario.ts';
import { progressTicker } from './waits.ts';

/**
 * What crash and redis-restart share: the feed starts over mid-step (a killed server's memory, or Redis come back
 * empty), so the clients' cursors end up beyond the rooms' heads, which the servers answer as a reset
 * (docs/protocol.md, "Resets") and the clients follow.
 *
 * Exact accounting across the restart: the publisher is the server's own schedule, run in two epochs —
 * one schedule up to the fault, one from the moment the feed is back. Each epoch's ScheduleReport says which
 * seqs it published per room, and a message's epoch is known from its intended time `at` on the shared clock
 * (before the fault or after), so seq 5 of the old feed and seq 5 of the new one are never confused.
 * lost = (epoch 1 seqs not received) + (epoch 2 seqs not received), per client, against those reports. The
 * fault comes as soon as epoch 1's last message is published, so what was still in flight (or, for short
 * polling, not yet polled) is lost, as in a real crash, and counted.
 *
 * The rooms get a head start (many messages before the clients join) so every client's cursor is far
 * beyond anything the new feed publishes before the client is back: a client that returned only after the
 * new feed had passed its cursor could not tell that the feed started over (a documented limit).
 */

/** Counts of one client's receipts against the two epochs' reports. */
export class EpochTracker {
  readonly before = new SequenceTracker();
  readonly after = new SequenceTracker();
  /** Messages intended before this time belong to the old process (set at the kill). */
  boundaryUs = Infinity;

  observe(message: Pick<FeedMessage, 'seq' | 'at'>): void {
    (message.at < this.boundaryUs ? this.before : this.after).observe(message.seq);
  }

  count(room: string, before: ScheduleReport, after: ScheduleReport | undefined): { before: DeliveryCounts; after: DeliveryCounts } {
    const none = { firstSeq: 1, lastSeq: 0 };
    return { before: this.before.count(before.rooms[room] ?? none), after: this.after.count(after?.rooms[room] ?? none) };
  }
}

/**
 * Gives the rooms a head start before the clients join: at least 1,000 messages per room, and four times what
 * the new feed will publish in all, so every client's cursor stays beyond what the restarted feed reaches
 * before the client is back. Returns the cursor the clients start from: one message before the head, so even
 * a long poll is answered at once and every client is ready.
 */
export async function headStart(server: ServerControl, rooms: string[], load: { rate: number; epochMs: number; payloadBytes: number }): Promise<number> {
  const perRoomPerEpoch = Math.ceil(scheduledCount(load.rate, load.epochMs) / rooms.length);
  const perRoom = Math.max(1_000, 4 * 2 * perRoomPerEpoch);
  const heads = await server.schedule({ rate: rooms.length * perRoom * 1_000, rooms, durationMs: 1, payloadBytes: load.payloadBytes });
  const cursors = new Set(rooms.map((room) => heads.rooms[room]?.lastSeq ?? 0));
  if (cursors.size !== 1) throw new Error(`crash: the head start left the rooms at different heads (${[...cursors].join(', ')})`);
  return [...cursors][0]! - 1;
}

export const restartParams = faultParams.extend({
  /** From the kill until the replacement (server process, or Redis) listens again, ms (not in the id). */
  downtimeMs: z.number().int().nonnegative(),
});
export type RestartParams = z.infer<typeof restartParams>;

/** How one restart scenario kills and brings back its feed. */
export interface RestartFault {
  /** The scenario, for its rooms and the results. */
  readonly name: 'crash' | 'redis-restart';
  /** Loads what makes the restart fast, while the clients connect (crash's standby process). */
  prepare?(): Promise<void>;
  /** Kills it, waits the downtime, brings it back empty; when each happened. */
  restart(downtimeMs: number): Promise<CrashReport>;
  /** Why messages published before the fault were lost, for the note. */
  readonly lostBefore: string;
  /** What the clients waited for, for the note on client errors. */
  readonly outage: string;
}

/** One repeat of a restart scenario: head start, clients, epoch 1, the fault, epoch 2, drain, two-epoch count. */
export async function runRestartRepeat(ctx: RepeatContext<RestartParams>, fault: RestartFault): Promise<RepeatMeasurement> {
  const { server } = ctx;
  const { clients, rate, payloadBytes, downtimeMs, pollIntervalMs } = ctx.params;
  const epochMs = ctx.params.durationMs / 2;
  const window = new MeasuredWindow(ctx, fault.name, ctx.params.rooms);
  const trackers = Array.from({ length: clients }, () => new EpochTracker());
  const clock = new ResumeClock(clients);

  // What makes the restart fast loads while the clients connect: its start-up is not part of the outage.
  const preparing = fault.prepare?.() ?? Promise.resolve();
  preparing.catch(() => undefined);

  const onMessage = (member: PooledClient, message: FeedMessage, receivedAt: number): void => {
    if (message.room !== member.room || !window.inWindow(message.at)) return;
    trackers[member.index]!.observe(message);
    clock.receipt(member.index, message.ts, receivedAt);
  };

  try {
    const cursor = await headStart(server, window.rooms, { rate, epochMs, payloadBytes });
    const pool = await window.connect(clients, { onMessage, prime: false, clientOptions: { cursor } });
    ctx.progress(0.1);
    await preparing;
    // A crashed server's own resource window would die with it: only the load process is sampled.
    ctx.generator.start();
    const stopTicker = progressTicker(ctx, 0.2, 0.8, 2 * epochMs + downtimeMs);
    let before: ScheduleReport;
    let after: ScheduleReport;
    let killedAt: number;
    let listeningAt: number;
    try {
      window.bound(nowUs());
      before = await server.schedule({ rate, rooms: window.rooms, durationMs: epochMs, payloadBytes });
      clock.watch(nowUs());
      ({ killedAt, listeningAt } = await fault.restart(downtimeMs));
      for (const tracker of trackers) tracker.boundaryUs = killedAt;
      after = await server.schedule({ rate, rooms: window.rooms, durationMs: epochMs, payloadBytes });
    } finally {
      stopTicker();
    }
    const generator = ctx.generator.end();

    const drainWithinMs = faultDrainMs(pollIntervalMs);
    const complete = () => pool.members.every((m) => trackers[m.index]!.after.distinct >= (after.rooms[m.room]?.published ?? 0));
    const drained = await window.drain(complete, drainWithinMs, null);
    await window.stop((n, example) => `${n} client errors while ${fault.outage} (expected; e.g. ${example})`);

    const split = pool.members.map((m) => trackers[m.index]!.count(m.room, before, after));
    const beforeCrash = sumDelivery(split.map((s) => s.before));
    const afterRestart = sumDelivery(split.map((s) => s.after));
    const delivery = sumDelivery([beforeCrash, afterRestart]);
    const { histogram, resumed } = ResumeClock.summary(clock.times(killedAt, listeningAt));

    const notes = window.notes;
    if (beforeCrash.lost > 0) notes.push(`${beforeCrash.lost} of ${beforeCrash.expected} deliveries published before the kill were lost: ${fault.lostBefore}`);
    if (afterRestart.lost > 0) notes.push(`${afterRestart.lost} of ${afterRestart.expected} deliveries published after the restart were lost${drained ? '' : ` (still missing ${drainWithinMs} ms after the schedule ended)`}`);
    if (resumed < clients) notes.push(`${clients - resumed} of ${clients} clients received nothing after the restart`);
    return {
      values: {},
      histograms: { reconnect: histogram },
      delivery,
      generator,
      reliability: { fault: fault.name, clients, resumed, outageMs: (listeningAt - killedAt) / 1000, beforeCrash, afterRestart },
      notes,
    };
  } finally {
    await window.close();
  }
}
