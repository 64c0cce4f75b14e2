import { z } from 'zod';
import { nowUs } from '../../protocol/clock.ts';
import { DEFAULT_LIMITS } from '../../protocol/limits.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { ScheduleReport } from '../../protocol/server-ipc.ts';
import { polls, transportFacts } from '../../protocol/transports.ts';
import { retainedEntries } from '../../servers/feed.ts';
import type { PooledClient } from '../run/client-pool.ts';
import { DeliveryRecorder } from '../measure/delivery-recorder.ts';
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

/**
 * Watches the server while a client is stalled, every SAMPLE_MS: the moment it drops a slow client, and the
 * peak of its RSS (each sample ends a resource window, whose end figure is the RSS then, and opens the next).
 */
class StallWatch {
  droppedAt: number | undefined;
  rssBefore = 0;
  rssPeak = 0;
  #sampling = true;
  #loop: Promise<void> = Promise.resolve();

  private constructor(private readonly server: ServerControl) {}

  static async start(server: ServerControl, signal: AbortSignal): Promise<StallWatch> {
    const watch = new StallWatch(server);
    const droppedBefore = (await server.stats()).slowClientsDropped;
    await server.startResourceWindow();
    watch.rssBefore = watch.rssPeak = await watch.#sampleRss();
    watch.#loop = (async () => {
      while (watch.#sampling) {
        await sleep(SAMPLE_MS, signal);
        if (watch.droppedAt === undefined && (await server.stats()).slowClientsDropped > droppedBefore) watch.droppedAt = nowUs();
        watch.rssPeak = Math.max(watch.rssPeak, await watch.#sampleRss());
      }
    })();
    watch.#loop.catch(() => undefined);
    return watch;
  }

  async #sampleRss(): Promise<number> {
    const sample = await this.server.endResourceWindow();
    await this.server.startResourceWindow();
    return sample.rssBytes;
  }

  /** Stops sampling; the last window's end is the last RSS sample. */
  async stop(): Promise<void> {
    this.#sampling = false;
    await this.#loop.catch(() => undefined);
    this.rssPeak = Math.max(this.rssPeak, (await this.server.endResourceWindow()).rssBytes);
  }
}

/** The seqs a room got over the slices of the stall (contiguous: nothing else publishes there). */
function sliceRange(reports: readonly ScheduleReport[], room: string): { firstSeq: number; lastSeq: number } {
  const slices = reports.map((r) => r.rooms[room]).filter((r) => r !== undefined && r.published > 0);
  return slices.length > 0 ? { firstSeq: slices[0]!.firstSeq, lastSeq: slices[slices.length - 1]!.lastSeq } : { firstSeq: 1, lastSeq: 0 };
}

/** The outcome in words, and the bytes of the stalled room the feed's log still holds (part of the RSS growth, not the client's queue). */
function stallOutcome(o: { stalledRoom: string; stalledPublished: number; stalledPayloadBytes: number; stallMs: number; watch: StallWatch; dropAfterMs: number | undefined }): { note: string; logBytes: number } {
  const envelope = JSON.stringify({ seq: o.stalledPublished + 1, room: o.stalledRoom, ts: nowUs(), at: nowUs(), payload: '' }).length;
  const retained = retainedEntries(o.stalledPublished + 1, o.stalledPayloadBytes + envelope);
  const logBytes = retained * (o.stalledPayloadBytes + envelope);
  const grew = `server RSS ${Math.round(o.watch.rssBefore / 1e6)} MB before the stall, ${Math.round(o.watch.rssPeak / 1e6)} MB at its peak (the feed's log of the stalled room holds about ${Math.round(logBytes / 1e6)} MB of that)`;
  const note = o.dropAfterMs === undefined ? `not dropped within ${o.stallMs} ms of stalling; ${grew}` : `dropped ${Math.round(o.dropAfterMs)} ms after it stopped reading (sampled every ${SAMPLE_MS} ms); ${grew}`;
  return { note, logBytes };
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
    const { server } = ctx;
    const { rate, payloadBytes, stalledPayloadBytes, stalledRate, stallMs, pollIntervalMs } = ctx.params;
    if (polls(ctx.step.transport)) throw new Error(`slow-consumer does not apply to ${ctx.step.transport}: the client pulls`);
    const others = ctx.params.clients - 1;
    const window = new MeasuredWindow(ctx, 'slow', ctx.params.rooms);
    const stalledWindow = new MeasuredWindow(ctx, 'stalled', 1);
    const stalledRoom = stalledWindow.rooms[0]!;
    const recorder = new DeliveryRecorder(others, { binary: transportFacts(ctx.step.transport).binary });
    const onMessage = (member: PooledClient, message: FeedMessage, receivedAt: number): void => {
      if (message.room === member.room && window.inWindow(message.at)) recorder.receive(member.index, message, receivedAt);
    };

    try {
      const members = others > 0 ? (await window.connect(others, { onMessage, prime: payloadBytes })).members : [];
      // No reconnect: once dropped, the stalled client stays gone.
      const stalledClient = (await stalledWindow.connect(1, { prime: payloadBytes, clientOptions: { reconnect: false } })).members[0]!.client;
      ctx.progress(0.1);
      const watch = await StallWatch.start(server, ctx.signal);
      ctx.generator.start();
      for (const socket of stalledClient.meter.openSockets()) socket.pause();
      const stallStart = nowUs();
      window.bound(stallStart);
      const reports: ScheduleReport[] = [];
      let stalledPublished = 0;
      try {
        // Publishing in slices, so it stops as soon as the client is dropped.
        while (watch.droppedAt === undefined && nowUs() - stallStart < stallMs * 1000) {
          ctx.progress(0.1 + 0.7 * Math.min(1, (nowUs() - stallStart) / (stallMs * 1000)));
          const [report, heavy] = await Promise.all([
            others > 0 ? server.schedule({ rate, rooms: window.rooms, durationMs: SLICE_MS, payloadBytes }) : undefined,
            server.schedule({ rate: stalledRate, rooms: [stalledRoom], durationMs: SLICE_MS, payloadBytes: stalledPayloadBytes }),
          ]);
          if (report) reports.push(report);
          stalledPublished += heavy.rooms[stalledRoom]?.published ?? 0;
        }
      } finally {
        await watch.stop();
      }
      const generator = ctx.generator.end();
      // Gone either way: let the server free what it queued for the client.
      for (const socket of stalledClient.meter.openSockets()) socket.destroy();

      const expected = (room: string) => sliceRange(reports, room);
      const drainWithinMs = drainMs(pollIntervalMs, ctx.step.network);
      const lost = () => recorder.counts(members, expected).lost;
      await window.drain(() => recorder.caughtUp(members, (room) => expected(room).lastSeq - expected(room).firstSeq + 1), drainWithinMs, lost, (n) => `${n} deliveries to the other clients still missing ${drainWithinMs} ms after the stall`);
      await window.stop();
      const dropAfterMs = watch.droppedAt === undefined ? undefined : (watch.droppedAt - stallStart) / 1000;
      const { note, logBytes } = stallOutcome({ stalledRoom, stalledPublished, stalledPayloadBytes, stallMs, watch, dropAfterMs });
      const slowConsumer = { note, dropped: dropAfterMs !== undefined, ...(dropAfterMs !== undefined ? { dropAfterMs } : {}), maxBufferedBytes: DEFAULT_LIMITS.maxBufferedBytes, rssBeforeBytes: watch.rssBefore, rssPeakBytes: watch.rssPeak, logBytes };
      return {
        values: {},
        histograms: { latency: recorder.latency },
        generator,
        reliability: { fault: 'slow-consumer', slowConsumer },
        notes: [note, ...window.notes],
        ...(others > 0 ? { delivery: recorder.counts(members, expected) } : {}),
      };
    } finally {
      await Promise.all([window.close(), stalledWindow.close()]);
    }
  },
});
