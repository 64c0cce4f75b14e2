import type { TransportName } from '../protocol/transports.ts';
import type { ClientFactory, ClientOptions, TransportClient } from './client.ts';
import { createShortPollingClient } from './short-polling.ts';
import { createLongPollingClient } from './long-polling.ts';
import { createWsClient } from './ws.ts';
import { createSocketIoClient } from './socket-io.ts';
import { createSseClient } from './sse.ts';
import { createTcpClient } from './tcp.ts';

const FACTORIES: Record<TransportName, ClientFactory> = {
  'short-polling': createShortPollingClient,
  'long-polling': createLongPollingClient,
  ws: createWsClient,
  'socket-io': createSocketIoClient,
  sse: createSseClient,
  tcp: createTcpClient,
};

/** The client for `transport`, not yet connected. */
export function createClient(transport: TransportName, options: ClientOptions): TransportClient {
  return FACTORIES[transport](options);
}
