import { nowUs } from '../../protocol/clock.ts';
import { createHistogram, recordUs } from '../measure/histogram.ts';
import type { Scenario } from './scenario.ts';
import { bytesValues, connectPool, drainMs, expectStep, firstPollInterval, InFlight, loadWindow, makeStep, numberParam, pollIntervalOf, primeRooms, repeatRooms, runLoadWindow, serverOptions } from './common.ts';

/**
 * rtt: request/response round trips. Each client publishes through its own transport and awaits the
 * server's ack (the seq), open loop at a fixed rate per client: a slow ack never delays the next request.
 * Latency runs from the intended start (corrected) and from the actual start (uncorrected) to the ack.
 * Each client has a room of its own, so the only other traffic it sees is the echo of its own messages.
 */

/** The payload of a round trip: 'r' filler of the step's size (the times are kept on the load side). */
const filler = (size: number): string => 'r'.repeat(size);

export const rtt: Scenario = {
  name: 'rtt',

  plan(config, transport) {
    // One step per transport, at the first client count and payload: a round trip does not need the load
    // sweep (push and chat draw latency against load), and rtt at many clients is costly on 2 cores.
    const poll = firstPollInterval(config, transport);
    const clients = config.clients[0]!;
    const payload = config.payload[0]!;
    const idParts = { clients, rate: config.rttRate, payload, ...poll.id };
    const params = { clients, ratePerClient: config.rttRate, payloadBytes: payload, ...poll.params };
    return [makeStep('rtt', transport, idParts, params, serverOptions(config, transport))];
  },

  async runRepeat(ctx) {
    const step = expectStep(ctx, 'rtt');
    const clients = numberParam(step, 'clients');
    const ratePerClient = numberParam(step, 'ratePerClient');
    const payload = filler(numberParam(step, 'payloadBytes'));
    const drainWithinMs = drainMs(pollIntervalOf(step));
    const rooms = repeatRooms('rtt', clients);
    const notes: string[] = [];

    const latency = createHistogram();
    const uncorrected = createHistogram();
    const schedulerLag = createHistogram();
    let sent = 0;
    let acked = 0;
    let failed = 0;
    let firstFailure: string | undefined;
    let steadyAcks = 0;
    let steady = false;
    let counting = false;
    const pending = new InFlight();

    await primeRooms(ctx.server, rooms);
    const pool = await connectPool(ctx, clients, rooms);
    try {
      ctx.progress(0.1);
      const window = loadWindow(ctx);
      const { fromUs, toUs } = window;

      // Request k is made by client k mod C: each client at ratePerClient, interleaved evenly.
      const fire = (k: number, intendedUs: number): void => {
        const member = pool.members[k % clients];
        const inWindow = intendedUs >= fromUs && intendedUs < toUs;
        const startedUs = nowUs();
        if (inWindow) {
          sent++;
          recordUs(schedulerLag, startedUs - intendedUs);
        }
        const trip = member.client.publish(member.room, payload).then(
          () => {
            const ackUs = nowUs();
            if (steady) steadyAcks++;
            if (!inWindow || counting) return;
            acked++;
            recordUs(latency, ackUs - intendedUs);
            recordUs(uncorrected, ackUs - startedUs);
          },
          (error: unknown) => {
            if (!inWindow || counting) return;
            failed++;
            firstFailure ??= error instanceof Error ? error.message : String(error);
          },
        );
        pending.add(trip);
      };

      const samples = await runLoadWindow(ctx, pool, window, { rate: ratePerClient * clients, fire, onOpen: () => (steady = true) });

      // Outstanding round trips get a bounded drain; those still unanswered count as lost.
      await pending.settle(drainWithinMs);
      // Counting starts: a round trip answered from now on (while the pool closes) is no longer recorded.
      counting = true;
      const wireBytes = pool.steadyBytes();
      steady = false;
      const unanswered = sent - acked - failed;
      if (failed > 0) notes.push(`${failed} round trips failed (e.g. ${firstFailure})`);
      if (unanswered > 0) notes.push(`${unanswered} round trips unanswered ${drainWithinMs} ms after the window`);
      const errors = pool.errors();
      if (errors.count > 0) notes.push(`${errors.count} client errors during the repeat (e.g. ${errors.example})`);
      notes.push('bytes per message: per acknowledged round trip (request, ack and the echo to the client, subscribed to its own room); envelope = the publish request JSON around the payload');

      const split = { payload: payload.length, envelope: JSON.stringify({ room: rooms[0], payload }).length - payload.length };
      const seconds = ctx.durationMs / 1000;
      return {
        values: {
          deliveredPerSec: acked / seconds,
          publishedPerSec: sent / seconds,
          ...bytesValues(wireBytes, steadyAcks, split),
        },
        histograms: { latency, latencyUncorrected: uncorrected, schedulerLag },
        delivery: { expected: sent, delivered: acked, lost: sent - acked, duplicated: 0, outOfOrder: 0 },
        bytes: split,
        ...samples,
        notes,
      };
    } finally {
      await pool.close();
    }
  },
};
