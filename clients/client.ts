import type { RequestHeaders } from './request-headers.ts';
import type { FeedMessage } from '../protocol/message.ts';
import type { TransportName } from '../protocol/transports.ts';
import type { WireBytes, WireMeter } from './wire-meter.ts';

/** What every transport client is given. */
export interface ClientOptions {
  /** Server host (default 127.0.0.1). */
  host?: string;
  port: number;
  /**
   * Other nodes of the same transport sharing the feed (run --nodes): when a connection attempt fails the client
   * tries the next, and resumes there from its cursor (clients/endpoint-ring.ts). None by default.
   */
  failover?: readonly { host: string; port: number }[];
  /**
   * The local address every connection is made from (default: the system's choice, 127.0.0.1 on loopback).
   * One source address has 28,232 ephemeral ports here (32768-60999) for each server address and port, so a
   * large pool spreads its clients over 127.0.0.0/8 (bench/run/source-address.ts).
   */
  localAddress?: string;
  /** The room to subscribe to. */
  room: string;
  /** Resume after this seq (default 0: from the first message still in the server's log). */
  cursor?: number;
  /**
   * Called for each message, with its receive time in µs on the shared clock (protocol/clock.ts), taken when
   * the bytes were parsed, before any other work.
   */
  onMessage: (message: FeedMessage, receivedAt: number) => void;
  /** Called on an error that ends the connection or a request (the client may reconnect by itself). */
  onError?: (error: Error) => void;
  /** Reconnect and resume from the last seq after an unexpected disconnect (default true). */
  reconnect?: boolean;
  /** Short polling: ms between the end of one poll and the start of the next (default 100). */
  pollIntervalMs?: number;
  /** Socket.IO: 'polling-upgrade' (the default handshake) or 'websocket' only. */
  socketIoTransports?: 'polling-upgrade' | 'websocket';
  /** ws: offer permessage-deflate, as the server under test does (run --ws-deflate; off by default). */
  wsPerMessageDeflate?: boolean;
  /** Headers sent beyond the client's own on every HTTP request and upgrade (run --request-headers; none by default). */
  requestHeaders?: RequestHeaders;
}

/** One interface over the six transports: connect, receive, publish, close, and the bytes it cost. */
export interface TransportClient {
  readonly transport: TransportName;
  readonly meter: WireMeter;
  /** Last seq received: the cursor a reconnect resumes from. */
  readonly lastSeq: number;
  /** Opens the connection and subscribes; resolves when the client is ready to receive. */
  connect(): Promise<void>;
  /** Publishes a message to a room through this transport; resolves with its seq when the server acknowledges. */
  publish(room: string, payload: string): Promise<number>;
  /** Closes the connection and stops reconnecting; resolves when the sockets are closed. */
  close(): Promise<void>;
  /** Bytes on the wire so far, split into set-up and steady state. */
  bytes(): WireBytes;
  /** Polling transports only: polls answered so far, and how many of them carried no message. */
  pollCounts?(): PollCounts;
}

export interface PollCounts {
  polls: number;
  empty: number;
}

export type ClientFactory = (options: ClientOptions) => TransportClient;
