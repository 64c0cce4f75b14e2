import { transportFacts } from '../../protocol/transports.ts';
import type { z } from 'zod';
import { nowUs } from '../../protocol/clock.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { ClientGroup, PooledClient } from '../run/client-pool.ts';
import { WindowReceiver, type ExpectedRooms, type WindowTally } from '../measure/window-receiver.ts';
import type { ChatSends } from '../agent/agent-protocol.ts';
import { AgentClientGroup } from '../agent/agent-group.ts';
import { chatPayload, parseChatPayload } from './chat-payload.ts';
import { bytesValues, MeasuredWindow } from './measured-window.ts';
import { openLoadWindow, runOpenLoop, Sends } from './open-loop.ts';
import { byteSize, clientsInRooms, firstPollInterval, perSecond, serverOptions } from './params.ts';
import { defineScenario, type PlannedStep, type RepeatContext } from './scenario.ts';
import { drainMs } from './waits.ts';

/**
 * chat: C clients in K rooms, each publishing through its own transport (client.publish) at a fixed rate
 * on an open-loop schedule, every client receiving everything published to its room (its own messages
 * too: the feed hands a message to every subscriber of the room).
 *
 * POST /publish stamps `at` = `ts` on the server, so the sender's own times travel in the payload:
 * `<intended µs>|<sent µs>|` then filler up to the payload size. Latency runs from the intended send time
 * (corrected) and from the actual send time (uncorrected) to each receiver.
 *
 * Under run --agents the load agents hold the clients: each sends its clients' share of the one open loop
 * (event k is client k mod C's, wherever that client lives) and records what they receive; the seqs every
 * agent's publishes were acknowledged with make up what each room's clients should have.
 */

/** Every client sends and receives. */
export const chatParams = clientsInRooms.extend({
  /** Messages/s sent by each client (id key `rate`: per client here, unlike push's rate over all rooms). */
  ratePerClient: perSecond,
  /** Payload size, bytes (id key `payload`); never less than the send times it carries. */
  payloadBytes: byteSize,
});
export type ChatParams = z.infer<typeof chatParams>;

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
    const receiver = new WindowReceiver(clients, { lagAtReceipt: false, binary: transportFacts(ctx.step.transport).binary });

    const onMessage = (member: PooledClient, message: FeedMessage, receivedAt: number): void => {
      const times = parseChatPayload(message.payload);
      if (times && window.inWindow(times.intendedUs) && message.room === member.room) receiver.receive(member, message, receivedAt, times);
    };

    try {
      const pool = await window.connect(clients, { onMessage, agents: 'chat' });
      ctx.progress(0.1);
      const side = pool instanceof AgentClientGroup ? inAgents(pool) : inThisProcess(ctx, window, pool, receiver);
      // Agents learn the schedule over IPC before its first event: it starts 20 ms from now rather than 1.
      const samples = await openLoadWindow(ctx, window, (times) => side.load({ ...times, rate: ratePerClient * clients, payloadBytes }), pool instanceof AgentClientGroup ? 20 : 1);

      // Drain: acks first (they define what is expected), then deliveries, within one bound.
      const deadline = Date.now() + drainWithinMs;
      const sends = await side.settle(drainWithinMs);
      const expected: ExpectedRooms = Object.fromEntries(window.rooms.map((room) => [room, { seqs: sends.acked[room] ?? [] }]));
      const lost = async () => (await side.tally(expected)).delivery.lost;
      await window.drain(() => side.caughtUp(expected), Math.max(0, deadline - Date.now()), lost, (n) => `${n} deliveries still missing ${drainWithinMs} ms after the window`);
      const { wireBytes, receipts } = await window.stop();
      const tally = await side.tally(expected);
      const delivery = tally.delivery;

      const notes = [...window.notes];
      if (sends.failed > 0) notes.push(`${sends.failed} publishes in the window failed (e.g. ${sends.firstFailure}); their messages are not expected`);
      if (sends.pending > 0) notes.push(`${sends.pending} publishes unacknowledged after the drain; their messages are not expected`);
      const smallest = chatPayload(nowUs(), nowUs(), 0).length;
      if (payloadBytes < smallest) notes.push(`payloads carry the send times, so they are at least ${smallest} bytes`);
      const seconds = ctx.durationMs / 1000;
      return {
        values: { deliveredPerSec: delivery.delivered / seconds, publishedPerSec: sends.inWindow / seconds, ...bytesValues(wireBytes, receipts, tally.bytes) },
        histograms: tally.histograms,
        delivery,
        bytes: tally.bytes,
        ...samples,
        notes,
      };
    } finally {
      await window.close();
    }
  },
});

/** Where chat's clients send from and record what they receive: this process, or the load agents. */
interface ChatSide {
  /** Runs the open loop (its warm-up and window, `times` says when); resolves once the last event fired. */
  load(load: { startUs: number; fromUs: number; toUs: number; durationMs: number; rate: number; payloadBytes: number }): Promise<unknown>;
  /** Waits up to `withinMs` for the publishes to be answered. */
  settle(withinMs: number): Promise<ChatSends>;
  caughtUp(expected: ExpectedRooms): boolean | Promise<boolean>;
  tally(expected: ExpectedRooms): WindowTally | Promise<WindowTally>;
}

function inAgents(group: AgentClientGroup): ChatSide {
  return { load: (load) => group.load(load), settle: (ms) => group.settle(ms), caughtUp: (expected) => group.caughtUp(expected), tally: (expected) => group.tally(expected) };
}

function inThisProcess(ctx: RepeatContext, window: MeasuredWindow, pool: ClientGroup, receiver: WindowReceiver): ChatSide {
  const clients = pool.members.length;
  const sends = new Sends();
  /** Seqs acknowledged for messages intended inside the window, per room: what each receiver should get. */
  const acked = new Map<string, number[]>(window.rooms.map((room) => [room, []]));
  return {
    load: ({ startUs, durationMs, rate, payloadBytes }) => {
      // Message k is sent by client k mod C: each client at ratePerClient, the sends interleaved evenly.
      const fire = (k: number, scheduledUs: number): void => {
        // Rounded once, as the payload carries it, so sender and receivers agree on the window edges.
        const intendedUs = Math.round(scheduledUs);
        const member = pool.members[k % clients]!;
        const sentUs = nowUs();
        const inWindow = window.inWindow(intendedUs);
        if (inWindow) receiver.recordLag(sentUs - intendedUs);
        sends.track(member.client.publish(member.room, chatPayload(intendedUs, sentUs, payloadBytes)), inWindow, (seq) => {
          if (inWindow) acked.get(member.room)!.push(seq);
        });
      };
      return runOpenLoop({ rate, durationMs, startUs, signal: ctx.signal, fire });
    },
    settle: async (withinMs) => {
      await sends.settle(withinMs);
      return { acked: Object.fromEntries(acked), inWindow: sends.inWindow, failed: sends.failed, ...(sends.firstFailure !== undefined ? { firstFailure: sends.firstFailure } : {}), pending: sends.pending };
    },
    caughtUp: (expected) => receiver.caughtUp(pool.members, expected),
    tally: (expected) => receiver.tally(pool.members, expected),
  };
}
