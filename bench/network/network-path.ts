import type { ServerControl } from '../scenarios/scenario.ts';
import type { NetworkConditions } from './conditions.ts';
import { ProxyProcess } from './proxy-process.ts';

/**
 * The run's emulated network paths: one proxy per (server address, conditions), opened in the proxy process
 * on a step's first repeat and kept while that server lives (a crash restarts it on the same port, so the
 * path still leads there). The proxy process starts on first use: a run without conditions never starts it.
 */
export class NetworkPaths {
  #process: Promise<ProxyProcess> | undefined;
  readonly #open = new Map<string, Promise<{ host: string; port: number }>>();

  /** `server` as the scenario sees it: its clients connect through the proxy; control goes straight to it. */
  async route(server: ServerControl, conditions: NetworkConditions): Promise<ServerControl> {
    const key = `${server.host}:${server.port}/${conditions.rttMs}/${conditions.jitterMs}/${conditions.bytesPerMs}`;
    let endpoint = this.#open.get(key);
    if (!endpoint) {
      this.#process ??= ProxyProcess.start();
      const proxy = await this.#process;
      endpoint = proxy.open({ host: server.host, port: server.port }, conditions);
      this.#open.set(key, endpoint);
      endpoint.catch(() => this.#open.delete(key));
    }
    return behindProxy(server, await endpoint);
  }

  /** The proxy process's CPU over a window, or undefined when no path was opened. */
  async startWindow(): Promise<void> {
    if (this.#process) await (await this.#process).startWindow();
  }

  async endWindow(): Promise<number | undefined> {
    return this.#process ? (await this.#process).endWindow() : undefined;
  }

  async stop(): Promise<void> {
    if (!this.#process) return;
    const proxy = await this.#process.catch(() => undefined);
    proxy?.stop();
    this.#process = undefined;
    this.#open.clear();
  }
}

/** The server with the proxy's address: every method still reaches the server process itself. */
export function behindProxy(server: ServerControl, endpoint: { host: string; port: number }): ServerControl {
  return {
    transport: server.transport,
    host: endpoint.host,
    port: endpoint.port,
    schedule: (request) => server.schedule(request),
    startResourceWindow: () => server.startResourceWindow(),
    endResourceWindow: () => server.endResourceWindow(),
    stats: () => server.stats(),
    dropConnections: () => server.dropConnections(),
    prepareCrash: () => server.prepareCrash(),
    crash: (options) => server.crash(options),
  };
}
