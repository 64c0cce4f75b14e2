import { buildServer } from './build-server.ts';
import { Feed, type FeedOptions } from './feed.ts';
import type { Limits } from '../protocol/limits.ts';
import { TRANSPORTS, type TransportName } from '../protocol/transports.ts';
import type { BenchServer } from './transport-plugin.ts';

/** Where one of the six servers listens, and the URL a user points a tool at. */
export interface Endpoint {
  transport: TransportName;
  port: number;
  url: string;
}

export interface ServeAllOptions {
  /** First port; the six servers take BASE … BASE+5 in TRANSPORTS order. 0 picks any free ports. */
  basePort: number;
  host: string;
  /** Room shown in the example URLs. */
  room: string;
  feed?: FeedOptions;
  limits?: Partial<Limits>;
  /** Called with each server once built, before it listens: routes of one's own go on here. */
  beforeListen?: (server: BenchServer) => void;
}

function endpointUrl(transport: TransportName, host: string, port: number, room: string): string {
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (transport) {
    case 'short-polling':
    case 'long-polling':
      return `http://${authority}/poll?room=${room}&cursor=0`;
    case 'ws':
      return `ws://${authority}/ws?room=${room}`;
    case 'socket-io':
      return `http://${authority}/socket.io/`;
    case 'sse':
      return `http://${authority}/sse?room=${room}`;
    case 'tcp':
      return `tcp://${authority}`;
  }
}

/**
 * Starts all six transports side by side over one shared feed, so a message published through any of
 * them reaches the clients of all six. On a failure to listen, the ones already started are closed.
 */
export async function serveAll(options: ServeAllOptions): Promise<{ feed: Feed; endpoints: Endpoint[]; servers: BenchServer[]; close(): Promise<void> }> {
  const feed = new Feed(options.feed);
  const servers: BenchServer[] = [];
  const endpoints: Endpoint[] = [];
  const close = async () => {
    await Promise.allSettled(servers.map((server) => server.close()));
  };
  try {
    for (const [index, transport] of TRANSPORTS.entries()) {
      const server = buildServer({ transport, feed, limits: options.limits });
      servers.push(server);
      options.beforeListen?.(server);
      const port = await server.listen({ port: options.basePort === 0 ? 0 : options.basePort + index, host: options.host });
      endpoints.push({ transport, port, url: endpointUrl(transport, options.host, port, options.room) });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { feed, endpoints, servers, close };
}
