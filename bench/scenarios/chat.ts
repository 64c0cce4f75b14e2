import { nowUs } from '../../protocol/clock.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { PooledClient } from '../run/client-pool.ts';
import { createHistogram, recordUs } from '../measure/histogram.ts';
import { MessageBytesAccumulator } from '../measure/message-bytes.ts';
import type { Scenario, StepPlan } from './scenario.ts';
import { SequenceTracker, sumDelivery } from '../measure/sequence-tracker.ts';
import { bytesValues, connectPool, drainMs, expectStep, firstPollInterval, InFlight, loadWindow, makeStep, numberParam, pollIntervalOf, primeRooms, repeatRooms, runLoadWindow, serverOptions, waitUntil } from './common.ts';

/**
 * chat: C clients in K rooms, each publishing through its own transport (client.publish) at a fixed rate
 * on an open-loop schedule, every client receiving everything published to its room (its own messages
 * too: the feed hands a message to every subscriber of the room).
 *
 * POST /publish stamps `at` = `ts` on the server, so the sender's own times travel in the payload:
 * `<intended µs>|<sent µs>|` then filler up to the payload size. Latency runs from the intended send time
 * (corrected) and from the actual send time (uncorrected) to each receiver.
 */

/** The payload: the times, then 'x' filler up to `size` characters (never shorter than the times). */
export function chatPayload(intendedUs: number, sentUs: number, size: number): string {
  const head = `${Math.round(intendedUs)}|${Math.round(sentUs)}|`;
  return head.length >= size ? head : head + 'x'.repeat(size - head.length);
}

/** The times carried by a chat payload, or undefined for any other message (a room primer). */
export function parseChatPayload(payload: string): { intendedUs: number; sentUs: number } | undefined {
  const first = payload.indexOf('|');
  const second = first < 0 ? -1 : payload.indexOf('|', first + 1);
  if (second < 0) return undefined;
  const intendedUs = Number(payload.slice(0, first));
  const sentUs = Number(payload.slice(first + 1, second));
  return Number.isFinite(intendedUs) && Number.isFinite(sentUs) ? { intendedUs, sentUs } : undefined;
}

export const chat: Scenario = {
  name: 'chat',

  plan(config, transport) {
    const steps: StepPlan[] = [];
    // Short polling is measured at the first configured interval only: chat already sweeps the client count.
    const poll = firstPollInterval(config, transport);
    for (const clients of config.clients) {
      for (const payload of config.payload) {
        const rooms = Math.min(config.rooms, clients);
        const idParts = { clients, rate: config.chatRatePerClient, payload, ...poll.id };
        const params = { clients, ratePerClient: config.chatRatePerClient, payloadBytes: payload, rooms, ...poll.params };
        steps.push(makeStep('chat', transport, idParts, params, serverOptions(config, transport)));
      }
    }
    return steps;
  },

  async runRepeat(ctx) {
    const step = expectStep(ctx, 'chat');
    const clients = numberParam(step, 'clients');
    const ratePerClient = numberParam(step, 'ratePerClient');
    const payloadBytes = numberParam(step, 'payloadBytes');
    const drainWithinMs = drainMs(pollIntervalOf(step));
    const rooms = repeatRooms('chat', Math.max(1, Math.min(numberParam(step, 'rooms'), clients)));
    const notes: string[] = [];

    const latency = createHistogram();
    const uncorrected = createHistogram();
    const schedulerLag = createHistogram();
    const split = new MessageBytesAccumulator();
    const trackers = Array.from({ length: clients }, () => new SequenceTracker());
    /** Per room, the seqs already split into payload and envelope: the split belongs to the message, not to each delivery. */
    const splitSeen = new Map(rooms.map((room) => [room, new SequenceTracker()]));
    /** Seqs acknowledged for messages intended inside the window, per room: what each receiver should get. */
    const expected = new Map(rooms.map((room) => [room, new Set<number>()]));
    let windowStartUs = Infinity;
    let windowEndUs = Infinity;
    let steady = false;
    let steadyReceipts = 0;
    let publishFailures = 0;
    let firstFailure: string | undefined;
    let publishedInWindow = 0;
    const pending = new InFlight();

    const onMessage = (member: PooledClient, message: FeedMessage, receivedAt: number): void => {
      if (steady) steadyReceipts++;
      const times = parseChatPayload(message.payload);
      if (!times || times.intendedUs < windowStartUs || times.intendedUs >= windowEndUs || message.room !== member.room) return;
      if (trackers[member.index].observe(message.seq) === 'duplicate') return;
      recordUs(latency, receivedAt - times.intendedUs);
      recordUs(uncorrected, receivedAt - times.sentUs);
      if (splitSeen.get(message.room)?.observe(message.seq) !== 'duplicate') split.add(message);
    };

    await primeRooms(ctx.server, rooms);
    const pool = await connectPool(ctx, clients, rooms, { onMessage });
    try {
      ctx.progress(0.1);
      const window = loadWindow(ctx);
      windowStartUs = window.fromUs;
      windowEndUs = window.toUs;

      // Message k is sent by client k mod C: each client at ratePerClient, the sends interleaved evenly.
      const fire = (k: number, scheduledUs: number): void => {
        // Rounded once, as the payload carries it, so sender and receivers agree on the window edges.
        const intendedUs = Math.round(scheduledUs);
        const member = pool.members[k % clients];
        const sentUs = nowUs();
        const inWindow = intendedUs >= windowStartUs && intendedUs < windowEndUs;
        if (inWindow) {
          recordUs(schedulerLag, sentUs - intendedUs);
          publishedInWindow++;
        }
        const sending = member.client.publish(member.room, chatPayload(intendedUs, sentUs, payloadBytes)).then(
          (seq) => {
            if (inWindow) expected.get(member.room)!.add(seq);
          },
          (error: unknown) => {
            if (!inWindow) return;
            publishFailures++;
            firstFailure ??= error instanceof Error ? error.message : String(error);
          },
        );
        pending.add(sending);
      };

      const samples = await runLoadWindow(ctx, pool, window, { rate: ratePerClient * clients, fire, onOpen: () => (steady = true) });

      // Drain: acks first (they define what is expected), then deliveries, within one bound.
      const deadline = Date.now() + drainWithinMs;
      await pending.settle(drainWithinMs);
      const unacked = pending.size;
      const complete = () => pool.members.every((m) => trackers[m.index].distinct >= expected.get(m.room)!.size);
      const drained = await waitUntil(complete, Math.max(0, deadline - Date.now()), ctx.signal);
      const wireBytes = pool.steadyBytes();
      steady = false;

      // Counting starts: what arrives from now on (while the pool closes) is no longer recorded anywhere.
      windowStartUs = Infinity;
      const delivery = sumDelivery(pool.members.map((m) => trackers[m.index].count(expected.get(m.room)!)));
      if (!drained) notes.push(`${delivery.lost} deliveries still missing ${drainWithinMs} ms after the window`);
      if (publishFailures > 0) notes.push(`${publishFailures} publishes in the window failed (e.g. ${firstFailure}); their messages are not expected`);
      if (unacked > 0) notes.push(`${unacked} publishes unacknowledged after the drain; their messages are not expected`);
      const errors = pool.errors();
      if (errors.count > 0) notes.push(`${errors.count} client errors during the repeat (e.g. ${errors.example})`);
      if (payloadBytes < chatPayload(windowEndUs, windowEndUs, 0).length) notes.push(`payloads carry the send times, so they are at least ${chatPayload(windowEndUs, windowEndUs, 0).length} bytes`);

      const bytes = split.average();
      const seconds = ctx.durationMs / 1000;
      return {
        values: {
          deliveredPerSec: delivery.delivered / seconds,
          publishedPerSec: publishedInWindow / seconds,
          ...bytesValues(wireBytes, steadyReceipts, bytes),
        },
        histograms: { latency, latencyUncorrected: uncorrected, schedulerLag },
        delivery,
        bytes,
        ...samples,
        notes,
      };
    } finally {
      await pool.close();
    }
  },
};
