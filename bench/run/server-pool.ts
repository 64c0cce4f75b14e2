import { createHash } from 'node:crypto';
import { serverKey } from '../../protocol/server-options.ts';
import type { RunnerEvents } from './runner-events.ts';
import type { ServerStartOptions } from '../../protocol/server-options.ts';
import { ServerNodes } from './server-nodes.ts';
import { ServerProcess } from './server-process.ts';

/**
 * The server children of a run, one per distinct start options (N per options with --nodes N). Starting a tsx
 * process costs a second or more, so the pool starts every server the plan needs up front, two at a time
 * (before anything is measured), hands the same process to every step and repeat with those options, restarts
 * one that died, and stops each once no remaining step needs it.
 *
 * With a feed in Redis (run --feed redis) every server is started with its URL, and the nodes of one start
 * options share a key namespace of their own: no other server's messages reach them.
 */

/** What a step gets: one process, or the nodes of a transport sharing a feed in Redis. */
export type RunServer = ServerProcess | ServerNodes;

export interface ServerPoolOptions {
  cpu?: number;
  readyTimeoutMs?: number;
  events?: RunnerEvents;
  concurrency?: number;
  /** The run's feed in Redis: its URL and a run id that keeps this run's keys apart from any other's. */
  feed?: { url: string; runId: string };
  /** Server processes per start options (run --nodes), 1 by default. */
  nodes?: number;
}

export class ServerPool {
  /** By the plan's key of the options, then '#', then the node's index. */
  readonly #servers = new Map<string, Promise<ServerProcess>>();
  /** Spawn-to-ready times of every start, ms. */
  readonly startupTimes: number[] = [];
  /** Servers that could not be pinned although pinning was asked for. */
  unpinned = 0;

  constructor(readonly options: ServerPoolOptions = {}) {}

  /** Option sets that start the same server share a key, so they share a process (protocol/server-options.ts). */
  static key(options: ServerStartOptions): string {
    return serverKey(options);
  }

  get nodes(): number {
    return this.options.nodes ?? 1;
  }

  /** Node `node`'s start options: the plan's, with the run's feed and the node's index when there is a feed. */
  #nodeOptions(options: ServerStartOptions, node: number): ServerStartOptions {
    const feed = this.options.feed;
    if (!feed) return options;
    const namespace = `${feed.runId}.${createHash('sha256').update(ServerPool.key(options)).digest('hex').slice(0, 12)}`;
    return { ...options, feed: feed.url, feedNamespace: namespace, ...(node > 0 ? { node } : {}) };
  }

  #start(options: ServerStartOptions, node: number, signal?: AbortSignal): Promise<ServerProcess> {
    const key = `${ServerPool.key(options)}#${node}`;
    const starting = ServerProcess.start(this.#nodeOptions(options, node), { cpu: this.options.cpu, readyTimeoutMs: this.options.readyTimeoutMs, signal }).then((server) => {
      this.startupTimes.push(server.startupMs);
      if (this.options.cpu !== undefined && server.cpu === undefined) this.unpinned++;
      this.options.events?.emit('server-start', { transport: server.transport, pid: server.pid, startupMs: server.startupMs });
      return server;
    });
    this.#servers.set(key, starting);
    starting.catch(() => {
      if (this.#servers.get(key) === starting) this.#servers.delete(key);
    });
    return starting;
  }

  /** Starts every distinct server of `list` not started yet (each of its nodes); a failed start is left for acquire() to retry and report. */
  async prestart(list: readonly ServerStartOptions[], signal?: AbortSignal): Promise<void> {
    const todo = new Map<string, { options: ServerStartOptions; node: number }>();
    for (const options of list) {
      for (let node = 0; node < this.nodes; node++) {
        const key = `${ServerPool.key(options)}#${node}`;
        if (!this.#servers.has(key)) todo.set(key, { options, node });
      }
    }
    const queue = [...todo.values()];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next && !signal?.aborted; next = queue.shift()) await this.#start(next.options, next.node, signal).catch(() => {});
    };
    await Promise.all(Array.from({ length: this.options.concurrency ?? 2 }, worker));
  }

  /** The running server for `options` (all its nodes), started (or restarted, if it died) when needed. */
  async acquire(options: ServerStartOptions, signal?: AbortSignal): Promise<RunServer> {
    const nodes = await Promise.all(Array.from({ length: this.nodes }, (_, node) => this.#acquireNode(options, node, signal)));
    return nodes.length === 1 ? nodes[0]! : new ServerNodes(options, nodes);
  }

  async #acquireNode(options: ServerStartOptions, node: number, signal?: AbortSignal): Promise<ServerProcess> {
    const key = `${ServerPool.key(options)}#${node}`;
    const existing = this.#servers.get(key);
    if (existing) {
      const server = await existing.catch(() => undefined);
      if (server?.alive) return server;
      if (this.#servers.get(key) === existing) this.#servers.delete(key);
    }
    return this.#start(options, node, signal);
  }

  /** Stops every server whose plan key is not in `needed` (no remaining step uses it). */
  async retain(needed: ReadonlySet<string>): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const [key, starting] of this.#servers) {
      if (needed.has(key.slice(0, key.lastIndexOf('#')))) continue;
      this.#servers.delete(key);
      stops.push(starting.then((s) => s.stop(), () => {}));
    }
    await Promise.all(stops);
  }

  /** Stops `server` (every node of it) and forgets it, so the next acquire starts a fresh one. */
  async discard(server: RunServer): Promise<void> {
    const processes = server instanceof ServerNodes ? server.nodes : [server];
    for (const process of processes) {
      for (const [key, current] of this.#servers) {
        if ((await current.catch(() => undefined)) === process && this.#servers.get(key) === current) this.#servers.delete(key);
      }
    }
    await server.stop();
  }

  async stopAll(): Promise<void> {
    await this.retain(new Set());
  }
}
