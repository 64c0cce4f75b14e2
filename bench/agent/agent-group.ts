import type { ResourceSample } from '../../protocol/server-ipc.ts';
import { combineSamples } from '../measure/combine-samples.ts';
import { mergeTallies, type WindowTally, type ExpectedRooms } from '../measure/window-receiver.ts';
import { DEFAULT_CONNECT_CONCURRENCY, type ClientGroup, type ClientPoolOptions, type PooledClient } from '../run/client-pool.ts';
import type { AgentAnswers, AgentRequest, AgentSlice, AgentStopped, ChatLoad, ChatSends } from './agent-protocol.ts';
import type { AgentSet, LoadAgent } from './agent-set.ts';
import { formatClockOffset, type ClockOffset } from './clock-offset.ts';

/**
 * A step's clients spread over the run's load agents, seen from the coordinator as one group: agent a takes a
 * contiguous slice of the clients (sizes differ by one at most), numbered as one pool would number them, so
 * rooms, nodes and source addresses are those of a single-process run. Everything the window asks of the
 * clients is asked of every agent at once; what they recorded comes back as tallies, merged exactly.
 */

/** Contiguous slices of `total` clients over `agents` agents: [first, count] each, empty slices left out. */
export function sliceClients(total: number, agents: number): { first: number; count: number }[] {
  const slices: { first: number; count: number }[] = [];
  let first = 0;
  for (let a = 0; a < agents; a++) {
    const count = Math.floor(total / agents) + (a < total % agents ? 1 : 0);
    if (count > 0) slices.push({ first, count });
    first += count;
  }
  return slices;
}

/**
 * The load side's resources as one sample. With the agents on one core (a pinned run: they share the load
 * process's), CPU is their sum, in percent of that core: at ~100 % the core is the bottleneck however little each
 * agent used. Spread over cores, it is the busiest agent's. Event-loop figures are the busiest agent's (one late
 * loop delays its clients' receive stamps, however idle the others are). Memory is summed.
 */
export function loadSideSample(samples: readonly ResourceSample[], sharedCore: boolean): ResourceSample {
  return combineSamples(samples, { cpu: sharedCore ? 'sum' : 'max', publisherWaitPercent: Math.max(...samples.map((s) => s.publisherWaitPercent)) });
}

export class AgentClientGroup implements ClientGroup {
  /** None here: the clients live in the agents. */
  readonly members: PooledClient[] = [];
  readonly size: number;
  readonly #agents: LoadAgent[];
  readonly #session: number;
  readonly #sharedCore: boolean;
  #stopped: AgentStopped[] = [];
  #expected: ExpectedRooms | undefined;
  #closed = false;
  #unlisten = (): void => {};

  private constructor(set: AgentSet, agents: LoadAgent[], size: number) {
    this.#agents = agents;
    this.#session = set.newSession();
    this.#sharedCore = set.options.sharedCore;
    this.size = size;
  }

  /**
   * Connects every agent's slice; on any failure closes them all and rethrows the first reason. The step's abort
   * closes the agents' clients at once, whatever they are doing (a chat load stops), for the group's whole life.
   */
  static async connect(set: AgentSet, options: Omit<ClientPoolOptions, 'onMessage' | 'slice'> & Pick<AgentSlice, 'binary' | 'messages'>): Promise<AgentClientGroup> {
    const working = set.agents();
    const slices = sliceClients(options.clients, working.length);
    const agents = working.slice(0, slices.length);
    const group = new AgentClientGroup(set, [...agents], options.clients);
    const signal = options.signal;
    if (signal) {
      const onAbort = () => void group.close();
      signal.addEventListener('abort', onAbort, { once: true });
      group.#unlisten = () => signal.removeEventListener('abort', onAbort);
    }
    // The connections in flight at once are those of one pool, shared out: the server sees the same storm.
    const concurrency = Math.ceil((options.concurrency ?? DEFAULT_CONNECT_CONCURRENCY) / slices.length);
    try {
      await Promise.all(
        slices.map(({ first, count }, a) => {
          const slice: AgentSlice = {
            transport: options.transport,
            host: options.host,
            port: options.port,
            ...(options.endpoints ? { endpoints: options.endpoints } : {}),
            first,
            count,
            total: options.clients,
            rooms: options.rooms,
            ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
            concurrency,
            binary: options.binary,
            messages: options.messages,
          };
          return group.#ask(agents[a]!, { type: 'connect', slice });
        }),
      );
      signal?.throwIfAborted();
      return group;
    } catch (error) {
      await group.close();
      throw error;
    }
  }

  #ask<T extends AgentRequest>(agent: LoadAgent, request: T): Promise<AgentAnswers[T['type']]> {
    return agent.request(request, this.#session);
  }

  #askAll<T extends AgentRequest>(request: T): Promise<AgentAnswers[T['type']][]> {
    return Promise.all(this.#agents.map((a) => this.#ask(a, request)));
  }

  /** Agents holding clients. */
  get agents(): number {
    return this.#agents.length;
  }

  /** The joined agents' clock offsets to the run's, as measured before this group's connect: "agent 2 (…): +3 µs ± 120 µs". */
  clocks(): string[] {
    return this.#agents.filter((a) => a.clock).map((a) => `${a.label}: ${formatClockOffset(a.clock!)}`);
  }

  /**
   * The joined agents' offsets measured again once the window stopped, beside those before the connect: how far
   * the two clocks drifted during the step, which the bound before it cannot include. "agent 2 (…): +5 µs ± 130 µs
   * (moved +2 µs, within the bounds)".
   */
  async clocksAfter(): Promise<string[]> {
    const joined = this.#agents.filter((a) => a.clock && a.syncClock);
    const lines = await Promise.all(
      joined.map(async (agent) => {
        const before = agent.clock!;
        let after: ClockOffset;
        try {
          after = await agent.syncClock!();
        } catch (error) {
          // The window's figures stand without it; a gone agent fails the step elsewhere.
          return `${agent.label}: not measured again (${(error as Error).message})`;
        }
        const moved = after.offsetUs - before.offsetUs;
        const within = Math.abs(moved) <= before.uncertaintyUs + after.uncertaintyUs;
        return `${agent.label}: ${formatClockOffset(after)} (moved ${moved < 0 ? '−' : '+'}${Math.abs(moved).toFixed(0)} µs, ${within ? 'within' : 'beyond'} the two bounds)`;
      }),
    );
    return lines;
  }

  /** Whether the agents share one core (loadSideSample). */
  get sharedCore(): boolean {
    return this.#sharedCore;
  }

  /**
   * The window opens: messages intended in [fromUs, toUs) on the shared monotonic clock are its own; every agent
   * restarts its byte and resource windows.
   */
  async resetSteady(fromUs?: number, toUs = Infinity): Promise<void> {
    if (fromUs === undefined || !Number.isFinite(fromUs)) throw new Error('the agents need the window start');
    this.#stopped = [];
    await this.#askAll({ type: 'begin', fromUs, toUs: Number.isFinite(toUs) ? toUs : null });
  }

  /**
   * Chat: every agent learns the window's edges, then sends its clients' share of the open loop; resolves once
   * all have fired their last event. The edges first: an agent's clients receive the others' messages too.
   */
  async load(load: ChatLoad): Promise<void> {
    await this.#askAll({ type: 'arm', fromUs: load.fromUs, toUs: load.toUs });
    await this.#askAll({ type: 'load', load });
  }

  /**
   * Chat: waits up to `withinMs` for the agents' publishes to be answered; the seqs the window's were acknowledged
   * with, by room, and what failed or is still unanswered, over every agent.
   */
  async settle(withinMs: number): Promise<ChatSends> {
    const all = await this.#askAll({ type: 'settle', withinMs });
    const acked: Record<string, number[]> = {};
    for (const sends of all) for (const [room, seqs] of Object.entries(sends.acked)) (acked[room] ??= []).push(...seqs);
    const firstFailure = all.find((s) => s.firstFailure !== undefined)?.firstFailure;
    return {
      acked,
      inWindow: all.reduce((n, s) => n + s.inWindow, 0),
      failed: all.reduce((n, s) => n + s.failed, 0),
      ...(firstFailure !== undefined ? { firstFailure } : {}),
      pending: all.reduce((n, s) => n + s.pending, 0),
    };
  }

  /** The agents' resource windows closed, as one load-side sample (loadSideSample). */
  async endResources(): Promise<ResourceSample> {
    return loadSideSample(await this.#askAll({ type: 'end' }), this.#sharedCore);
  }

  /** Sends what each room's clients should have, once per ExpectedRooms (the drain asks every 10 ms). */
  async #expect(rooms: ExpectedRooms): Promise<void> {
    if (this.#expected === rooms) return;
    await this.#askAll({ type: 'expect', rooms });
    this.#expected = rooms;
  }

  /** Whether every client has every message its room should have brought it. */
  async caughtUp(rooms: ExpectedRooms): Promise<boolean> {
    await this.#expect(rooms);
    return (await this.#askAll({ type: 'caught-up' })).every(Boolean);
  }

  /** Stops recording in every agent; the steady bytes of all their clients (their receipts, errors and polls are kept). */
  async steadyBytes(): Promise<number> {
    this.#stopped = await this.#askAll({ type: 'stop' });
    return this.#stopped.reduce((n, s) => n + s.wireBytes, 0);
  }

  /** Messages the clients received in the steady window, as the agents counted them when stopped. */
  get receipts(): number {
    return this.#stopped.reduce((n, s) => n + s.receipts, 0);
  }

  /** Errors the clients reported, as of the stop (none before it). */
  errors(): { count: number; example?: string } {
    const example = this.#stopped.find((s) => s.errors.example)?.errors.example;
    return { count: this.#stopped.reduce((n, s) => n + s.errors.count, 0), ...(example !== undefined ? { example } : {}) };
  }

  /** Every agent's tally, merged. */
  async tally(rooms: ExpectedRooms): Promise<WindowTally> {
    await this.#expect(rooms);
    return mergeTallies(await this.#askAll({ type: 'tally' }));
  }

  /** Closes every agent's clients (an agent that died has none left); idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unlisten();
    await Promise.all(this.#agents.map((a) => this.#ask(a, { type: 'close' }).catch(() => undefined)));
  }
}
