import { nowUs } from '../../protocol/clock.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import { ClientPool, type PooledClient } from '../run/client-pool.ts';
import type { Scenario } from './scenario.ts';
import { SequenceTracker, sumDelivery } from '../measure/sequence-tracker.ts';
import { clientOptionsFor, expectStep, numberParam, pollIntervalOf, primeRooms, progressTicker, repeatRooms, sleep, waitUntil } from './common.ts';
import { faultDrainMs, faultSteps, ResumeClock } from './fault-common.ts';

/**
 * drop: C clients over K rooms receive an open-loop schedule in the server process; a third of the way
 * through, the server cuts every client connection (ServerControl.dropConnections: the process stays up)
 * while the schedule goes on. Each client resumes by itself — polling by cursor, SSE by Last-Event-ID, ws
 * and raw TCP by their cursor, Socket.IO by connection state recovery (and, in the recovery=off step, by
 * the cursor in its handshake) — and is measured for how long it took (the drop to its first message
 * published after the drop) and what it lost, got twice or out of order, by sequence number against the
 * schedule's report. The room logs hold far more than the gap, so every transport should lose nothing.
 */
export const drop: Scenario = {
  name: 'drop',

  plan(config, transport) {
    return faultSteps(config, transport, 'drop', { bothRecoveries: true });
  },

  async runRepeat(ctx) {
    const step = expectStep(ctx, 'drop');
    const { server, signal } = ctx;
    const clients = numberParam(step, 'clients');
    const rate = numberParam(step, 'rate');
    const durationMs = numberParam(step, 'durationMs');
    const payloadBytes = numberParam(step, 'payloadBytes');
    const pollIntervalMs = pollIntervalOf(step);
    const rooms = repeatRooms('drop', Math.max(1, Math.min(numberParam(step, 'rooms'), clients)));
    const trackers = Array.from({ length: clients }, () => new SequenceTracker());
    const clock = new ResumeClock(clients);
    let windowStartUs = Infinity;

    const onMessage = (member: PooledClient, message: FeedMessage, receivedAt: number): void => {
      // The primer (published before the window) is not part of the schedule's report.
      if (message.room !== member.room || message.at < windowStartUs) return;
      trackers[member.index].observe(message.seq);
      clock.receipt(member.index, message.ts, receivedAt);
    };

    await primeRooms(server, rooms, payloadBytes);
    const pool = await ClientPool.connect({ transport: step.transport, host: server.host, port: server.port, clients, rooms, onMessage, clientOptions: clientOptionsFor(step), signal });
    try {
      ctx.progress(0.1);
      await server.startResourceWindow();
      ctx.generator.start();
      const stopTicker = progressTicker(ctx, 0.1, 0.8, durationMs);
      windowStartUs = nowUs();
      const scheduling = server.schedule({ rate, rooms, durationMs, payloadBytes });
      // Awaited below; this only keeps a failure during the sleep from going unhandled.
      scheduling.catch(() => undefined);
      let dropStartUs = 0;
      let dropEndUs = 0;
      let report;
      try {
        await sleep(durationMs / 3, signal);
        dropStartUs = nowUs();
        clock.watch(dropStartUs);
        await server.dropConnections();
        dropEndUs = nowUs();
        report = await scheduling;
      } finally {
        stopTicker();
      }
      const generator = ctx.generator.end();
      const serverSample = await server.endResourceWindow();

      // Every client must come back and catch up; the bound covers the clients' longest backoff.
      const expectedOf = (room: string) => report.rooms[room]?.published ?? 0;
      const complete = () => pool.members.every((m) => trackers[m.index].distinct >= expectedOf(m.room));
      const drained = await waitUntil(complete, faultDrainMs(pollIntervalMs), signal);

      const counts = pool.members.map((m) => trackers[m.index].count(report.rooms[m.room] ?? { firstSeq: 1, lastSeq: 0 }));
      const delivery = sumDelivery(counts);
      // A message published after the drop's request returned can only have come over a new connection.
      const times = clock.times(dropStartUs, dropEndUs);
      const { histogram, resumed } = ResumeClock.summary(times);
      const notes: string[] = [];
      if (!drained) notes.push(`${delivery.lost} deliveries still missing ${faultDrainMs(pollIntervalMs)} ms after the schedule ended`);
      if (resumed < clients) notes.push(`${clients - resumed} of ${clients} clients received nothing published after the drop`);
      const errors = pool.errors();
      if (errors.count > 0) notes.push(`${errors.count} client errors while reconnecting (expected after a drop; e.g. ${errors.example})`);
      const published = Object.values(report.rooms).reduce((n, r) => n + r.published, 0);
      return {
        values: { publishedPerSec: published / (durationMs / 1000), deliveredPerSec: delivery.delivered / (durationMs / 1000) },
        histograms: { reconnect: histogram },
        delivery,
        server: serverSample,
        generator,
        reliability: { fault: 'drop', clients, resumed },
        notes,
      };
    } finally {
      await pool.close();
    }
  },
};
