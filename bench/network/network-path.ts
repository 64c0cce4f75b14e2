import type { ServerControl } from '../scenarios/scenario.ts';
import type { NetworkConditions } from './conditions.ts';
import { LossNamespace } from './loss-namespace.ts';
import { ProxyProcess } from './proxy-process.ts';

/**
 * The run's emulated network paths: one proxy per (server address, conditions), opened in the proxy process
 * on a step's first repeat and kept while that server lives (a crash restarts it on the same port, so the
 * path still leads there). The proxy process starts on first use: a run without conditions never starts it.
 */
export class NetworkPaths {
  #process: Promise<ProxyProcess> | undefined;
  readonly #open = new Map<string, Promise<{ host: string; port: number }>>();
  /** Per loss percent: its namespace and the proxy process inside it. */
  readonly #lossy = new Map<number, { namespace: LossNamespace; process: Promise<ProxyProcess> }>();

  /** `server` as the scenario sees it: its clients connect through the proxy; control goes straight to it. */
  async route(server: ServerControl, conditions: NetworkConditions): Promise<ServerControl> {
    // Each node of a server of several (run --nodes) gets a path of its own under the same conditions.
    const nodes = server.endpoints ?? [{ host: server.host, port: server.port }];
    const paths = await Promise.all(nodes.map((node) => this.#path(node, conditions)));
    return behindProxy(server, paths[0]!, nodes.length > 1 ? paths : undefined);
  }

  #path(target: Target, conditions: NetworkConditions): Promise<Target> {
    const key = `${target.host}:${target.port}/${conditions.rttMs}/${conditions.jitterMs}/${conditions.bytesPerMs}/${conditions.lossPercent ?? 0}`;
    let endpoint = this.#open.get(key);
    if (!endpoint) {
      endpoint = (conditions.lossPercent ?? 0) > 0 ? this.#openLossy(target, conditions) : this.#openPlain(target, conditions);
      this.#open.set(key, endpoint);
      endpoint.catch(() => this.#open.delete(key));
    }
    return endpoint;
  }

  async #openPlain(target: Target, conditions: NetworkConditions): Promise<Target> {
    this.#process ??= ProxyProcess.start();
    return (await this.#process).open(target, conditions);
  }

  /**
   * Clients → (lossy veth) → the step's proxy inside the loss namespace → (lossless) → a plain relay on the
   * host's end of the veth → the server on loopback. Both proxies are in processes of their own.
   */
  async #openLossy(target: Target, conditions: NetworkConditions): Promise<Target> {
    const percent = conditions.lossPercent!;
    let lossy = this.#lossy.get(percent);
    if (!lossy) {
      const namespace = LossNamespace.create(this.#lossy.size, percent);
      lossy = { namespace, process: ProxyProcess.start(namespace.exec) };
      this.#lossy.set(percent, lossy);
    }
    const { namespace } = lossy;
    this.#process ??= ProxyProcess.start();
    // The host-side relay listens on the veth's host address, where the namespace can reach it.
    const hostRelay = await (await this.#process).open(target, { rttMs: 0, jitterMs: 0, bytesPerMs: Infinity }, { listenHost: namespace.hostAddress });
    return (await lossy.process).open(hostRelay, conditions, { listenHost: namespace.clientSideAddress, localAddress: namespace.serverSideAddress });
  }

  /** CPU time all proxy processes have used so far, µs: a step's share is the difference around its repeat. */
  async cpuUs(): Promise<number> {
    const processes = [this.#process, ...[...this.#lossy.values()].map((l) => l.process)].filter((p): p is Promise<ProxyProcess> => p !== undefined);
    const used = await Promise.all(processes.map(async (p) => (await p).cpuUs()));
    return used.reduce((a, b) => a + b, 0);
  }

  /** The loss namespaces' drop counters, by loss percent (what iptables really dropped). */
  droppedPackets(): Map<number, { in: number; out: number }> {
    return new Map([...this.#lossy].map(([percent, { namespace }]) => [percent, namespace.droppedPackets()]));
  }

  async stop(): Promise<void> {
    for (const { namespace, process } of this.#lossy.values()) {
      (await process.catch(() => undefined))?.stop();
      namespace.destroy();
    }
    this.#lossy.clear();
    const proxy = await this.#process?.catch(() => undefined);
    proxy?.stop();
    this.#process = undefined;
    this.#open.clear();
  }
}

type Target = { host: string; port: number };

/** The server with the proxy's address (each node's, for several): every method still reaches the server process itself. */
export function behindProxy(server: ServerControl, endpoint: Target, endpoints?: readonly Target[]): ServerControl {
  const killNode = server.killNode?.bind(server);
  return {
    transport: server.transport,
    host: endpoint.host,
    port: endpoint.port,
    ...(endpoints ? { endpoints } : {}),
    ...(killNode ? { killNode } : {}),
    schedule: (request) => server.schedule(request),
    startResourceWindow: () => server.startResourceWindow(),
    endResourceWindow: () => server.endResourceWindow(),
    stats: () => server.stats(),
    dropConnections: () => server.dropConnections(),
    prepareCrash: () => server.prepareCrash(),
    crash: (options) => server.crash(options),
  };
}
