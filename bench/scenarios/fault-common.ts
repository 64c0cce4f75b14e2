import type { TransportName } from '../../protocol/message.ts';
import type { ResolvedConfig } from '../config/config.ts';
import { createHistogram, recordUs, type Histogram } from '../measure/histogram.ts';
import type { FaultScenarioName, StepParams, StepPlan } from './scenario.ts';
import { firstPollInterval, makeStep, serverOptions } from './common.ts';

/**
 * What the drop and crash scenarios share: their steps (Socket.IO with connection state recovery on and
 * off where it matters), and the reconnect clock: from the fault to each client's first message that was
 * published after it.
 */

/**
 * One step per transport (short polling at its first interval); Socket.IO once per recovery setting when
 * `bothRecoveries`, the "off" step on its own server process (ServerStartOptions.socketIoRecovery = false).
 */
export function faultSteps(config: ResolvedConfig, transport: TransportName, scenario: FaultScenarioName, options: { bothRecoveries: boolean; params?: StepParams }): StepPlan[] {
  const poll = firstPollInterval(config, transport);
  const rooms = Math.min(config.rooms, config.faultClients);
  const base = { clients: config.faultClients, rate: config.faultRate, ...poll.id };
  const params: StepParams = {
    clients: config.faultClients,
    rate: config.faultRate,
    rooms,
    payloadBytes: config.payload[0],
    durationMs: config.faultDurationMs,
    ...poll.params,
    ...options.params,
  };
  const server = serverOptions(config, transport);
  const steps: StepPlan[] = [];
  if (transport === 'socket-io') {
    const modes = options.bothRecoveries ? [true, false] : [true];
    for (const recovery of modes) {
      const id = { ...base, recovery: recovery ? 'on' : 'off' };
      const step = makeStep(scenario, transport, id, { ...params, socketIoRecovery: recovery }, recovery ? server : { ...server, socketIoRecovery: false });
      steps.push({ ...step, repeats: config.faultRepeats });
    }
    return steps;
  }
  return [{ ...makeStep(scenario, transport, base, params, server), repeats: config.faultRepeats }];
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
