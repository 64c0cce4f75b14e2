import { setTimeout as delay } from 'node:timers/promises';
import type { CrashReport, ServerControl } from '../../bench/scenarios/scenario.ts';
import type { ResourceSample, ScheduleReport, ScheduleRequest } from '../../protocol/server-ipc.ts';
import type { ServerStartOptions } from '../../protocol/server-options.ts';
import { nowUs } from '../../protocol/clock.ts';
import { serverStartSchema } from '../../protocol/server-options.ts';
import { memoryFeed } from '../../servers/open-feed.ts';
import { buildFromStartOptions } from '../../servers/build-server.ts';
import { startResourceWindow, type ResourceWindow } from '../../servers/resource-sampler.ts';
import { startSchedule } from '../../servers/schedule.ts';
import type { BenchServer } from '../../servers/transport-plugin.ts';
import type { ServerStats } from '../../protocol/server-ipc.ts';

/**
 * A ServerControl over a server built in this process, for unit tests of the scenarios only: the runner
 * starts a separate process (bench/run/server-process.ts). The schedule is the same open-loop publisher the
 * server process runs, here sharing the test's event loop; resource windows measure this whole process.
 */
export class InProcessServer implements ServerControl {
  readonly host = '127.0.0.1';
  #window: ResourceWindow | undefined;
  readonly #schedules = new Set<AbortController>();

  private constructor(
    public server: BenchServer,
    readonly port: number,
    readonly options: ServerStartOptions,
  ) {}

  get transport() {
    return this.server.transport;
  }

  /** Builds and listens on port 0 on 127.0.0.1, honouring the step's server options. */
  static async start(options: ServerStartOptions): Promise<InProcessServer> {
    const server = InProcessServer.build(options);
    const port = await server.listen({ port: 0, host: '127.0.0.1' });
    return new InProcessServer(server, port, options);
  }

  static build(options: ServerStartOptions): BenchServer {
    const resolved = serverStartSchema.parse(options);
    return buildFromStartOptions(resolved, memoryFeed(resolved));
  }

  async schedule(request: ScheduleRequest): Promise<ScheduleReport> {
    const abort = new AbortController();
    this.#schedules.add(abort);
    try {
      return await startSchedule(this.server.feed, { ...request, signal: abort.signal });
    } finally {
      this.#schedules.delete(abort);
    }
  }

  async startResourceWindow(): Promise<void> {
    this.#window = startResourceWindow();
  }

  async endResourceWindow(): Promise<ResourceSample> {
    const window = this.#window ?? startResourceWindow();
    this.#window = undefined;
    return window.end();
  }

  async stats(): Promise<ServerStats> {
    return this.server.stats();
  }

  async dropConnections(): Promise<void> {
    this.server.dropConnections();
  }

  async prepareCrash(): Promise<void> {}

  /** In-process stand-in for a SIGKILL: connections cut, server closed, then a fresh feed on the same port. */
  async crash(options: { downtimeMs?: number } = {}): Promise<CrashReport> {
    const killedAt = nowUs();
    for (const abort of this.#schedules) abort.abort();
    this.server.dropConnections();
    await this.server.close();
    if (options.downtimeMs) await delay(options.downtimeMs);
    this.server = InProcessServer.build(this.options);
    await this.server.listen({ port: this.port, host: '127.0.0.1' });
    return { killedAt, listeningAt: nowUs() };
  }

  /** Stops any running schedule and closes the server. */
  async close(): Promise<void> {
    for (const abort of this.#schedules) abort.abort();
    await this.server.close();
  }
}
