import { createHash } from 'node:crypto';
import { serverKey } from '../../protocol/server-options.ts';
import type { RunnerEvents } from './runner-events.ts';
import type { ServerStartOptions } from '../../protocol/server-options.ts';
import { ServerNodes } from './server-nodes.ts';
import { ServerProcess } from './server-process.ts';

/**
 * The server children of a run, one per distinct start options (N per options and node count with --nodes N,
 * each node count its own group of processes: an idle group never reads the feed of a measured one). Starting a tsx
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
  /** The address the servers listen on and clients dial (run --server-host; default 127.0.0.1). */
  host?: string;
}

/** A server the plan needs: its start options and how many nodes it runs on (run --nodes). */
export interface ServerNeed {
  options: ServerStartOptions;
  nodes?: number;
}

export class ServerPool {
  /** By the group's key (ServerPool.groupKey), then '#', then the node's index. */
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

  /** The processes of one start options at one node count: the key retain() is given. */
  static groupKey(options: ServerStartOptions, nodes = 1): string {
    return nodes > 1 ? `${ServerPool.key(options)}@${nodes}` : ServerPool.key(options);
  }

  /** Node `node`'s start options: the plan's, with the run's feed, the group's namespace and the node's index. */
  #nodeOptions(need: Required<ServerNeed>, node: number): ServerStartOptions {
    const feed = this.options.feed;
    if (!feed) return need.options;
    const namespace = `${feed.runId}.${createHash('sha256').update(ServerPool.groupKey(need.options, need.nodes)).digest('hex').slice(0, 12)}`;
    return { ...need.options, feed: feed.url, feedNamespace: namespace, ...(node > 0 ? { node } : {}) };
  }

  #start(need: Required<ServerNeed>, node: number, signal?: AbortSignal): Promise<ServerProcess> {
    const key = `${ServerPool.groupKey(need.options, need.nodes)}#${node}`;
    const starting = ServerProcess.start(this.#nodeOptions(need, node), { cpu: this.options.cpu, readyTimeoutMs: this.options.readyTimeoutMs, signal, ...(this.options.host ? { host: this.options.host } : {}) }).then((server) => {
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
  async prestart(list: readonly (ServerStartOptions | ServerNeed)[], signal?: AbortSignal): Promise<void> {
    const todo = new Map<string, { need: Required<ServerNeed>; node: number }>();
    for (const item of list) {
      const need = needOf(item);
      for (let node = 0; node < need.nodes; node++) {
        const key = `${ServerPool.groupKey(need.options, need.nodes)}#${node}`;
        if (!this.#servers.has(key)) todo.set(key, { need, node });
      }
    }
    const queue = [...todo.values()];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next && !signal?.aborted; next = queue.shift()) await this.#start(next.need, next.node, signal).catch(() => {});
    };
    await Promise.all(Array.from({ length: this.options.concurrency ?? 2 }, worker));
  }

  /** The running server for `options` on `nodes` nodes (all of them), started (or restarted, if one died) when needed. */
  async acquire(options: ServerStartOptions, signal?: AbortSignal, nodes = 1): Promise<RunServer> {
    const need = { options, nodes };
    const processes = await Promise.all(Array.from({ length: nodes }, (_, node) => this.#acquireNode(need, node, signal)));
    return processes.length === 1 ? processes[0]! : new ServerNodes(options, processes);
  }

  async #acquireNode(need: Required<ServerNeed>, node: number, signal?: AbortSignal): Promise<ServerProcess> {
    const key = `${ServerPool.groupKey(need.options, need.nodes)}#${node}`;
    const existing = this.#servers.get(key);
    if (existing) {
      const server = await existing.catch(() => undefined);
      if (server?.alive) return server;
      if (this.#servers.get(key) === existing) this.#servers.delete(key);
    }
    return this.#start(need, node, signal);
  }

  /** Stops every server whose group key (ServerPool.groupKey) is not in `needed` (no remaining step uses it). */
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

function needOf(item: ServerStartOptions | ServerNeed): Required<ServerNeed> {
  return 'options' in item ? { options: item.options, nodes: item.nodes ?? 1 } : { options: item, nodes: 1 };
}
