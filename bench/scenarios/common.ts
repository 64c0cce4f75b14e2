import { randomBytes } from 'node:crypto';
import type { ClientOptions } from '../../clients/client.ts';
import { nowUs } from '../../servers/clock.ts';
import type { TransportName } from '../../servers/message.ts';
import type { ResolvedConfig } from '../config.ts';
import type { RepeatContext, ScenarioName, ServerStartOptions, StepParams, StepPlan } from '../scenario.ts';

/** What the scenarios share: step ids, per-repeat rooms, waits that honour the abort signal, the open-loop ticker. */

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

/** Short polling is measured once per poll interval; every other transport once. */
export function pollIntervals(config: ResolvedConfig, transport: TransportName): (number | undefined)[] {
  return transport === 'short-polling' ? [...config.pollIntervalsMs] : [undefined];
}

/** The client options a step implies (poll interval, Socket.IO transports). */
export function clientOptionsFor(step: StepPlan): Pick<ClientOptions, 'pollIntervalMs' | 'socketIoTransports' | 'socketIoRecovery'> {
  const out: Pick<ClientOptions, 'pollIntervalMs' | 'socketIoTransports' | 'socketIoRecovery'> = {};
  if (typeof step.params.pollIntervalMs === 'number') out.pollIntervalMs = step.params.pollIntervalMs;
  if (step.server.socketIoTransports) out.socketIoTransports = step.server.socketIoTransports;
  if (step.server.socketIoRecovery !== undefined) out.socketIoRecovery = step.server.socketIoRecovery;
  return out;
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
export async function primeRooms(server: import('../scenario.ts').ServerControl, rooms: readonly string[], payloadBytes?: number): Promise<void> {
  // ceil(rate × 1 ms) = one message per room, round-robin.
  await server.schedule({ rate: rooms.length * 1000, rooms: [...rooms], durationMs: 1, ...(payloadBytes !== undefined ? { payloadBytes } : {}) });
}
