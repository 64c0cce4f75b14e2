import type { ResourceSample, ScheduleReport, ScheduleRequest, ServerControl, ServerStartOptions } from '../../bench/scenario.ts';
import { buildServer } from '../../servers/build-server.ts';
import { Feed } from '../../servers/feed.ts';
import { startResourceWindow, type ResourceWindow } from '../../servers/resource-sampler.ts';
import { startSchedule } from '../../servers/schedule.ts';
import type { BenchServer, ServerStats } from '../../servers/transport-plugin.ts';

/**
 * A ServerControl over a server built in this process, for unit tests of the scenarios only: the runner
 * starts a separate process (bench/server-process.ts). The schedule is the same open-loop publisher the
 * server process runs, here sharing the test's event loop; resource windows measure this whole process.
 */
export class InProcessServer implements ServerControl {
  readonly host = '127.0.0.1';
  #window: ResourceWindow | undefined;
  readonly #schedules = new Set<AbortController>();

  private constructor(
    readonly server: BenchServer,
    readonly port: number,
  ) {}

  get transport() {
    return this.server.transport;
  }

  /** Builds and listens on port 0 on 127.0.0.1, honouring the step's server options. */
  static async start(options: ServerStartOptions): Promise<InProcessServer> {
    const feed = new Feed({
      ...(options.payloadBytes !== undefined ? { payloadBytes: options.payloadBytes } : {}),
      ...(options.binary !== undefined ? { binary: options.binary } : {}),
      ...(options.logLength !== undefined ? { logLength: options.logLength } : {}),
    });
    const server = buildServer({
      transport: options.transport,
      feed,
      limits: options.longPollTimeoutMs !== undefined ? { longPollTimeoutMs: options.longPollTimeoutMs } : {},
      socketIo: {
        ...(options.socketIoTransports !== undefined ? { transports: options.socketIoTransports } : {}),
        ...(options.socketIoRecovery !== undefined ? { recovery: options.socketIoRecovery } : {}),
      },
    });
    const port = await server.listen({ port: 0, host: '127.0.0.1' });
    return new InProcessServer(server, port);
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

  /** Stops any running schedule and closes the server. */
  async close(): Promise<void> {
    for (const abort of this.#schedules) abort.abort();
    await this.server.close();
  }
}
