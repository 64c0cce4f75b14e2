import { transportFacts } from '../../protocol/transports.ts';
import type { z } from 'zod';
import { nowUs } from '../../protocol/clock.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { PooledClient } from '../run/client-pool.ts';
import { DeliveryRecorder } from '../measure/delivery-recorder.ts';
import { bytesValues, MeasuredWindow } from './measured-window.ts';
import { runLoadWindow, Sends } from './open-loop.ts';
import { byteSize, clientsInRooms, firstPollInterval, perSecond, serverOptions } from './params.ts';
import { defineScenario, type PlannedStep } from './scenario.ts';
import { drainMs } from './waits.ts';

/**
 * chat: C clients in K rooms, each publishing through its own transport (client.publish) at a fixed rate
 * on an open-loop schedule, every client receiving everything published to its room (its own messages
 * too: the feed hands a message to every subscriber of the room).
 *
 * POST /publish stamps `at` = `ts` on the server, so the sender's own times travel in the payload:
 * `<intended µs>|<sent µs>|` then filler up to the payload size. Latency runs from the intended send time
 * (corrected) and from the actual send time (uncorrected) to each receiver.
 */

/** Every client sends and receives. */
export const chatParams = clientsInRooms.extend({
  /** Messages/s sent by each client (id key `rate`: per client here, unlike push's rate over all rooms). */
  ratePerClient: perSecond,
  /** Payload size, bytes (id key `payload`); never less than the send times it carries. */
  payloadBytes: byteSize,
});
export type ChatParams = z.infer<typeof chatParams>;

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

export const chat = defineScenario({
  name: 'chat',
  params: chatParams,
  id: [['clients', 'clients'], ['ratePerClient', 'rate'], ['payloadBytes', 'payload'], ['pollIntervalMs', 'poll']],

  plan(config, transport) {
    // Short polling is measured at the first configured interval only, and every step at the first payload size:
    // chat sweeps the client count; the payload sweep is push's.
    const payloadBytes = config.payload[0]!;
    return config.clients.map((clients): PlannedStep<ChatParams> => ({
      params: { clients, ratePerClient: config.chatRatePerClient, payloadBytes, rooms: Math.min(config.rooms, clients), ...firstPollInterval(config, transport) },
      server: serverOptions(config, transport),
    }));
  },

  async runRepeat(ctx) {
    const { clients, ratePerClient, payloadBytes, pollIntervalMs } = ctx.params;
    const drainWithinMs = drainMs(pollIntervalMs, ctx.step.network);
    const window = new MeasuredWindow(ctx, 'chat', ctx.params.rooms);
    const recorder = new DeliveryRecorder(clients, { lagAtReceipt: false, binary: transportFacts(ctx.step.transport).binary });
    /** Seqs acknowledged for messages intended inside the window, per room: what each receiver should get. */
    const expected = new Map(window.rooms.map((room) => [room, new Set<number>()]));
    const sends = new Sends();

    const onMessage = (member: PooledClient, message: FeedMessage, receivedAt: number): void => {
      const times = parseChatPayload(message.payload);
      if (times && window.inWindow(times.intendedUs) && message.room === member.room) recorder.receive(member.index, message, receivedAt, times);
    };

    try {
      const pool = await window.connect(clients, { onMessage });
      ctx.progress(0.1);
      // Message k is sent by client k mod C: each client at ratePerClient, the sends interleaved evenly.
      const fire = (k: number, scheduledUs: number): void => {
        // Rounded once, as the payload carries it, so sender and receivers agree on the window edges.
        const intendedUs = Math.round(scheduledUs);
        const member = pool.members[k % clients]!;
        const sentUs = nowUs();
        const inWindow = window.inWindow(intendedUs);
        if (inWindow) recorder.recordLag(sentUs - intendedUs);
        sends.track(member.client.publish(member.room, chatPayload(intendedUs, sentUs, payloadBytes)), inWindow, (seq) => {
          if (inWindow) expected.get(member.room)!.add(seq);
        });
      };
      const samples = await runLoadWindow(ctx, window, ratePerClient * clients, fire);

      // Drain: acks first (they define what is expected), then deliveries, within one bound.
      const deadline = Date.now() + drainWithinMs;
      await sends.settle(drainWithinMs);
      const unacked = sends.pending;
      const wanted = (room: string) => expected.get(room)!;
      const lost = () => recorder.counts(pool.members, wanted).lost;
      await window.drain(() => recorder.caughtUp(pool.members, (room) => wanted(room).size), Math.max(0, deadline - Date.now()), lost, (n) => `${n} deliveries still missing ${drainWithinMs} ms after the window`);
      const { wireBytes, receipts } = await window.stop();
      const delivery = recorder.counts(pool.members, wanted);

      const notes = [...window.notes, ...sends.failureNote('publishes in the window', '; their messages are not expected')];
      if (unacked > 0) notes.push(`${unacked} publishes unacknowledged after the drain; their messages are not expected`);
      const smallest = chatPayload(nowUs(), nowUs(), 0).length;
      if (payloadBytes < smallest) notes.push(`payloads carry the send times, so they are at least ${smallest} bytes`);
      const seconds = ctx.durationMs / 1000;
      return {
        values: { deliveredPerSec: delivery.delivered / seconds, publishedPerSec: sends.inWindow / seconds, ...bytesValues(wireBytes, receipts, recorder.bytes()) },
        histograms: recorder.histograms(),
        delivery,
        bytes: recorder.bytes(),
        ...samples,
        notes,
      };
    } finally {
      await window.close();
    }
  },
});
