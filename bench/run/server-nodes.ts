import type { ResourceSample, ScheduleReport, ScheduleRequest, ServerStats } from '../../protocol/server-ipc.ts';
import type { ServerStartOptions } from '../../protocol/server-options.ts';
import type { ToolError } from '../../protocol/tool-errors.ts';
import type { CrashReport, ServerControl } from '../scenarios/scenario.ts';
import type { ServerProcess } from './server-process.ts';
import { combineSamples } from '../measure/combine-samples.ts';

/**
 * A transport's server as N processes sharing one feed in Redis (run --nodes), seen by a step as one server:
 * clients spread over `endpoints`, schedules run on node 0 (its messages reach every node through the feed),
 * resources and counters are the nodes' together. docs/scale.md.
 */
export class ServerNodes implements ServerControl {
  readonly host: string;
  readonly port: number;
  readonly endpoints: readonly { host: string; port: number }[];
  /** Resolves when any node has exited other than by crash(). */
  readonly exited: ServerProcess['exited'];

  constructor(
    readonly options: ServerStartOptions,
    readonly nodes: readonly ServerProcess[],
  ) {
    if (nodes.length === 0) throw new RangeError('a server needs at least one node');
    this.host = nodes[0]!.host;
    this.port = nodes[0]!.port;
    this.endpoints = nodes.map((node) => ({ host: node.host, port: node.port }));
    this.exited = new Promise((resolve) => {
      for (const node of nodes) void node.exited.then((exit) => (this.#killed.has(node) ? undefined : resolve(exit)));
    });
  }

  /** Nodes killed on purpose (killNode): their exit is the fault, not a failure of the step. */
  readonly #killed = new Set<ServerProcess>();

  /** SIGKILLs node `index` for good (the node-kill fault); the others go on. Resolves with the kill's time, µs. */
  async killNode(index: number): Promise<number> {
    const node = this.nodes[index];
    if (!node) throw new RangeError(`no node ${index}: the server has ${this.nodes.length}`);
    this.#killed.add(node);
    return node.kill();
  }

  get transport() {
    return this.options.transport;
  }

  /** Every node alive: before the next step the pool starts a fresh process for a node that died or was killed. */
  get alive(): boolean {
    return this.nodes.every((node) => node.alive);
  }

  get pid(): number {
    return this.nodes[0]!.pid;
  }

  /** The error of the first node that is no longer alive (node 0's when all are). */
  exitError(): ToolError {
    return (this.nodes.find((node) => !node.alive) ?? this.nodes[0]!).exitError();
  }

  schedule(request: ScheduleRequest): Promise<ScheduleReport> {
    return this.nodes[0]!.schedule(request);
  }

  async startResourceWindow(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.startResourceWindow()));
  }

  /**
   * The nodes' figures together: CPU and memory summed (what the transport costs in all), the event loop of
   * the busiest node (a client waits for its own node's loop), the publisher's wait from node 0, which publishes.
   */
  async endResourceWindow(): Promise<ResourceSample> {
    const samples = await Promise.all(this.nodes.map((node) => node.endResourceWindow()));
    return combineSamples(samples, { cpu: 'sum', publisherWaitPercent: samples[0]!.publisherWaitPercent });
  }

  /** Counters summed over the nodes. */
  async stats(): Promise<ServerStats> {
    const all = await Promise.all(this.nodes.map((node) => node.stats()));
    const sum = (pick: (stats: ServerStats) => number) => total(all, pick);
    return {
      transport: this.transport,
      connections: sum((s) => s.connections),
      waiters: sum((s) => s.waiters),
      subscriptions: sum((s) => s.subscriptions),
      slowClientsDropped: sum((s) => s.slowClientsDropped),
      published: sum((s) => s.published),
    };
  }

  async dropConnections(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.dropConnections()));
  }

  prepareCrash(): Promise<void> {
    return this.nodes[0]!.prepareCrash();
  }

  /** Crashes node 0 only: the others keep serving (and the feed in Redis keeps every message). */
  crash(options?: { downtimeMs?: number }): Promise<CrashReport> {
    return this.nodes[0]!.crash(options);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  /** The nodes still alive (after a killNode, the others). */
  get liveNodes(): ServerProcess[] {
    return this.nodes.filter((node) => node.alive);
  }
}

function total<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((sum, item) => sum + pick(item), 0);
}
