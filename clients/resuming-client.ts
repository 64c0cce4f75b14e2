import type { FeedMessage } from '../protocol/message.ts';
import type { ControlFrame } from '../protocol/control-frames.ts';
import type { ClientOptions, TransportClient } from './client.ts';
import { asError } from './server-error.ts';
import { Backoff } from './backoff.ts';
import { PendingAcks } from './pending-acks.ts';
import { ServerError } from './server-error.ts';
import { WireMeter, type WireBytes } from './wire-meter.ts';
import { EndpointRing, type Endpoint } from './endpoint-ring.ts';

/**
 * What the ws and raw TCP clients share: one connection at a time, subscribed from the last seq received;
 * connect() settles at the server's ready (or its refusal); publishes are commands matched to their acks
 * by id; after a close it did not ask for, the client reconnects with backoff and resumes.
 * A subclass opens the socket, parses what arrives and hands it to deliver() and control().
 */
export abstract class ResumingClient<S> implements TransportClient {
  abstract readonly transport: 'ws' | 'tcp';
  readonly meter = new WireMeter();
  protected readonly options: ClientOptions;
  /** The current connection, from open() until its close. */
  protected socket: S | undefined;
  /** The current connection's ready has arrived. */
  protected ready = false;
  readonly #acks = new PendingAcks();
  #lastSeq: number;
  #stopped = false;
  readonly #backoff = new Backoff();
  #retry: NodeJS.Timeout | undefined;
  #firstConnect: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #closing: Promise<void> | undefined;
  #closed: (() => void) | undefined;

  readonly #endpoints: EndpointRing;

  constructor(options: ClientOptions) {
    this.options = options;
    this.#lastSeq = options.cursor ?? 0;
    this.#endpoints = new EndpointRing({ host: options.host ?? '127.0.0.1', port: options.port }, options.failover);
  }

  /** The server the next open() connects to. */
  protected get endpoint(): Endpoint {
    return this.#endpoints.current;
  }

  /** Opens a connection subscribing from `lastSeq` and sets `socket`; its close must reach socketClosed(). */
  protected abstract open(): void;
  /** The current connection can carry a command. */
  protected abstract writable(): boolean;
  /** Sends one command (JSON text) on the current connection. */
  protected abstract write(command: string): void;
  /** Closes `socket` gracefully, and cuts it if the server never completes the close. */
  protected abstract end(socket: S): void;

  get lastSeq(): number {
    return this.#lastSeq;
  }

  connect(): Promise<void> {
    if (this.socket || this.#stopped) return Promise.reject(new Error(`${this.transport} client: connect() may be called once`));
    return new Promise((resolve, reject) => {
      this.#firstConnect = { resolve, reject };
      this.open();
    });
  }

  /** A feed message has arrived: move the cursor, then hand it over. */
  protected deliver(message: FeedMessage, receivedAt: number): void {
    this.#lastSeq = message.seq;
    try {
      this.options.onMessage(message, receivedAt);
    } catch (error) {
      // A throwing callback must not take the connection (or the process) down with it.
      this.options.onError?.(asError(error));
    }
  }

  /** A control frame has arrived: ready, an ack, or an error (for a publish, or for the connection). */
  protected control(frame: ControlFrame): void {
    if (frame.type === 'ready') {
      // The server lost its log (it restarted): adopt its numbering, so the next resume asks from its start.
      if (frame.reset === true) this.#lastSeq = 0;
      this.ready = true;
      this.meter.markReady();
      this.#backoff.reset();
      this.#firstConnect?.resolve();
      this.#firstConnect = undefined;
    } else if (frame.type === 'ack' && typeof frame.id === 'number' && typeof frame.seq === 'number') {
      this.#acks.resolve(frame.id, frame.seq);
    } else if (frame.type === 'error') {
      const error = new ServerError(String(frame.code), String(frame.message));
      if (typeof frame.id === 'number' && this.#acks.reject(frame.id, error)) return;
      // An error before ready answers the subscription (raw TCP; ws refuses in the upgrade): it was refused.
      if (!this.ready && this.socket) {
        if (this.#firstConnect) {
          this.#refuse(error);
          this.end(this.socket);
          return;
        }
        // Refused on a reconnect: say so and close, so the reconnect loop asks again after its backoff
        // rather than holding a connection that will never deliver.
        this.options.onError?.(error);
        this.end(this.socket);
        return;
      }
      this.options.onError?.(error);
    }
  }

  /**
   * `socket` has closed: fail its waiting publishes with `ackError`; then, unless the close was asked for,
   * reject connect() with `error` (never ready), report it (reconnect off) or reconnect.
   */
  protected socketClosed(socket: S, error: Error, ackError: Error): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    const wasReady = this.ready;
    this.ready = false;
    this.#acks.rejectAll(ackError);
    if (this.#stopped) {
      this.#closed?.();
      return;
    }
    if (this.#firstConnect) {
      // Never ready: a refused subscription or no server. Report it to connect() and stop.
      this.#refuse(error);
      return;
    }
    if (this.options.reconnect === false) {
      this.options.onError?.(error);
      return;
    }
    // Closed before it was ready: that server did not take us (a node that died); try the next, if any.
    if (!wasReady) this.#endpoints.advance();
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#stopped) this.open();
    }, this.#backoff.take());
  }

  #refuse(error: Error): void {
    this.#firstConnect?.reject(error);
    this.#firstConnect = undefined;
    this.#stopped = true;
  }

  publish(room: string, payload: string): Promise<number> {
    if (!this.socket || !this.writable()) return Promise.reject(new Error(`${this.transport} client: not connected`));
    const { id, done } = this.#acks.open();
    this.write(JSON.stringify({ type: 'publish', id, room, payload }));
    return done;
  }

  /** Closes the connection and stops reconnecting; a second call waits for the same close. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  #close(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#firstConnect?.reject(new Error(`${this.transport} client: closed before ready`));
    this.#firstConnect = undefined;
    const socket = this.socket;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      this.#closed = resolve;
      this.end(socket);
    });
  }

  bytes(): WireBytes {
    return this.meter.bytes();
  }
}
