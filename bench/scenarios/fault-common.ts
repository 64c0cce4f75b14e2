import { z } from 'zod';
import type { FeedMessage } from '../../protocol/message.ts';
import { transportFacts } from '../../protocol/transports.ts';
import type { PooledClient } from '../run/client-pool.ts';
import { DeliveryRecorder } from '../measure/delivery-recorder.ts';
import { MeasuredWindow } from './measured-window.ts';
import type { TransportName } from '../../protocol/transports.ts';
import type { ResolvedConfig } from '../config/config.ts';
import { createHistogram, recordUs, type Histogram } from '../measure/histogram.ts';
import { byteSize, count, duration, firstPollInterval, perSecond, pollInterval, serverOptions } from './params.ts';
import type { PlannedStep, RepeatContext } from './scenario.ts';
import type { IdSpec } from './step-id.ts';

/**
 * What the drop and crash scenarios share: their parameters and steps (Socket.IO with connection state
 * recovery on and off where it matters), and the reconnect clock: from the fault to each client's first
 * message that was published after it.
 */

export const faultParams = z.object({
  /** Clients, spread over the rooms. */
  clients: count,
  /** Messages/s published over all rooms (id key `rate`). */
  rate: perSecond,
  /** Rooms, at most one per client (not in the id). */
  rooms: count,
  /** Payload size, bytes. */
  payloadBytes: byteSize,
  /** Publishing time around the fault, ms. */
  durationMs: duration,
  /** Short polling's interval, ms (id key `poll`). */
  pollIntervalMs: pollInterval,
  /** Socket.IO only: connection state recovery on or off (id key `recovery`, on/off). */
  socketIoRecovery: z.boolean().optional(),
});
export type FaultParams = z.infer<typeof faultParams>;

export const FAULT_ID: IdSpec<FaultParams> = [
  ['clients', 'clients'],
  ['rate', 'rate'],
  ['pollIntervalMs', 'poll'],
  ['socketIoRecovery', 'recovery', (on) => (on ? 'on' : 'off')],
];

/**
 * One step per transport (short polling at its first interval); Socket.IO once per recovery setting when
 * `bothRecoveries`, the "off" step on its own server process (socketIoRecovery = false).
 */
export function faultSteps<P extends FaultParams>(config: ResolvedConfig, transport: TransportName, options: { bothRecoveries: boolean; extra: Omit<P, keyof FaultParams> }): PlannedStep<P>[] {
  const params = {
    clients: config.faultClients,
    rate: config.faultRate,
    rooms: Math.min(config.rooms, config.faultClients),
    payloadBytes: config.payload[0]!,
    durationMs: config.faultDurationMs,
    ...firstPollInterval(config, transport),
    ...options.extra,
  } as P;
  const server = serverOptions(config, transport);
  if (transport !== 'socket-io') return [{ params, server, repeats: config.faultRepeats }];
  return (options.bothRecoveries ? [true, false] : [true]).map((recovery) => ({
    params: { ...params, socketIoRecovery: recovery },
    server: { ...server, socketIoRecovery: recovery },
    repeats: config.faultRepeats,
  }));
}

/**
 * Per client, the receive time of the first message published after the fault. The fault's moment is
 * only known once its request returns, so receipts after it started are kept (publish and receive stamps,
 * on the shared clock) and judged afterwards: a message published after the server cut the connections
 * can only have come over a new connection.
 */
export class ResumeClock {
  readonly #receipts: Array<Array<[publishedUs: number, receivedUs: number]>>;
  #watchFrom = Infinity;

  constructor(readonly clients: number) {
    this.#receipts = Array.from({ length: clients }, () => []);
  }

  /** Keep receipts from now on (call just before injecting the fault). */
  watch(fromUs: number): void {
    this.#watchFrom = fromUs;
  }

  receipt(client: number, publishedUs: number, receivedUs: number): void {
    if (receivedUs < this.#watchFrom) return;
    const list = this.#receipts[client];
    // Only the earliest receipt of a later-published message matters; keep the list short.
    if (list && list.length < 10_000) list.push([publishedUs, receivedUs]);
  }

  /**
   * Reconnect time per client, µs from `faultUs`, counting only messages published after `publishedAfterUs`
   * (the moment the fault was certainly done); undefined for a client that got none.
   */
  times(faultUs: number, publishedAfterUs: number): Array<number | undefined> {
    return this.#receipts.map((list) => {
      let first = Infinity;
      for (const [published, received] of list) if (published > publishedAfterUs && received < first) first = received;
      return Number.isFinite(first) ? Math.max(0, first - faultUs) : undefined;
    });
  }

  /** The times as a histogram, and how many clients resumed. */
  static summary(times: ReadonlyArray<number | undefined>): { histogram: Histogram; resumed: number } {
    const histogram = createHistogram();
    let resumed = 0;
    for (const t of times) {
      if (t === undefined) continue;
      resumed++;
      recordUs(histogram, t);
    }
    return { histogram, resumed };
  }
}

/** How long after the publishing ends a fault scenario waits for stragglers: the drain plus the clients' longest backoff. */
export function faultDrainMs(pollIntervalMs = 0): number {
  return 2_000 + 2_000 + pollIntervalMs;
}

/**
 * What drop and node-kill measure with: the window, a delivery recorder (sequences and latency per client) and
 * the reconnect clock, fed by one receipt handler that counts the room's messages published in the window.
 */
export function resumeWindow(ctx: RepeatContext<FaultParams>, name: string) {
  const { clients } = ctx.params;
  const window = new MeasuredWindow(ctx, name, ctx.params.rooms);
  const recorder = new DeliveryRecorder(clients, { binary: transportFacts(ctx.step.transport).binary });
  const clock = new ResumeClock(clients);
  const onMessage = (member: PooledClient, message: FeedMessage, receivedAt: number): void => {
    // The primer (published before the window) is not part of the schedule's report.
    if (message.room !== member.room || !window.inWindow(message.at)) return;
    recorder.receive(member.index, message, receivedAt);
    clock.receipt(member.index, message.ts, receivedAt);
  };
  return { window, recorder, clock, onMessage };
}
