import type { ServerStats } from '../protocol/server-ipc.ts';
import type { FastifyInstance } from 'fastify';
import type { MessageFeed } from './message-feed.ts';
import type { Limits } from '../protocol/limits.ts';
import type { TransportName } from '../protocol/transports.ts';

/** Socket.IO settings a user may vary. */
export interface SocketIoSettings {
  /** 'polling-upgrade': the default long-polling handshake, then upgrade; 'websocket': websocket only. */
  transports: 'polling-upgrade' | 'websocket';
  /** Connection state recovery (replays missed packets after an unexpected disconnect). */
  recovery: boolean;
}

export const DEFAULT_SOCKET_IO_SETTINGS: Readonly<SocketIoSettings> = Object.freeze({
  transports: 'polling-upgrade',
  recovery: true,
});

/** What every transport implementation gets. */
export interface TransportContext {
  readonly feed: MessageFeed;
  readonly limits: Readonly<Limits>;
  readonly socketIo: Readonly<SocketIoSettings>;
  /** ws: permessage-deflate offered to clients (off by default, as in ws). */
  readonly wsPerMessageDeflate?: boolean;
}

/** A transport's half of a server: its routes on the Fastify app plus its live counters. */
export interface TransportHandle {
  stats(): Pick<ServerStats, 'connections' | 'waiters' | 'subscriptions' | 'slowClientsDropped'>;
  /** Cuts every client connection while the server goes on listening. */
  dropConnections(): void;
  /** Called when the app closes, before the HTTP server stops (close sockets, clear timers). */
  close?(): Promise<void> | void;
}

export type TransportPlugin = (app: FastifyInstance, ctx: TransportContext) => TransportHandle;

/** A built server, not yet listening. */
export interface BenchServer {
  readonly transport: TransportName;
  readonly feed: MessageFeed;
  /** The Fastify app, for `inject()` in tests; absent for raw TCP. */
  readonly app?: FastifyInstance;
  /** Starts listening (port 0 picks a free one); resolves with the bound port. */
  listen(options?: { port?: number; host?: string }): Promise<number>;
  close(): Promise<void>;
  stats(): ServerStats;
  dropConnections(): void;
}
