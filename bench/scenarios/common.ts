import { randomBytes } from 'node:crypto';
import type { ClientOptions } from '../../clients/client.ts';
import { nowUs } from '../../protocol/clock.ts';
import type { TransportName } from '../../protocol/message.ts';
import { ClientPool, type ClientPoolOptions } from '../run/client-pool.ts';
import type { ResolvedConfig } from '../config/config.ts';
import { bytesPerMessage, type MessageBytes } from '../measure/message-bytes.ts';
import type { RepeatContext, RepeatMeasurement, ResourceSample, ScenarioName, ServerStartOptions, StepParams, StepPlan } from './scenario.ts';

/**
 * What the scenarios share: step ids, per-repeat rooms and client pools, waits that honour the abort
 * signal, the load side's open loop and its measured window.
 */

/** `push/ws/rate=1000/clients=10/payload=64`: parameters in the order given. */
export function stepId(scenario: ScenarioName, transport: TransportName, parts: Record<string, number | string>): string {
  return [scenario, transport, ...Object.entries(parts).map(([k, v]) => `${k}=${v}`)].join('/');
}

export function makeStep(scenario: ScenarioName, transport: TransportName, idParts: Record<string, number | string>, params: StepParams, server: ServerStartOptions): StepPlan {
  return { id: stepId(scenario, transport, idParts), scenario, transport, params: { ...params }, server };
}

/**
 * Server options every scenario starts with. The feed's payload size defaults to the first configured one
 * even where a scenario sends its own payloads, so steps share one server process (the runner reuses a
 * server while the start options stay the same).
 */
export function serverOptions(config: ResolvedConfig, transport: TransportName, payloadBytes: number = config.payload[0]): ServerStartOptions {
  return {
    transport,
    payloadBytes,
    ...(transport === 'socket-io' ? { socketIoTransports: config.socketIoTransports } : {}),
  };
}

/**
 * Short polling's first configured interval, as the step id part and the param it adds (nothing for the
 * other transports): for scenarios that sweep something else and measure short polling at one interval.
 */
export function firstPollInterval(config: ResolvedConfig, transport: TransportName): { id: { poll?: number }; params: { pollIntervalMs?: number } } {
  const poll = transport === 'short-polling' ? config.pollIntervalsMs[0] : undefined;
  return poll === undefined ? { id: {}, params: {} } : { id: { poll }, params: { pollIntervalMs: poll } };
}

/** The step's short-polling interval, ms, if it has one. */
export function pollIntervalOf(step: StepPlan): number | undefined {
  return typeof step.params.pollIntervalMs === 'number' ? step.params.pollIntervalMs : undefined;
}

/** Short polling is measured once per poll interval; every other transport once. */
export function pollIntervals(config: ResolvedConfig, transport: TransportName): (number | undefined)[] {
  return transport === 'short-polling' ? [...config.pollIntervalsMs] : [undefined];
}

/** The client options a step implies (poll interval, Socket.IO transports). */
export function clientOptionsFor(step: StepPlan): Pick<ClientOptions, 'pollIntervalMs' | 'socketIoTransports'> {
  const out: Pick<ClientOptions, 'pollIntervalMs' | 'socketIoTransports'> = {};
  const pollIntervalMs = pollIntervalOf(step);
  if (pollIntervalMs !== undefined) out.pollIntervalMs = pollIntervalMs;
  if (step.server.socketIoTransports) out.socketIoTransports = step.server.socketIoTransports;
  return out;
}

/** `clients` clients of the step's transport and options on the repeat's server, client i in rooms[i % rooms.length]. */
export function connectPool(ctx: RepeatContext, clients: number, rooms: readonly string[], extra: Pick<ClientPoolOptions, 'onMessage' | 'concurrency'> = {}): Promise<ClientPool> {
  return ClientPool.connect({
    transport: ctx.step.transport,
    host: ctx.server.host,
    port: ctx.server.port,
    clients,
    rooms,
    clientOptions: clientOptionsFor(ctx.step),
    signal: ctx.signal,
    ...extra,
  });
}

/**
 * Fresh room names for one repeat. New rooms start at seq 1 with an empty log, so a client connecting
 * with cursor 0 replays nothing from an earlier repeat.
 */
export function repeatRooms(prefix: string, count: number): string[] {
  const token = randomBytes(4).toString('hex');
  return Array.from({ length: count }, (_, i) => `${prefix}-${token}-${i}`);
}

/** Waits `ms`; rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls `done` every `everyMs` until it holds (true) or `timeoutMs` passes (false). */
export async function waitUntil(done: () => boolean, timeoutMs: number, signal?: AbortSignal, everyMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(everyMs, signal);
  }
  return true;
}

/**
 * How long after the measured window messages still in flight are waited for before loss is counted:
 * 2 s (far beyond any healthy latency here) plus one poll interval, during which a short-polling client
 * may not even have asked yet.
 */
export function drainMs(pollIntervalMs = 0): number {
  return 2_000 + pollIntervalMs;
}

/** Reports progress of a phase of known length to the runner's bar, every 100 ms, until stopped. */
export function progressTicker(ctx: RepeatContext, from: number, to: number, expectedMs: number): () => void {
  const started = Date.now();
  const timer = setInterval(() => ctx.progress(from + (to - from) * Math.min(1, (Date.now() - started) / Math.max(1, expectedMs))), 100);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The load side's open-loop schedule (chat and rtt publish from the load process): event k is due at
 * start + k/rate; each timer tick fires every event already due, in order, and never waits for the result
 * of an earlier one. Node timers have ~1 ms granularity, so sub-millisecond spacing is met by catch-up
 * batching, not by spinning; the lateness shows as scheduler lag.
 */
export const LOAD_SCHEDULE_STRATEGY = 'load-side setTimeout ticks with catch-up batching (no spin); lateness reported as scheduler lag';

export function runOpenLoop(options: { rate: number; durationMs: number; startUs?: number; signal?: AbortSignal; fire: (k: number, intendedUs: number) => void }): Promise<number> {
  const total = Math.ceil((options.rate * options.durationMs) / 1000);
  const intervalUs = 1e6 / options.rate;
  const start = options.startUs ?? nowUs();
  return new Promise((resolve, reject) => {
    let k = 0;
    const tick = (): void => {
      if (options.signal?.aborted) return reject(options.signal.reason ?? new Error('aborted'));
      try {
        const now = nowUs();
        while (k < total && start + k * intervalUs <= now) {
          options.fire(k, start + k * intervalUs);
          k++;
        }
      } catch (error) {
        return reject(error);
      }
      if (k >= total) return resolve(total);
      const waitMs = (start + k * intervalUs - nowUs()) / 1000;
      setTimeout(tick, Math.max(1, Math.ceil(waitMs)));
    };
    tick();
  });
}

/** The load side's schedule for one repeat: it starts 1 ms from now; the measured window follows the warm-up. */
export interface LoadWindow {
  startUs: number;
  /** The measured window, [fromUs, toUs), on the shared clock, µs. */
  fromUs: number;
  toUs: number;
}

export function loadWindow(ctx: RepeatContext): LoadWindow {
  const startUs = Math.round(nowUs()) + 1_000;
  const fromUs = startUs + ctx.warmupMs * 1000;
  return { startUs, fromUs, toUs: fromUs + ctx.durationMs * 1000 };
}

/**
 * Runs the load side's open loop over the warm-up and the measured window, `fire`-ing at `rate` events/s.
 * The window opens on the schedule's clock, not when the warm-up happens to end: then the pool's steady
 * bytes restart, `onOpen` runs, and the server's and the generator's resource windows open. Resolves with
 * both resource samples once the last event has fired.
 */
export async function runLoadWindow(
  ctx: RepeatContext,
  pool: ClientPool,
  window: LoadWindow,
  options: { rate: number; fire: (k: number, intendedUs: number) => void; onOpen: () => void },
): Promise<{ generator: ResourceSample; server: ResourceSample }> {
  const opening = (async () => {
    const waitMs = (window.fromUs - nowUs()) / 1000;
    if (waitMs > 0) await sleep(waitMs, ctx.signal);
    pool.resetSteady();
    options.onOpen();
    await ctx.server.startResourceWindow();
    ctx.generator.start();
  })();
  opening.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
  const totalMs = ctx.warmupMs + ctx.durationMs;
  const stopTicker = progressTicker(ctx, 0.15, 0.9, totalMs);
  try {
    await runOpenLoop({ rate: options.rate, durationMs: totalMs, startUs: window.startUs, signal: ctx.signal, fire: options.fire });
    await opening;
  } finally {
    stopTicker();
  }
  const generator = ctx.generator.end();
  return { generator, server: await ctx.server.endResourceWindow() };
}

/** Promises still in flight (publishes awaiting their acks), each forgotten once it settles. */
export class InFlight {
  readonly #pending = new Set<Promise<unknown>>();

  get size(): number {
    return this.#pending.size;
  }

  add(promise: Promise<unknown>): void {
    this.#pending.add(promise);
    void promise.finally(() => this.#pending.delete(promise));
  }

  /** Waits until every one has settled, `ms` at most. */
  async settle(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.#pending]), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }
}

/** The bytes-per-message values, when any message was received in the steady window (none otherwise). */
export function bytesValues(wireBytes: number, receipts: number, split: MessageBytes): RepeatMeasurement['values'] {
  if (receipts <= 0) return {};
  const perMessage = bytesPerMessage(wireBytes, receipts, split);
  return { bytesPerMessage: perMessage.total, transportBytesPerMessage: perMessage.transport };
}

/** Checks a step belongs to the scenario and transport it is given to (a wrong step is a harness bug). */
export function expectStep(ctx: RepeatContext, scenario: ScenarioName): StepPlan {
  if (ctx.step.scenario !== scenario) throw new Error(`${scenario} scenario given a ${ctx.step.scenario} step (${ctx.step.id})`);
  return ctx.step;
}

export const numberParam = (step: StepPlan, name: string): number => {
  const value = step.params[name];
  if (typeof value !== 'number') throw new Error(`step ${step.id}: parameter ${name} missing or not a number`);
  return value;
};

/**
 * Publishes one message to each room before any client connects. A long-polling client is ready when its
 * first poll is answered, which on an empty room takes the whole long-poll timeout; with a message waiting
 * it answers at once. Every transport gets the same primer, so set-up figures stay comparable; its intended
 * time is before any measured window, so no figure counts it.
 */
export async function primeRooms(server: import('./scenario.ts').ServerControl, rooms: readonly string[], payloadBytes?: number): Promise<void> {
  // ceil(rate × 1 ms) = one message per room, round-robin.
  await server.schedule({ rate: rooms.length * 1000, rooms: [...rooms], durationMs: 1, ...(payloadBytes !== undefined ? { payloadBytes } : {}) });
}
