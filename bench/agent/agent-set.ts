import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnNodeChild } from '../run/server-spawn.ts';
import type { AgentAnswers, AgentEnvelope, AgentReply, AgentRequest } from './agent-protocol.ts';
import type { ClockOffset } from './clock-offset.ts';

/**
 * The run's load agents: N `transport-bench agent` processes on this machine (run --agents N), each behind an
 * IPC channel, started once for the run and closed with it, and any that joined it through Redis from elsewhere
 * (run --join-agents M; joined-agents.ts). The local ones inherit the load process's CPU affinity: in a pinned
 * run they share the load core (docs/scale.md says why that is still worth it: the per-process file limit, and
 * one event loop per slice). A local agent that died is started again before the next step asks for it; a joined
 * one that is gone is left out, and the clients are sliced over the agents still there.
 */

/** One load agent as the run sees it. */
export interface LoadAgent {
  readonly index: number;
  readonly alive: boolean;
  /** For notes: "agent 2 (host, pid 123)". */
  readonly label: string;
  /** A joined agent's clock offset to the run's, as last measured; none for a local agent (one clock). */
  readonly clock?: ClockOffset;
  /** A joined agent: measures its clock offset again (and tells the agent); a local one has none to measure. */
  syncClock?(): Promise<ClockOffset>;
  /** Sends `request` as part of `session` (AgentEnvelope); resolves with its answer, rejects with the agent's error or its loss. */
  request<T extends AgentRequest>(request: T, session: number): Promise<AgentAnswers[T['type']]>;
  close(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../bin/transport-bench.ts', import.meta.url));
/** How long a failed send waits for the agent's exit, whose reason it then gives, ms. */
const SEND_FAILURE_GRACE_MS = 1_000;
/** How long an agent gets to exit once its channel is closed, ms; then SIGKILL. */
const CLOSE_GRACE_MS = 5_000;

class LocalAgent implements LoadAgent {
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

  get label(): string {
    return `agent ${this.index} (pid ${this.child.pid ?? '?'})`;
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
  readonly #local: LocalAgent[] = [];
  readonly #joined: readonly LoadAgent[];
  #sessions = 0;

  /**
   * @param local agents this run starts itself (0: none)
   * @param options sharedCore: whether they share one core (the run pinned itself, they inherit its affinity,
   *   and none joined from elsewhere): then the load side's CPU is their sum (agent-group.ts, loadSideSample);
   *   joined: agents that joined through Redis, numbered after the local ones
   */
  constructor(
    readonly local: number,
    readonly options: { sharedCore: boolean; joined?: readonly LoadAgent[] } = { sharedCore: false },
  ) {
    this.#joined = options.joined ?? [];
  }

  /** Agents the run began with, local and joined. */
  get size(): number {
    return this.local + this.#joined.length;
  }

  /** How many joined from elsewhere. */
  get joined(): number {
    return this.#joined.length;
  }

  /** A new session number: one group of clients, one repeat of a step (AgentEnvelope). */
  newSession(): number {
    return ++this.#sessions;
  }

  /** The agents at work: any local one that died (or never started) is started now; joined ones that are gone are left out. */
  agents(): readonly LoadAgent[] {
    for (let i = 0; i < this.local; i++) {
      if (!this.#local[i]?.alive) this.#local[i] = new LocalAgent(i);
    }
    const working = [...this.#local, ...this.#joined.filter((a) => a.alive)];
    if (working.length === 0) throw new Error(`no load agent left: the ${this.#joined.length} that joined are gone`);
    return working;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#local, ...this.#joined].map((a) => a.close()));
  }
}
