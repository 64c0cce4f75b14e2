import { randomUUID } from 'node:crypto';
import { nowUs } from '../../protocol/clock.ts';
import type { RedisConnection } from '../../servers/redis-connection.ts';
import { BLOCK_SECONDS, connectHub, destroyQuietly, HEARTBEAT_EVERY_MS, HEARTBEAT_MISSES, HEARTBEAT_TTL_MS, HUB_KEYS, pushMessage, type HubJoin, type HubToAgent, type HubToRun } from './agent-hub.ts';
import type { AgentAnswers, AgentRequest } from './agent-protocol.ts';
import type { LoadAgent } from './agent-set.ts';
import { estimateClockOffset, type ClockOffset, type ClockPing } from './clock-offset.ts';

/**
 * The run's side of agents that joined it through Redis (run --join-agents M; agent-hub.ts says how they talk):
 * the hub waits for M agents in the lobby, then carries requests to each and their replies back, watches their
 * heartbeats and keeps its own. Before each step's connect it measures the agent's clock against the run's
 * (clock-offset.ts) and tells the agent, which maps its receive and send stamps onto the run's clock by it.
 */

/** Clock pings per estimate: the shortest round trip of these bounds the offset. */
const CLOCK_PINGS = 16;
/** How long a clock ping may take before the agent counts as not answering, ms. */
const PING_TIMEOUT_MS = 5_000;

/** Reads a list with BLPOP, one element at a time, until stopped; a failed read (Redis restarting) is retried. */
function readList(connection: RedisConnection, key: string, onElement: (text: string) => void): { stop: () => Promise<void> } {
  // stop() sets the flag; the caller then destroys the connection, which ends a BLPOP under way at once.
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const popped = (await connection.sendCommand(['BLPOP', key, String(BLOCK_SECONDS)])) as [string, string] | null;
        if (popped) onElement(popped[1]);
      } catch {
        if (!stopped) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  })();
  return {
    stop: () => {
      stopped = true;
      return loop;
    },
  };
}

export class JoinedAgent implements LoadAgent {
  readonly #hub: AgentHub;
  /** Requests' answers and pings' pongs awaited, by id. */
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer?: NodeJS.Timeout }>();
  /**
   * What goes to the agent goes in the order it was asked for: a 'close' never overtakes the 'connect' (and the
   * clock sync) before it, which would leave that connect's clients behind. Only the sending is in line, not the
   * answer: a close still reaches an agent in the middle of a chat load.
   */
  #line: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #gone: string | undefined;
  #missed = 0;
  clock: ClockOffset | undefined;

  constructor(
    hub: AgentHub,
    readonly index: number,
    readonly join: HubJoin,
  ) {
    this.#hub = hub;
  }

  get alive(): boolean {
    return this.#gone === undefined;
  }

  get label(): string {
    const where = `${this.join.host}, pid ${this.join.pid}`;
    return `agent ${this.index} (${this.join.name === `${this.join.host}:${this.join.pid}` ? where : `${this.join.name}: ${where}`}, joined)`;
  }

  async request<T extends AgentRequest>(request: T, session: number): Promise<AgentAnswers[T['type']]> {
    let answer: Promise<unknown> | undefined;
    const sent = this.#line.then(async () => {
      if (this.#gone) throw new Error(this.#gone);
      // Each step's clients begin with a fresh estimate: the two clocks may drift apart over a long run.
      if (request.type === 'connect') await this.#syncClock();
      // Ids are taken in the order messages go out, so the agent can tell a retried push (agent-hub.ts) by its id.
      const id = this.#nextId++;
      answer = this.#expect(id);
      await this.#send({ kind: 'request', envelope: { id, session, request } }, id);
    });
    this.#line = sent.catch(() => undefined);
    await sent;
    return answer as Promise<AgentAnswers[T['type']]>;
  }

  /** Measures the agent's clock offset to the run's (CLOCK_PINGS pings, one at a time) and tells the agent. */
  syncClock(): Promise<ClockOffset> {
    const synced = this.#line.then(() => this.#syncClock());
    this.#line = synced.catch(() => undefined);
    return synced;
  }

  async #syncClock(): Promise<ClockOffset> {
    const pings: ClockPing[] = [];
    for (let i = 0; i < CLOCK_PINGS; i++) {
      if (this.#gone) throw new Error(this.#gone);
      const id = this.#nextId++;
      const answered = this.#expect(id, PING_TIMEOUT_MS) as Promise<{ agentUs: number; backUs: number }>;
      const sentUs = nowUs();
      await this.#send({ kind: 'ping', id }, id);
      pings.push({ sentUs, ...(await answered) });
    }
    this.clock = estimateClockOffset(pings);
    await this.#send({ kind: 'clock', offsetUs: this.clock.offsetUs, uncertaintyUs: this.clock.uncertaintyUs });
    return this.clock;
  }

  /** An answer awaited for `id`, rejected when the agent is gone or (a ping) after `timeoutMs`. */
  #expect(id: number, timeoutMs?: number): Promise<unknown> {
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.#pending.delete(id);
              reject(new Error(`${this.label} did not answer a clock ping within ${timeoutMs} ms`));
            }, timeoutMs).unref();
      this.#pending.set(id, { resolve, reject, ...(timer ? { timer } : {}) });
    });
    // Whoever awaits it hears a rejection; one that comes before anyone awaits is not an unhandled one.
    answer.catch(() => undefined);
    return answer;
  }

  /** Pushes `message` to the agent's inbox; if that fails for good (Redis away past the retries), the agent is gone. */
  async #send(message: HubToAgent, id?: number): Promise<void> {
    try {
      await this.#hub.send(this.join.agent, message);
    } catch (error) {
      if (id !== undefined) this.#settle(id);
      this.gone(`${this.label}: could not reach it through Redis: ${(error as Error).message}`);
      throw new Error(this.#gone);
    }
  }

  /** Forgets what waits on `id`, and returns it. */
  #settle(id: number): { resolve: (value: unknown) => void; reject: (error: Error) => void } | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    clearTimeout(pending?.timer);
    return pending;
  }

  /** A message from the agent, read off the run's inbox. */
  receive(message: HubToRun, backUs: number): void {
    if (message.kind === 'left') return this.gone(`${this.label} left the run: ${message.reason}`);
    if (message.kind === 'pong') {
      // The stamp taken when the run read it closes the bracket; the agent's is inside it.
      this.#settle(message.id)?.resolve({ agentUs: message.agentUs, backUs });
      return;
    }
    const pending = this.#settle(message.reply.id);
    if (!pending) return;
    if (message.reply.ok) pending.resolve(message.reply.value);
    else pending.reject(new Error(`load agent ${this.index}: ${message.reply.error}`));
  }

  /** One heartbeat check: whether its key was there. */
  heard(present: boolean): void {
    this.#missed = present ? 0 : this.#missed + 1;
    if (this.#missed >= HEARTBEAT_MISSES) this.gone(`${this.label} is gone: its heartbeat stopped (${HEARTBEAT_MISSES} checks ${HEARTBEAT_EVERY_MS} ms apart found none)`);
  }

  gone(reason: string): void {
    if (this.#gone) return;
    this.#gone = reason;
    for (const id of [...this.#pending.keys()]) this.#settle(id)?.reject(new Error(reason));
  }

  async close(): Promise<void> {
    if (this.#gone) return;
    this.gone(`${this.label} was closed with the run`);
    await this.#hub.send(this.join.agent, { kind: 'bye' }).catch(() => undefined);
  }
}

/** What `claim` reports while it waits. */
export interface ClaimProgress {
  joined: number;
  wanted: number;
  last?: HubJoin;
}

export class AgentHub {
  readonly run = randomUUID();
  readonly #commands: RedisConnection;
  readonly #blocking: RedisConnection;
  readonly #agents = new Map<string, JoinedAgent>();
  #reader: { stop: () => Promise<void> } | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(
    readonly url: string,
    commands: RedisConnection,
    blocking: RedisConnection,
  ) {
    this.#commands = commands;
    this.#blocking = blocking;
  }

  /** Connects to the Redis at `url` (two connections: one blocks on the run's inbox) and starts the run's heartbeat. */
  static async open(url: string): Promise<AgentHub> {
    const { commands, blocking } = await connectHub(url, 'transport-bench-run-hub');
    const hub = new AgentHub(url, commands, blocking);
    await hub.#beat();
    hub.#heartbeat = setInterval(() => void hub.#beat(), HEARTBEAT_EVERY_MS);
    hub.#heartbeat.unref();
    return hub;
  }

  /** Refreshes the run's heartbeat and checks each agent's. */
  async #beat(): Promise<void> {
    try {
      await this.#commands.sendCommand(['SET', HUB_KEYS.runAlive(this.run), '1', 'PX', String(HEARTBEAT_TTL_MS)]);
      for (const agent of this.#agents.values()) {
        if (!agent.alive) continue;
        agent.heard(Number(await this.#commands.sendCommand(['EXISTS', HUB_KEYS.agentAlive(agent.join.agent)])) === 1);
      }
    } catch {
      // Redis is restarting: the next beat tries again, and a heartbeat missing that long counts against the agent.
      for (const agent of this.#agents.values()) if (agent.alive) agent.heard(false);
    }
  }

  async send(agent: string, message: HubToAgent): Promise<void> {
    await pushMessage(this.#commands, HUB_KEYS.agentInbox(agent), message);
  }

  /**
   * Waits up to `timeoutMs` for `wanted` agents in the lobby (an introduction whose heartbeat is gone is skipped),
   * welcomes each at once (from then on it watches the run's heartbeat, so a run that dies while it waits for the
   * others does not leave it behind), then measures their clocks; numbers them from `firstIndex`. Rejects on the
   * timeout or the signal, having told those already taken to go.
   */
  async claim(wanted: number, options: { firstIndex: number; timeoutMs: number; signal?: AbortSignal; onProgress?: (progress: ClaimProgress) => void }): Promise<JoinedAgent[]> {
    const deadline = Date.now() + options.timeoutMs;
    const taken: JoinedAgent[] = [];
    try {
      while (taken.length < wanted) {
        options.signal?.throwIfAborted();
        if (Date.now() >= deadline) throw new Error(`${taken.length} of ${wanted} agents joined within ${options.timeoutMs} ms`);
        const popped = (await this.#blocking.sendCommand(['BLPOP', HUB_KEYS.lobby, String(BLOCK_SECONDS)])) as [string, string] | null;
        if (!popped) continue;
        const join = parseJoin(popped[1]);
        if (!join || this.#agents.has(join.agent)) continue;
        if (Number(await this.#commands.sendCommand(['EXISTS', HUB_KEYS.agentAlive(join.agent)])) !== 1) continue;
        const agent = new JoinedAgent(this, options.firstIndex + taken.length, join);
        taken.push(agent);
        this.#agents.set(join.agent, agent);
        await this.send(join.agent, { kind: 'welcome', run: this.run, index: agent.index });
        options.onProgress?.({ joined: taken.length, wanted, last: join });
      }
      this.#reader = readList(this.#blocking, HUB_KEYS.runInbox(this.run), (text) => this.#dispatch(text));
      await Promise.all(taken.map((agent) => agent.syncClock()));
      return taken;
    } catch (error) {
      await Promise.all(taken.map((agent) => agent.close()));
      throw error;
    }
  }

  #dispatch(text: string): void {
    const backUs = nowUs();
    let message: HubToRun;
    try {
      message = JSON.parse(text) as HubToRun;
    } catch {
      return;
    }
    this.#agents.get(message.agent)?.receive(message, backUs);
  }

  /** Tells every agent to go, stops reading and beating, deletes the run's keys and disconnects; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    await Promise.all([...this.#agents.values()].map((agent) => agent.close()));
    const reading = this.#reader?.stop();
    destroyQuietly(this.#blocking);
    await reading;
    await this.#commands.sendCommand(['DEL', HUB_KEYS.runAlive(this.run), HUB_KEYS.runInbox(this.run)]).catch(() => undefined);
    destroyQuietly(this.#commands);
  }
}

function parseJoin(text: string): HubJoin | undefined {
  try {
    const join = JSON.parse(text) as Partial<HubJoin>;
    if (typeof join.agent !== 'string' || typeof join.host !== 'string' || typeof join.pid !== 'number' || typeof join.name !== 'string') return undefined;
    return join as HubJoin;
  } catch {
    return undefined;
  }
}
