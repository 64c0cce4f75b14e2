import type { ResourceSample } from '../../protocol/server-ipc.ts';
import { mergeTallies, type WindowTally, type ExpectedRooms } from '../measure/window-receiver.ts';
import type { ClientGroup, ClientPoolOptions, PooledClient } from '../run/client-pool.ts';
import type { AgentSlice, AgentStopped, ChatLoad, ChatSends } from './agent-protocol.ts';
import type { AgentSet } from './agent-set.ts';

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
 * The load side's resources as one sample. CPU is the agents' sum, in percent of one core: they share the load
 * process's core (agent-set.ts), so the sum is what that core gave, and at ~100 % the core is the bottleneck
 * however little each agent used. Event-loop figures are the busiest agent's (one late loop delays its clients'
 * receive stamps, however idle the others are). Memory is summed.
 */
export function loadSideSample(samples: readonly ResourceSample[]): ResourceSample {
  const max = (key: keyof ResourceSample) => Math.max(...samples.map((s) => s[key]));
  const sum = (key: keyof ResourceSample) => samples.reduce((n, s) => n + s[key], 0);
  return {
    cpuPercent: sum('cpuPercent'),
    publisherWaitPercent: max('publisherWaitPercent'),
    rssBytes: sum('rssBytes'),
    heapUsedBytes: sum('heapUsedBytes'),
    eventLoopUtilisation: max('eventLoopUtilisation'),
    eventLoopDelayP99Ms: max('eventLoopDelayP99Ms'),
    eventLoopDelayP90Ms: max('eventLoopDelayP90Ms'),
  };
}

type Working = ReturnType<AgentSet['agents']>[number];

export class AgentClientGroup implements ClientGroup {
  /** None here: the clients live in the agents. */
  readonly members: PooledClient[] = [];
  readonly #agents: Working[];
  readonly size: number;
  #stopped: AgentStopped[] = [];
  #closed = false;

  private constructor(agents: Working[], size: number) {
    this.#agents = agents;
    this.size = size;
  }

  /** Connects every agent's slice; on any failure closes them all and rethrows the first reason. */
  static async connect(set: AgentSet, options: Omit<ClientPoolOptions, 'onMessage' | 'slice'> & Pick<AgentSlice, 'binary' | 'messages'>): Promise<AgentClientGroup> {
    const slices = sliceClients(options.clients, set.size);
    const agents = set.agents().slice(0, slices.length);
    const group = new AgentClientGroup([...agents], options.clients);
    const onAbort = () => void group.close();
    options.signal?.addEventListener('abort', onAbort, { once: true });
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
            ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
            binary: options.binary,
            messages: options.messages,
          };
          return agents[a]!.request({ type: 'connect', slice });
        }),
      );
      options.signal?.throwIfAborted();
      return group;
    } catch (error) {
      await group.close();
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Agents holding clients. */
  get agents(): number {
    return this.#agents.length;
  }

  /**
   * The window opens: messages intended in [fromUs, toUs) on the shared monotonic clock are its own; every agent
   * restarts its byte and resource windows.
   */
  async resetSteady(fromUs?: number, toUs = Infinity): Promise<void> {
    if (fromUs === undefined || !Number.isFinite(fromUs)) throw new Error('the agents need the window start');
    this.#stopped = [];
    await Promise.all(this.#agents.map((a) => a.request({ type: 'begin', fromUs, toUs: Number.isFinite(toUs) ? toUs : null })));
  }

  /** Chat: every agent sends its clients' share of the open loop; resolves once all have fired their last event. */
  async load(load: ChatLoad): Promise<void> {
    await Promise.all(this.#agents.map((a) => a.request({ type: 'load', load })));
  }

  /**
   * Chat: waits up to `withinMs` for the agents' publishes to be answered; the seqs the window's were acknowledged
   * with, by room, and what failed or is still unanswered, over every agent.
   */
  async settle(withinMs: number): Promise<ChatSends> {
    const all = await Promise.all(this.#agents.map((a) => a.request({ type: 'settle', withinMs })));
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
    return loadSideSample(await Promise.all(this.#agents.map((a) => a.request({ type: 'end' }))));
  }

  /** Whether every client has every message published to its room. */
  async caughtUp(rooms: ExpectedRooms): Promise<boolean> {
    const answers = await Promise.all(this.#agents.map((a) => a.request({ type: 'caught-up', rooms })));
    return answers.every(Boolean);
  }

  /** Stops recording in every agent; the steady bytes of all their clients (their receipts and errors are kept). */
  async steadyBytes(): Promise<number> {
    this.#stopped = await Promise.all(this.#agents.map((a) => a.request({ type: 'stop' })));
    return this.#stopped.reduce((n, s) => n + s.wireBytes, 0);
  }

  /** Messages the clients received in the steady window, as the agents counted them when stopped. */
  get receipts(): number {
    return this.#stopped.reduce((n, s) => n + s.receipts, 0);
  }

  /** Errors the clients reported, as of the stop (none before it). */
  errors(): { count: number; example?: string } {
    return { count: this.#stopped.reduce((n, s) => n + s.errors.count, 0), example: this.#stopped.find((s) => s.errors.example)?.errors.example };
  }

  /** Every agent's tally, merged. */
  async tally(rooms: ExpectedRooms): Promise<WindowTally> {
    return mergeTallies(await Promise.all(this.#agents.map((a) => a.request({ type: 'tally', rooms }))));
  }

  /** Closes every agent's clients (an agent that died has none left); idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#agents.map((a) => a.request({ type: 'close' }).catch(() => undefined)));
  }
}
