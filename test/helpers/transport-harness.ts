import { afterEach } from 'vitest';
import type { ClientOptions, TransportClient } from '../../clients/client.ts';
import { createClient } from '../../clients/create-client.ts';
import { buildServer, type BuildServerOptions } from '../../servers/build-server.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { TransportName } from '../../protocol/transports.ts';
import type { BenchServer } from '../../servers/transport-plugin.ts';

/** A client and what it has received and reported. */
export interface RecordedClient {
  c: TransportClient;
  log: FeedMessage[];
  errors: Error[];
}

/** Client options for a test: onMessage and onError default to recording into `log` and `errors`. */
export type TestClientOptions = Omit<ClientOptions, 'onMessage'> & Partial<Pick<ClientOptions, 'onMessage'>>;

/** Server options for a test; the transport defaults to the harness's. */
export type TestServerOptions = Omit<BuildServerOptions, 'transport'> & { transport?: TransportName };

/**
 * A server and its clients for a test file. Call it once at the top of the file (or a describe): after
 * each test, every client is closed, then the deferred clean-ups run (proxies, raw sockets), then the server. `transport` is the
 * default for build() and start(); clients are always of the current server's transport.
 */
export function transportHarness(transport?: TransportName, clientDefaults: Partial<ClientOptions> = {}) {
  let server: BenchServer | undefined;
  const clients: TransportClient[] = [];
  const cleanups: (() => unknown)[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await server?.close();
    server = undefined;
  });

  return {
    /** The current test's server (build() or start() first). */
    get server(): BenchServer {
      if (!server) throw new Error(`no ${transport} server: call start() or build() first`);
      return server;
    },
    /** Every client made in the current test, in order. */
    clients: clients as readonly TransportClient[],
    /** Builds the server without listening (for inject()). */
    build(options: TestServerOptions = {}): BenchServer {
      const chosen = options.transport ?? transport;
      if (!chosen) throw new Error('transportHarness: no transport given');
      server = buildServer({ ...options, transport: chosen });
      return server;
    },
    /** Builds the server and listens on a free port on 127.0.0.1; resolves with the port. */
    start(options: TestServerOptions = {}): Promise<number> {
      return this.build(options).listen({ port: 0 });
    },
    /** Closes the server now, clients still connected. */
    async closeServer(): Promise<void> {
      const closing = server;
      server = undefined;
      await closing?.close();
    },
    /** A client of the transport, not yet connected, closed after the test. */
    client(options: TestClientOptions): RecordedClient {
      const log: FeedMessage[] = [];
      const errors: Error[] = [];
      const c = createClient(this.server.transport, { ...clientDefaults, onMessage: (message) => log.push(message), onError: (error) => errors.push(error), ...options });
      clients.push(c);
      return { c, log, errors };
    },
    /** Runs `cleanup` after the test, once its clients are closed and before the server is. */
    defer(cleanup: () => unknown): void {
      cleanups.push(cleanup);
    },
  };
}

export const seqsOf = (messages: readonly FeedMessage[]): number[] => messages.map((m) => m.seq);
/** The integers from `from` to `to`, both included. */
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export type TransportHarness = ReturnType<typeof transportHarness>;
