import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnNodeChild } from '../run/server-spawn.ts';
import type { AgentAnswers, AgentEnvelope, AgentReply, AgentRequest } from './agent-protocol.ts';

/**
 * The run's load agents (run --agents N): N `transport-bench agent` processes on this machine, each behind an
 * IPC channel, started once for the run and closed with it. They inherit the load process's CPU affinity: in a
 * pinned run they share the load core (docs/scale.md says why that is still worth it: the per-process file
 * limit, and one event loop per slice). An agent that died is started again before the next step asks for it.
 */

const BIN = fileURLToPath(new URL('../../bin/transport-bench.ts', import.meta.url));
/** How long a failed send waits for the agent's exit, whose reason it then gives, ms. */
const SEND_FAILURE_GRACE_MS = 1_000;
/** How long an agent gets to exit once its channel is closed, ms; then SIGKILL. */
const CLOSE_GRACE_MS = 5_000;

class Agent {
  readonly child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #stderr = '';
  #exited: string | undefined;
  readonly exited: Promise<void>;
  /** Resolves once the agent listens (its reply 0); requests wait for it. */
  readonly #ready: Promise<void>;

  constructor(readonly index: number) {
    this.child = spawnNodeChild(BIN, ['agent'], { anyCpu: false });
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-2_000);
    });
    let listening = (): void => {};
    this.#ready = new Promise((resolve) => (listening = resolve));
    this.child.on('message', (reply: AgentReply) => {
      if (reply.id === 0) return listening();
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(new Error(`load agent ${index}: ${reply.error}`));
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        const last = this.#stderr.trim().split('\n').slice(-3).join(' | ');
        this.#exited = `load agent ${index} exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`;
        for (const { reject } of this.#pending.values()) reject(new Error(this.#exited));
        this.#pending.clear();
        resolve();
      });
    });
  }

  get alive(): boolean {
    return this.#exited === undefined;
  }

  /** Sends `request` as part of `session` (AgentEnvelope); resolves with its answer, rejects with the agent's error or its death. */
  async request<T extends AgentRequest>(request: T, session: number): Promise<AgentAnswers[T['type']]> {
    await Promise.race([this.#ready, this.exited]);
    if (this.#exited) throw new Error(this.#exited);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const envelope: AgentEnvelope = { id, session, request };
      this.child.send(envelope, (error) => {
        if (!error || !this.#pending.has(id)) return;
        // A channel that broke is usually an agent that died: its exit says why, when it comes within a moment.
        const timer = setTimeout(() => {
          if (!this.#pending.delete(id)) return;
          reject(new Error(`load agent ${this.index}: ${error.message}`));
        }, SEND_FAILURE_GRACE_MS);
        void this.exited.then(() => clearTimeout(timer));
      });
    });
  }

  async close(): Promise<void> {
    if (!this.alive) return;
    // Closing the channel is the agent's cue: it closes its clients and exits.
    if (this.child.connected) this.child.disconnect();
    else this.child.kill('SIGKILL');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), CLOSE_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

export class AgentSet {
  readonly #agents: Agent[] = [];
  #sessions = 0;

  /**
   * @param size agents
   * @param options sharedCore: whether they share one core (the run pinned itself, and they inherit its
   *   affinity): then the load side's CPU is their sum (agent-group.ts, loadSideSample)
   */
  constructor(
    readonly size: number,
    readonly options: { sharedCore: boolean } = { sharedCore: false },
  ) {}

  /** A new session number: one group of clients, one repeat of a step (AgentEnvelope). */
  newSession(): number {
    return ++this.#sessions;
  }

  /** The agents, alive: any that died (or never started) is started now. */
  agents(): readonly Pick<Agent, 'index' | 'request'>[] {
    for (let i = 0; i < this.size; i++) {
      if (!this.#agents[i]?.alive) this.#agents[i] = new Agent(i);
    }
    return this.#agents;
  }

  async close(): Promise<void> {
    await Promise.all(this.#agents.map((a) => a.close()));
  }
}
