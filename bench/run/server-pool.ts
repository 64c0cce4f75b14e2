import { serverKey } from '../../protocol/server-options.ts';
import type { RunnerEvents } from './runner-events.ts';
import type { ServerStartOptions } from '../../protocol/server-options.ts';
import { ServerProcess } from './server-process.ts';

/**
 * The server children of a run, one per distinct start options. Starting a tsx process costs a second or
 * more, so the pool starts every server the plan needs up front, two at a time (before anything is
 * measured), hands the same process to every step and repeat with those options, restarts one that died,
 * and stops each once no remaining step needs it.
 */
export class ServerPool {
  readonly #servers = new Map<string, Promise<ServerProcess>>();
  /** Spawn-to-ready times of every start, ms. */
  readonly startupTimes: number[] = [];
  /** Servers that could not be pinned although pinning was asked for. */
  unpinned = 0;

  constructor(readonly options: { cpu?: number; readyTimeoutMs?: number; events?: RunnerEvents; concurrency?: number } = {}) {}

  /** Option sets that start the same server share a key, so they share a process (protocol/server-options.ts). */
  static key(options: ServerStartOptions): string {
    return serverKey(options);
  }

  #start(options: ServerStartOptions, signal?: AbortSignal): Promise<ServerProcess> {
    const key = ServerPool.key(options);
    const starting = ServerProcess.start(options, { cpu: this.options.cpu, readyTimeoutMs: this.options.readyTimeoutMs, signal }).then((server) => {
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

  /** Starts every distinct server of `list` not started yet; a failed start is left for acquire() to retry and report. */
  async prestart(list: readonly ServerStartOptions[], signal?: AbortSignal): Promise<void> {
    const todo = new Map<string, ServerStartOptions>();
    for (const options of list) if (!this.#servers.has(ServerPool.key(options))) todo.set(ServerPool.key(options), options);
    const queue = [...todo.values()];
    const worker = async (): Promise<void> => {
      for (let options = queue.shift(); options && !signal?.aborted; options = queue.shift()) await this.#start(options, signal).catch(() => {});
    };
    await Promise.all(Array.from({ length: this.options.concurrency ?? 2 }, worker));
  }

  /** The running server for `options`, started (or restarted, if it died) when needed. */
  async acquire(options: ServerStartOptions, signal?: AbortSignal): Promise<ServerProcess> {
    const key = ServerPool.key(options);
    const existing = this.#servers.get(key);
    if (existing) {
      const server = await existing.catch(() => undefined);
      if (server?.alive) return server;
      if (this.#servers.get(key) === existing) this.#servers.delete(key);
    }
    return this.#start(options, signal);
  }

  /** Stops every server whose key is not in `needed` (no remaining step uses it). */
  async retain(needed: ReadonlySet<string>): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const [key, starting] of this.#servers) {
      if (needed.has(key)) continue;
      this.#servers.delete(key);
      stops.push(starting.then((s) => s.stop(), () => {}));
    }
    await Promise.all(stops);
  }

  async discard(server: ServerProcess): Promise<void> {
    const key = ServerPool.key(server.options);
    const current = this.#servers.get(key);
    if (current && (await current.catch(() => undefined)) === server && this.#servers.get(key) === current) this.#servers.delete(key);
    await server.stop();
  }

  async stopAll(): Promise<void> {
    await this.retain(new Set());
  }
}
