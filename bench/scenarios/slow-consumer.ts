import { z } from 'zod';
import { nowUs } from '../../protocol/clock.ts';
import { DEFAULT_LIMITS } from '../../protocol/limits.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { ScheduleReport } from '../../protocol/server-ipc.ts';
import { polls } from '../../protocol/transports.ts';
import { DEFAULT_FEED_OPTIONS } from '../../servers/feed.ts';
import type { PooledClient } from '../run/client-pool.ts';
import { createHistogram, recordUs } from '../measure/histogram.ts';
import type { RepeatMeasurement } from '../measure/repeat-measurement.ts';
import { SequenceTracker, sumDelivery } from '../measure/sequence-tracker.ts';
import { MeasuredWindow } from './measured-window.ts';
import { byteSize, count, duration, firstPollInterval, perSecond, pollInterval, serverOptions } from './params.ts';
import { defineScenario, type ServerControl } from './scenario.ts';
import { drainMs, sleep } from './waits.ts';

/**
 * slow-consumer: one client stops reading (its sockets are paused, so the kernel buffers fill and then the
 * server's own queue for it grows) while the others keep up. The server's per-connection policy
 * (limits.maxBufferedBytes, docs/reliability.md) should drop the stalled client; meanwhile the server's RSS
 * is sampled and the other clients' latency and loss are measured.
 *
 * The stalled client has a room of its own fed with large payloads, so its queue fills in well under a
 * second; the others' rooms get the ordinary rate and payload. Polling clients pull: the server holds at
 * most one answer per client and never queues for it, so there is nothing to drop and no step is planned
 * (the report says "not applicable: the client pulls").
 */

export const slowConsumerParams = z.object({
  /** Clients, one of which stalls. */
  clients: count,
  /** Messages/s to the other clients' rooms (id key `rate`). */
  rate: perSecond,
  /** Rooms of the other clients, at most one per client (not in the id). */
  rooms: count,
  /** Payload of the other clients' messages, bytes. */
  payloadBytes: byteSize,
  /** Payload of the stalled client's messages, bytes. */
  stalledPayloadBytes: byteSize,
  /** Messages/s to the stalled client's room. */
  stalledRate: perSecond,
  /** The longest the client stays stalled waiting for the server to drop it, ms. */
  stallMs: duration,
  /** Short polling's interval, ms (no step: polling is not applicable). */
  pollIntervalMs: pollInterval,
});
export type SlowConsumerParams = z.infer<typeof slowConsumerParams>;

/**
 * The documented bound on the server's RSS growth while one client is stalled (docs/reliability.md):
 * maxBufferedBytes plus one message (the per-connection queue), plus what the feed's log keeps of the stalled
 * client's room, plus this much for V8 and the allocator (freed buffers are not returned to the system at
 * once; measured growth beyond the queue and the log was 18–28 MB here).
 */
export const RSS_SLACK_BYTES = 48 * 1024 * 1024;

/** Publishing goes in slices, so it can stop as soon as the client is dropped. */
const SLICE_MS = 200;
/** How often the server's counters and RSS are read during the stall, ms. */
const SAMPLE_MS = 100;

/** RSS now: ends the open resource window (its end figure) and opens the next one. */
async function sampleRss(server: ServerControl): Promise<number> {
  const sample = await server.endResourceWindow();
  await server.startResourceWindow();
  return sample.rssBytes;
}

export const slowConsumer = defineScenario({
  name: 'slow-consumer',
  params: slowConsumerParams,
  id: [['clients', 'clients'], ['rate', 'rate'], ['pollIntervalMs', 'poll']],

  plan(config, transport) {
    if (polls(transport)) return [];
    const params = {
      clients: config.faultClients,
      rate: config.faultRate,
      rooms: Math.max(1, Math.min(config.rooms, config.faultClients - 1)),
      payloadBytes: config.payload[0]!,
      stalledPayloadBytes: config.slowConsumerPayloadBytes,
      stalledRate: config.slowConsumerRate,
      stallMs: config.slowConsumerStallMs,
      ...firstPollInterval(config, transport),
    };
    return [{ params, server: serverOptions(config, transport), repeats: config.faultRepeats }];
  },

  async runRepeat(ctx) {
    const { server, signal } = ctx;
    const { rate, payloadBytes, stalledPayloadBytes, stalledRate, stallMs, pollIntervalMs } = ctx.params;
    const maxBufferedBytes = DEFAULT_LIMITS.maxBufferedBytes;
    if (polls(ctx.step.transport)) throw new Error(`slow-consumer does not apply to ${ctx.step.transport}: the client pulls`);
    const others = ctx.params.clients - 1;
    const window = new MeasuredWindow(ctx, 'slow', ctx.params.rooms);
    const stalledWindow = new MeasuredWindow(ctx, 'stalled', 1);
    const stalledRoom = stalledWindow.rooms[0]!;
    const trackers = Array.from({ length: others }, () => new SequenceTracker());
    const latency = createHistogram();

    const onMessage = (member: PooledClient, message: FeedMessage, receivedAt: number): void => {
      if (message.room !== member.room || !window.inWindow(message.at)) return;
      if (trackers[member.index]!.observe(message.seq) === 'duplicate') return;
      recordUs(latency, receivedAt - message.at);
    };

    try {
      const pool = others > 0 ? await window.connect(others, { onMessage, prime: payloadBytes }) : undefined;
      // No reconnect: once dropped, the stalled client stays gone.
      const stalled = await stalledWindow.connect(1, { prime: payloadBytes, clientOptions: { reconnect: false } });
      const stalledClient = stalled.members[0]!.client;
      ctx.progress(0.1);
      const droppedBefore = (await server.stats()).slowClientsDropped;
      await server.startResourceWindow();
      const rssBefore = await sampleRss(server);
      let rssPeak = rssBefore;
      let droppedAt: number | undefined;

      ctx.generator.start();
      for (const socket of stalledClient.meter.openSockets()) socket.pause();
      const stallStart = nowUs();
      window.bound(stallStart);
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          await sleep(SAMPLE_MS, signal);
          const stats = await server.stats();
          if (droppedAt === undefined && stats.slowClientsDropped > droppedBefore) droppedAt = nowUs();
          rssPeak = Math.max(rssPeak, await sampleRss(server));
        }
      })();
      sampler.catch(() => undefined);

      const reports: ScheduleReport[] = [];
      let stalledPublished = 0;
      try {
        while (droppedAt === undefined && nowUs() - stallStart < stallMs * 1000) {
          ctx.progress(0.1 + 0.7 * Math.min(1, (nowUs() - stallStart) / (stallMs * 1000)));
          const [report, heavy] = await Promise.all([
            others > 0 ? server.schedule({ rate, rooms: window.rooms, durationMs: SLICE_MS, payloadBytes }) : undefined,
            server.schedule({ rate: stalledRate, rooms: [stalledRoom], durationMs: SLICE_MS, payloadBytes: stalledPayloadBytes }),
          ]);
          if (report) reports.push(report);
          stalledPublished += heavy.rooms[stalledRoom]?.published ?? 0;
        }
      } finally {
        sampling = false;
        await sampler.catch(() => undefined);
      }
      rssPeak = Math.max(rssPeak, (await server.endResourceWindow()).rssBytes);
      const generator = ctx.generator.end();
      // Gone either way: let the server free what it queued for the client.
      for (const socket of stalledClient.meter.openSockets()) socket.destroy();

      // The others' expected seqs: every slice, per room (contiguous: nothing else publishes there).
      const expected = new Map(window.rooms.map((room) => {
        const slices = reports.map((r) => r.rooms[room]).filter((r) => r !== undefined && r.published > 0);
        return [room, slices.length > 0 ? { firstSeq: slices[0]!.firstSeq, lastSeq: slices[slices.length - 1]!.lastSeq } : { firstSeq: 1, lastSeq: 0 }];
      }));
      const members = pool?.members ?? [];
      const wanted = (room: string) => Math.max(0, expected.get(room)!.lastSeq - expected.get(room)!.firstSeq + 1);
      const counts = () => members.map((m) => trackers[m.index]!.count(expected.get(m.room)!));
      const drainWithinMs = drainMs(pollIntervalMs);
      await window.drain(() => members.every((m) => trackers[m.index]!.distinct >= wanted(m.room)), drainWithinMs, () => sumDelivery(counts()).lost, (n) => `${n} deliveries to the other clients still missing ${drainWithinMs} ms after the stall`);
      window.stop();
      const delivery = sumDelivery(counts());

      const retained = Math.min(stalledPublished + 1, DEFAULT_FEED_OPTIONS.logLength);
      const envelope = JSON.stringify({ seq: stalledPublished + 1, room: stalledRoom, ts: nowUs(), at: nowUs(), payload: '' }).length;
      const logBytes = retained * (stalledPayloadBytes + envelope);
      const dropAfterMs = droppedAt === undefined ? undefined : (droppedAt - stallStart) / 1000;
      const grew = `server RSS ${Math.round(rssBefore / 1e6)} MB before the stall, ${Math.round(rssPeak / 1e6)} MB at its peak (the feed's log of the stalled room holds about ${Math.round(logBytes / 1e6)} MB of that)`;
      const note = dropAfterMs === undefined
        ? `not dropped within ${stallMs} ms of stalling; ${grew}`
        : `dropped ${Math.round(dropAfterMs)} ms after it stopped reading (sampled every ${SAMPLE_MS} ms); ${grew}`;
      const measurement: RepeatMeasurement = {
        values: {},
        histograms: { latency },
        generator,
        reliability: {
          fault: 'slow-consumer',
          slowConsumer: { note, dropped: dropAfterMs !== undefined, ...(dropAfterMs !== undefined ? { dropAfterMs } : {}), maxBufferedBytes, rssBeforeBytes: rssBefore, rssPeakBytes: rssPeak, logBytes },
        },
        notes: [note, ...window.notes],
      };
      if (others > 0) measurement.delivery = delivery;
      return measurement;
    } finally {
      await Promise.all([window.close(), stalledWindow.close()]);
    }
  },
});
