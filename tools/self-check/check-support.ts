import { startResourceWindow, type ResourceWindow } from '../../servers/resource-sampler.ts';
import { startBusyPoll } from '../../bench/run/busy-poll.ts';
import type { RepeatContext, ServerControl, StepPlan } from '../../bench/scenarios/scenario.ts';
import type { ServerStartOptions } from '../../protocol/server-options.ts';
import { ServerProcess } from '../../bench/run/server-process.ts';

/** What every self-check shares: its bounds, its row, a server in its own pinned process, a step's context. */

export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

export const BOUNDS = {
  tcpLatencyP50Us: 100,
  wsCeilingPerSec: 200_000,
  pollAgreement: 0.1,
  correctedOverUncorrected: 1.5,
  lagP50Us: 20,
  lagP99Us: 200,
  proxyOverheadP50Us: 50,
};

export interface CheckRow {
  check: string;
  figure: string;
  /** The same figure from bare clients on the same server (bare-clients.ts): what the box allows. */
  bare: string;
  bound: string;
  pass: boolean;
  detail: string;
}

export function context(step: StepPlan, server: ServerControl, warmupMs: number, durationMs: number): RepeatContext {
  let window: ResourceWindow | undefined;
  return {
    step,
    params: step.params,
    server,
    warmupMs,
    durationMs,
    signal: new AbortController().signal,
    progress: () => {},
    generator: { start: () => void (window = startResourceWindow()), end: () => (window ?? startResourceWindow()).end() },
  };
}

export async function withServer<T>(options: ServerStartOptions, run: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await ServerProcess.start(options, { cpu: SERVER_CPU });
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

export const pushStep = (transport: 'tcp' | 'ws', rate: number, clients: number): StepPlan => ({
  id: `self-check/push/${transport}/rate=${rate}/clients=${clients}`,
  scenario: 'push',
  transport,
  params: { rate, clients, payloadBytes: 64, rooms: 1 },
  server: { transport, payloadBytes: 64 },
});

/** Runs `measure` with the load process busy-polling (bench/run/busy-poll.ts), then stops it. */
export async function busyPolled<T>(measure: () => Promise<T>): Promise<T> {
  const stop = startBusyPoll();
  try {
    return await measure();
  } finally {
    stop();
  }
}

