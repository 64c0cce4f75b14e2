import { nowUs } from '../../servers/clock.ts';
import { ClientPool } from '../client-pool.ts';
import { createHistogram, recordUs } from '../histogram.ts';
import { bytesPerMessage } from '../message-bytes.ts';
import type { Scenario, StepPlan } from '../scenario.ts';
import { clientOptionsFor, drainMs, expectStep, makeStep, numberParam, primeRooms, progressTicker, repeatRooms, runOpenLoop, serverOptions } from './common.ts';

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
    const steps: StepPlan[] = [];
    const poll = transport === 'short-polling' ? config.pollIntervalsMs[0] : undefined;
    for (const clients of config.clients) {
      for (const payload of config.payload) {
        const idParts = { clients, rate: config.rttRate, payload, ...(poll !== undefined ? { poll } : {}) };
        const params = { clients, ratePerClient: config.rttRate, payloadBytes: payload, ...(poll !== undefined ? { pollIntervalMs: poll } : {}) };
        steps.push(makeStep('rtt', transport, idParts, params, serverOptions(config, transport)));
      }
    }
    return steps;
  },

  async runRepeat(ctx) {
    const step = expectStep(ctx, 'rtt');
    const clients = numberParam(step, 'clients');
    const ratePerClient = numberParam(step, 'ratePerClient');
    const payload = filler(numberParam(step, 'payloadBytes'));
    const pollIntervalMs = typeof step.params.pollIntervalMs === 'number' ? step.params.pollIntervalMs : undefined;
    const rooms = repeatRooms('rtt', clients);
    const notes: string[] = [];

    const latency = createHistogram();
    const uncorrected = createHistogram();
    const schedulerLag = createHistogram();
    let windowStartUs = Infinity;
    let windowEndUs = Infinity;
    let sent = 0;
    let acked = 0;
    let failed = 0;
    let firstFailure: string | undefined;
    let steadyAcks = 0;
    let steady = false;
    const pending = new Set<Promise<void>>();

    await primeRooms(ctx.server, rooms);
    const pool = await ClientPool.connect({
      transport: step.transport,
      host: ctx.server.host,
      port: ctx.server.port,
      clients,
      rooms,
      clientOptions: clientOptionsFor(step),
      signal: ctx.signal,
    });
    try {
      ctx.progress(0.1);
      const startUs = Math.round(nowUs()) + 1_000;
      windowStartUs = startUs + ctx.warmupMs * 1000;
      windowEndUs = windowStartUs + ctx.durationMs * 1000;

      // Request k is made by client k mod C: each client at ratePerClient, interleaved evenly.
      const fire = (k: number, intendedUs: number): void => {
        const member = pool.members[k % clients];
        const inWindow = intendedUs >= windowStartUs && intendedUs < windowEndUs;
        const startedUs = nowUs();
        if (inWindow) {
          sent++;
          recordUs(schedulerLag, startedUs - intendedUs);
        }
        const trip = member.client.publish(member.room, payload).then(
          () => {
            const ackUs = nowUs();
            if (steady) steadyAcks++;
            if (!inWindow) return;
            acked++;
            recordUs(latency, ackUs - intendedUs);
            recordUs(uncorrected, ackUs - startedUs);
          },
          (error: unknown) => {
            if (!inWindow) return;
            failed++;
            firstFailure ??= error instanceof Error ? error.message : String(error);
          },
        );
        pending.add(trip);
        void trip.finally(() => pending.delete(trip));
      };

      const opening = (async () => {
        const waitMs = (windowStartUs - nowUs()) / 1000;
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        pool.resetSteady();
        steady = true;
        await ctx.server.startResourceWindow();
        ctx.generator.start();
      })();
      opening.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      const stopTicker = progressTicker(ctx, 0.15, 0.9, ctx.warmupMs + ctx.durationMs);
      try {
        await runOpenLoop({ rate: ratePerClient * clients, durationMs: ctx.warmupMs + ctx.durationMs, startUs, signal: ctx.signal, fire });
        await opening;
      } finally {
        stopTicker();
      }
      const generator = ctx.generator.end();
      const serverSample = await ctx.server.endResourceWindow();

      // Outstanding round trips get a bounded drain; those still unanswered count as lost.
      await Promise.race([Promise.allSettled([...pending]), new Promise((resolve) => setTimeout(resolve, drainMs(pollIntervalMs)).unref())]);
      const wireBytes = pool.steadyBytes();
      steady = false;
      const unanswered = sent - acked - failed;
      if (failed > 0) notes.push(`${failed} round trips failed (e.g. ${firstFailure})`);
      if (unanswered > 0) notes.push(`${unanswered} round trips unanswered ${drainMs(pollIntervalMs)} ms after the window`);
      const errors = pool.errors();
      if (errors.count > 0) notes.push(`${errors.count} client errors during the repeat (e.g. ${errors.example})`);
      notes.push('bytes per message: per acknowledged round trip (request, ack and the echo to the client, subscribed to its own room); envelope = the publish request JSON around the payload');

      const split = { payload: payload.length, envelope: JSON.stringify({ room: rooms[0], payload }).length - payload.length };
      const perMessage = bytesPerMessage(wireBytes, steadyAcks, split);
      const seconds = ctx.durationMs / 1000;
      return {
        values: {
          deliveredPerSec: acked / seconds,
          publishedPerSec: sent / seconds,
          ...(steadyAcks > 0 ? { bytesPerMessage: perMessage.total, transportBytesPerMessage: perMessage.transport } : {}),
        },
        histograms: { latency, latencyUncorrected: uncorrected, schedulerLag },
        delivery: { expected: sent, delivered: acked, lost: sent - acked, duplicated: 0, outOfOrder: 0 },
        bytes: split,
        server: serverSample,
        generator,
        notes,
      };
    } finally {
      await pool.close();
    }
  },
};
