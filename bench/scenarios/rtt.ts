import type { z } from 'zod';
import { nowUs } from '../../protocol/clock.ts';
import { createHistogram, recordUs } from '../measure/histogram.ts';
import { bytesValues, MeasuredWindow } from './measured-window.ts';
import { runLoadWindow, Sends } from './open-loop.ts';
import { byteSize, clientsInRooms, firstPollInterval, perSecond, serverOptions } from './params.ts';
import { defineScenario } from './scenario.ts';
import { drainMs, waitUntil } from './waits.ts';

/**
 * rtt: request/response round trips. Each client publishes through its own transport and awaits the
 * server's ack (the seq), open loop at a fixed rate per client: a slow ack never delays the next request.
 * Two figures, each named for what it is:
 * - `latency` (and `latencyUncorrected`): publish → ack, from the intended (actual) start to the ack. For
 *   ws, Socket.IO and raw TCP the ack is a frame on the same connection; for the polling transports and SSE
 *   it is the answer to the publish POST.
 * - `echo`: publish → the client's own message arriving through its subscription, from the intended start.
 *   For short polling this includes waiting for the next poll.
 * Each client has a room of its own, so the only other traffic it sees is the echo of its own messages.
 * Echo and ack are matched by the seq the ack carries, whichever of the two arrives first.
 */

/** Each client has a room of its own, so the step has no rooms parameter. */
export const rttParams = clientsInRooms.omit({ rooms: true }).extend({
  /** Round trips/s started by each client (id key `rate`: per client, as in chat). */
  ratePerClient: perSecond,
  /** Payload size, bytes (id key `payload`). */
  payloadBytes: byteSize,
});
export type RttParams = z.infer<typeof rttParams>;

export const rtt = defineScenario({
  name: 'rtt',
  params: rttParams,
  id: [['clients', 'clients'], ['ratePerClient', 'rate'], ['payloadBytes', 'payload'], ['pollIntervalMs', 'poll']],

  plan(config, transport) {
    // One step per transport, at the first client count and payload: a round trip does not need the load
    // sweep (push and chat draw latency against load), and rtt at many clients is costly on 2 cores.
    const params = { clients: config.clients[0]!, ratePerClient: config.rttRate, payloadBytes: config.payload[0]!, ...firstPollInterval(config, transport) };
    return [{ params, server: serverOptions(config, transport) }];
  },

  async runRepeat(ctx) {
    const { clients, ratePerClient, payloadBytes, pollIntervalMs } = ctx.params;
    // The payload of a round trip: 'r' filler of the step's size (the times are kept on the load side).
    const payload = 'r'.repeat(payloadBytes);
    const drainWithinMs = drainMs(pollIntervalMs, ctx.step.network);
    const window = new MeasuredWindow(ctx, 'rtt', clients);
    const latency = createHistogram();
    const uncorrected = createHistogram();
    const schedulerLag = createHistogram();
    const echo = createHistogram();
    const trips = new Sends();
    // Keyed by room#seq: an echo waiting for its ack (its receive time), or an in-window ack waiting for its echo (the intended time).
    const echoFirst = new Map<string, number>();
    const ackFirst = new Map<string, number>();
    let echoes = 0;
    const onEcho = (receivedUs: number, intendedUs: number): void => {
      echoes++;
      recordUs(echo, receivedUs - intendedUs);
    };

    try {
      // Bytes per message count acknowledged round trips, not the echoes each client also receives.
      const pool = await window.connect(clients, {
        countReceipts: false,
        onMessage: (member, message, receivedAt) => {
          if (message.room !== member.room) return;
          const key = `${message.room}#${message.seq}`;
          const intendedUs = ackFirst.get(key);
          if (intendedUs === undefined) echoFirst.set(key, receivedAt);
          else {
            ackFirst.delete(key);
            onEcho(receivedAt, intendedUs);
          }
        },
      });
      ctx.progress(0.1);
      // Request k is made by client k mod C: each client at ratePerClient, interleaved evenly.
      const fire = (k: number, intendedUs: number): void => {
        const member = pool.members[k % clients]!;
        const inWindow = window.inWindow(intendedUs);
        const startedUs = nowUs();
        if (inWindow) recordUs(schedulerLag, startedUs - intendedUs);
        trips.track(member.client.publish(member.room, payload), inWindow, (seq) => {
          const ackUs = nowUs();
          window.countReceipt();
          const key = `${member.room}#${seq}`;
          const echoedUs = echoFirst.get(key);
          echoFirst.delete(key);
          if (!inWindow) return;
          if (echoedUs === undefined) ackFirst.set(key, intendedUs);
          else onEcho(echoedUs, intendedUs);
          recordUs(latency, ackUs - intendedUs);
          recordUs(uncorrected, ackUs - startedUs);
        });
      };
      const samples = await runLoadWindow(ctx, window, ratePerClient * clients, fire);

      // Outstanding round trips get a bounded drain; those still unanswered count as lost.
      await trips.settle(drainWithinMs);
      trips.stop();
      await waitUntil(() => ackFirst.size === 0, drainWithinMs, ctx.signal);
      const { wireBytes, receipts } = await window.stop();
      const notes = [...window.notes, ...trips.failureNote('round trips')];
      const unanswered = trips.inWindow - trips.answered - trips.failed;
      if (unanswered > 0) notes.push(`${unanswered} round trips unanswered ${drainWithinMs} ms after the window`);
      if (ackFirst.size > 0) notes.push(`${ackFirst.size} of ${trips.answered} acknowledged messages never came back through the subscription (echo) within ${drainWithinMs} ms`);
      notes.push(`latency: publish → ack; echo: publish → own message received through the subscription (${echoes} echoes)`);
      notes.push('bytes per message: per acknowledged round trip (request, ack and the echo to the client, subscribed to its own room); envelope = the publish request JSON around the payload');

      const split = { payload: payload.length, envelope: JSON.stringify({ room: window.rooms[0], payload }).length - payload.length };
      const seconds = ctx.durationMs / 1000;
      return {
        values: { deliveredPerSec: trips.answered / seconds, publishedPerSec: trips.inWindow / seconds, ...bytesValues(wireBytes, receipts, split) },
        histograms: { latency, latencyUncorrected: uncorrected, schedulerLag, echo },
        // A round trip is delivered when both its ack and its echo came back.
        delivery: { expected: trips.inWindow, delivered: echoes, lost: trips.inWindow - echoes, duplicated: 0, outOfOrder: 0 },
        bytes: split,
        ...samples,
        notes,
      };
    } finally {
      await window.close();
    }
  },
});
