import { nowUs } from '../../protocol/clock.ts';
import type { ScheduleReport } from '../../protocol/server-ipc.ts';
import { publishedIn } from '../measure/window-receiver.ts';
import { FAULT_ID, faultDrainMs, faultParams, faultSteps, ResumeClock, resumeWindow } from './fault-common.ts';
import { defineScenario } from './scenario.ts';
import { progressTicker, sleep } from './waits.ts';

/**
 * drop: C clients over K rooms receive an open-loop schedule in the server process; a third of the way
 * through, the server cuts every client connection (ServerControl.dropConnections: the process stays up)
 * while the schedule goes on. Each client resumes by itself — polling by cursor, SSE by Last-Event-ID, ws
 * and raw TCP by their cursor, Socket.IO by connection state recovery (and, in the recovery=off step, by
 * the cursor in its handshake) — and is measured for how long it took (the drop to its first message
 * published after the drop) and what it lost, got twice or out of order, by sequence number against the
 * schedule's report. The room logs hold far more than the gap, so every transport should lose nothing.
 */
export const drop = defineScenario({
  name: 'drop',
  params: faultParams,
  id: FAULT_ID,

  plan(config, transport) {
    return faultSteps(config, transport, { bothRecoveries: true, extra: {} });
  },

  async runRepeat(ctx) {
    const { server, signal } = ctx;
    const { clients, rate, durationMs, payloadBytes, pollIntervalMs } = ctx.params;
    const { window, recorder, clock, onMessage } = resumeWindow(ctx, 'drop');

    try {
      const pool = await window.connect(clients, { onMessage, prime: payloadBytes });
      ctx.progress(0.1);
      await window.begin();
      const stopTicker = progressTicker(ctx, 0.1, 0.8, durationMs);
      const scheduling = server.schedule({ rate, rooms: window.rooms, durationMs, payloadBytes });
      // Awaited below; this only keeps a failure during the sleep from going unhandled.
      scheduling.catch(() => undefined);
      let dropStartUs = 0;
      let dropEndUs = 0;
      let report: ScheduleReport;
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
      const samples = await window.end();

      // Every client must come back and catch up; the bound covers the clients' longest backoff.
      const expected = (room: string) => publishedIn(report.rooms, room);
      const drainWithinMs = faultDrainMs(pollIntervalMs);
      const lost = () => recorder.counts(pool.members, expected).lost;
      await window.drain(() => recorder.caughtUp(pool.members, (room) => expected(room).published), drainWithinMs, lost, (n) => `${n} deliveries still missing ${drainWithinMs} ms after the schedule ended`);
      await window.stop((n, example) => `${n} client errors while reconnecting (expected after a drop; e.g. ${example})`);
      const delivery = recorder.counts(pool.members, expected);

      // A message published after the drop's request returned can only have come over a new connection.
      const { histogram, resumed } = ResumeClock.summary(clock.times(dropStartUs, dropEndUs));
      if (resumed < clients) window.notes.push(`${clients - resumed} of ${clients} clients received nothing published after the drop`);
      const published = Object.values(report.rooms).reduce((n, r) => n + r.published, 0);
      return {
        values: { publishedPerSec: published / (durationMs / 1000), deliveredPerSec: delivery.delivered / (durationMs / 1000) },
        histograms: { reconnect: histogram },
        delivery,
        ...samples,
        reliability: { fault: 'drop', clients, resumed },
        notes: window.notes,
      };
    } finally {
      await window.close();
    }
  },
});
