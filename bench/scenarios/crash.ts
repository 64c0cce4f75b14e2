import { z } from 'zod';
import { nowUs } from '../../protocol/clock.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { ScheduleReport } from '../../protocol/server-ipc.ts';
import { scheduledCount } from '../../servers/schedule.ts';
import type { PooledClient } from '../run/client-pool.ts';
import { SequenceTracker, sumDelivery, type DeliveryCounts } from '../measure/sequence-tracker.ts';
import { FAULT_ID, faultDrainMs, faultParams, faultSteps, ResumeClock } from './fault-common.ts';
import { MeasuredWindow } from './measured-window.ts';
import { defineScenario, type ServerControl } from './scenario.ts';
import { progressTicker } from './waits.ts';

/**
 * crash: the server process is SIGKILLed and a fresh one listens on the same port after `downtimeMs`.
 * The feed lives in memory, so its log dies with the process and the new feed numbers each room from 1
 * again: the clients' cursors are then beyond the rooms' heads, which the servers answer as a reset
 * (docs/protocol.md, "Resuming after a server restart") and the clients follow.
 *
 * Exact accounting across the restart: the publisher is the server's own schedule, run in two epochs —
 * one schedule on the old process up to the kill, one on the new process from the moment it listens. Each
 * epoch's ScheduleReport says which seqs it published per room, and a message's epoch is known from its
 * intended time `at` on the shared clock (before the kill or after), so seq 5 of the old feed and seq 5 of
 * the new one are never confused. lost = (epoch 1 seqs not received) + (epoch 2 seqs not received), per
 * client, against those reports. The kill comes as soon as epoch 1's last message is published, so what
 * was still in flight (or, for short polling, not yet polled) is lost, as in a real crash, and counted.
 *
 * The rooms get a head start (many messages before the clients join) so every client's cursor is far
 * beyond anything the new feed publishes before the client is back: a client that returned only after the
 * new feed had passed its cursor could not tell that the server restarted (a documented limit).
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
async function headStart(server: ServerControl, rooms: string[], load: { rate: number; epochMs: number; payloadBytes: number }): Promise<number> {
  const perRoomPerEpoch = Math.ceil(scheduledCount(load.rate, load.epochMs) / rooms.length);
  const perRoom = Math.max(1_000, 4 * 2 * perRoomPerEpoch);
  const heads = await server.schedule({ rate: rooms.length * perRoom * 1_000, rooms, durationMs: 1, payloadBytes: load.payloadBytes });
  const cursors = new Set(rooms.map((room) => heads.rooms[room]?.lastSeq ?? 0));
  if (cursors.size !== 1) throw new Error(`crash: the head start left the rooms at different heads (${[...cursors].join(', ')})`);
  return [...cursors][0]! - 1;
}

export const crashParams = faultParams.extend({
  /** From the SIGKILL until the replacement listens on the same port, ms (not in the id). */
  downtimeMs: z.number().int().nonnegative(),
});
export type CrashParams = z.infer<typeof crashParams>;

export const crash = defineScenario({
  name: 'crash',
  params: crashParams,
  id: FAULT_ID,

  plan(config, transport) {
    // After a crash Socket.IO has no session to recover whatever its setting: one step, recovery on.
    return faultSteps<CrashParams>(config, transport, { bothRecoveries: false, extra: { downtimeMs: config.crashDowntimeMs } });
  },

  async runRepeat(ctx) {
    const { server, signal } = ctx;
    const { clients, rate, payloadBytes, downtimeMs, pollIntervalMs } = ctx.params;
    const epochMs = ctx.params.durationMs / 2;
    const window = new MeasuredWindow(ctx, 'crash', ctx.params.rooms);
    const trackers = Array.from({ length: clients }, () => new EpochTracker());
    const clock = new ResumeClock(clients);

    // The replacement process loads while the clients connect: its start-up is not part of the outage.
    const preparing = server.prepareCrash();
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
      // The server's own resource window would die with it: only the load process is sampled.
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
        ({ killedAt, listeningAt } = await server.crash({ downtimeMs }));
        for (const tracker of trackers) tracker.boundaryUs = killedAt;
        after = await server.schedule({ rate, rooms: window.rooms, durationMs: epochMs, payloadBytes });
      } finally {
        stopTicker();
      }
      const generator = ctx.generator.end();

      const drainWithinMs = faultDrainMs(pollIntervalMs);
      const complete = () => pool.members.every((m) => trackers[m.index]!.after.distinct >= (after.rooms[m.room]?.published ?? 0));
      const drained = await window.drain(complete, drainWithinMs, null);
      await window.stop((n, example) => `${n} client errors while the server was down (expected; e.g. ${example})`);

      const split = pool.members.map((m) => trackers[m.index]!.count(m.room, before, after));
      const beforeCrash = sumDelivery(split.map((s) => s.before));
      const afterRestart = sumDelivery(split.map((s) => s.after));
      const delivery = sumDelivery([beforeCrash, afterRestart]);
      const { histogram, resumed } = ResumeClock.summary(clock.times(killedAt, listeningAt));

      const notes = window.notes;
      if (beforeCrash.lost > 0) notes.push(`${beforeCrash.lost} of ${beforeCrash.expected} deliveries published before the kill were lost: still in flight (or not yet polled) when the process died, and the in-memory log died with it`);
      if (afterRestart.lost > 0) notes.push(`${afterRestart.lost} of ${afterRestart.expected} deliveries published after the restart were lost${drained ? '' : ` (still missing ${drainWithinMs} ms after the schedule ended)`}`);
      if (resumed < clients) notes.push(`${clients - resumed} of ${clients} clients received nothing from the restarted server`);
      return {
        values: {},
        histograms: { reconnect: histogram },
        delivery,
        generator,
        reliability: { fault: 'crash', clients, resumed, outageMs: (listeningAt - killedAt) / 1000, beforeCrash, afterRestart },
        notes,
      };
    } finally {
      await window.close();
    }
  },
});
