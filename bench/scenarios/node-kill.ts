import { nowUs } from '../../protocol/clock.ts';
import type { ScheduleReport } from '../../protocol/server-ipc.ts';
import { publishedIn } from '../measure/window-receiver.ts';
import { FAULT_ID, faultDrainMs, faultParams, faultSteps, ResumeClock, resumeWindow } from './fault-common.ts';
import { defineScenario } from './scenario.ts';
import { progressTicker, sleep } from './waits.ts';

/**
 * node-kill (run --nodes N, N ≥ 2, on a feed in Redis): C clients spread over the N nodes receive an open-loop
 * schedule published on node 0; a third of the way through, the last node is SIGKILLed for good while the
 * schedule goes on. Its clients find it gone, move to the next node (clients/endpoint-ring.ts) and resume there
 * from their cursor, which any node answers from the feed. Measured as drop is: each moved client's time from
 * the kill to its first message published after it, and what every client lost, got twice or out of order by
 * sequence number against the schedule's report. The feed outlives any node, so nothing should be lost.
 */
/** How soon after kill(2) a SIGKILLed node can no longer deliver, µs (a bound with room to spare). */
const KILLED_WITHIN_US = 1_000;

export const nodeKill = defineScenario({
  name: 'node-kill',
  params: faultParams,
  id: FAULT_ID,

  // Only where there is a node to lose and another to move to: the plan keeps its steps at 2 nodes or more.
  minNodes: 2,

  plan(config, transport) {
    if (Math.max(...config.nodes) < 2) return [];
    return faultSteps(config, transport, { bothRecoveries: false, extra: {} });
  },

  async runRepeat(ctx) {
    const { server, signal } = ctx;
    const { clients, rate, durationMs, payloadBytes, pollIntervalMs } = ctx.params;
    const nodes = server.endpoints?.length ?? 1;
    if (!server.killNode || nodes < 2) throw new Error('node-kill needs a server of several nodes (run --nodes 2 --feed redis)');
    const killed = nodes - 1;
    // Client i is on node i mod N (bench/run/client-pool.ts): these are the killed node's.
    const moving = Array.from({ length: clients }, (_, i) => i).filter((i) => i % nodes === killed);
    const { window, recorder, clock, onMessage } = resumeWindow(ctx, 'node-kill');

    try {
      const pool = await window.connect(clients, { onMessage, prime: payloadBytes });
      ctx.progress(0.1);
      // The killed node's resource window would die with it: only the load process is sampled.
      window.bound(nowUs());
      ctx.generator.start();
      const stopTicker = progressTicker(ctx, 0.1, 0.8, durationMs);
      const scheduling = server.schedule({ rate, rooms: window.rooms, durationMs, payloadBytes });
      scheduling.catch(() => undefined);
      let killedAt = 0;
      let report: ScheduleReport;
      try {
        await sleep(durationMs / 3, signal);
        clock.watch(nowUs());
        killedAt = await server.killNode(killed);
        report = await scheduling;
      } finally {
        stopTicker();
      }
      const generator = ctx.generator.end();

      const expected = (room: string) => publishedIn(report.rooms, room);
      const drainWithinMs = faultDrainMs(pollIntervalMs);
      const lost = () => recorder.counts(pool.members, expected).lost;
      await window.drain(() => recorder.caughtUp(pool.members, (room) => expected(room).published), drainWithinMs, lost, (n) => `${n} deliveries still missing ${drainWithinMs} ms after the schedule ended`);
      await window.stop((n, example) => `${n} client errors while the killed node's clients moved (expected; e.g. ${example})`);
      const delivery = recorder.counts(pool.members, expected);

      // Only the moved clients reconnected. A message published 1 ms after the SIGKILL can only have reached them
      // from another node (the kernel ends a SIGKILLed process at once; waiting for its exit to be seen took up
      // to hundreds of ms on a loaded machine, past the end of a short schedule).
      const times = clock.times(killedAt, killedAt + KILLED_WITHIN_US);
      const { histogram, resumed } = ResumeClock.summary(moving.map((i) => times[i]));
      const notes = window.notes;
      notes.push(`node ${killed} of ${nodes} SIGKILLed a third of the way through; its ${moving.length} clients moved to node ${(killed + 1) % nodes} and resumed from their cursors (the schedule published on node 0 throughout)`);
      if (resumed < moving.length) notes.push(`${moving.length - resumed} of ${moving.length} moved clients received nothing published after the kill`);
      const published = Object.values(report.rooms).reduce((n, r) => n + r.published, 0);
      return {
        values: { publishedPerSec: published / (durationMs / 1000), deliveredPerSec: delivery.delivered / (durationMs / 1000) },
        histograms: { reconnect: histogram },
        delivery,
        generator,
        reliability: { fault: 'node-kill', clients, resumed: clients - moving.length + resumed, moved: moving.length, movedResumed: resumed },
        notes,
      };
    } finally {
      await window.close();
    }
  },
});
