import net from 'node:net';
import { nowUs } from '../servers/clock.ts';
import { LineSplitter } from '../servers/line-splitter.ts';
import type { FeedMessage } from '../servers/message.ts';
import type { ClientFactory, ClientOptions, TransportClient } from './client.ts';
import { PendingAcks, ServerError, reconnectDelayMs } from './pending-acks.ts';
import { WireMeter, type WireBytes } from './wire-meter.ts';

type Line = { type?: string; id?: number; seq?: number; code?: string; message?: string; head?: number };

/** Raw TCP client: newline-delimited JSON; subscribes with its first line and resumes from the last seq. */
class TcpClient implements TransportClient {
  readonly transport = 'tcp' as const;
  readonly meter = new WireMeter();
  readonly #options: ClientOptions;
  readonly #acks = new PendingAcks();
  #lastSeq: number;
  #socket: net.Socket | undefined;
  #ready = false;
  #closing = false;
  #attempt = 0;
  #retry: NodeJS.Timeout | undefined;
  #firstConnect: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #closed: (() => void) | undefined;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#lastSeq = options.cursor ?? 0;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  connect(): Promise<void> {
    if (this.#socket || this.#closing) return Promise.reject(new Error('tcp client: connect() may be called once'));
    return new Promise((resolve, reject) => {
      this.#firstConnect = { resolve, reject };
      this.#open();
    });
  }

  #open(): void {
    const { host = '127.0.0.1', port, room } = this.#options;
    const socket = net.connect({ host, port, noDelay: true });
    this.meter.track(socket);
    this.#socket = socket;
    this.#ready = false;
    // Lines from the server are bounded by the server's own payload limit; the client does not cap them.
    const splitter = new LineSplitter(Infinity, (line) => this.#onLine(line), () => {});
    socket.on('connect', () => socket.write(`${JSON.stringify({ type: 'subscribe', room, cursor: this.#lastSeq })}\n`));
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', (error) => this.#options.onError?.(error));
    socket.on('close', () => this.#onClose(socket));
  }

  #onLine(text: string): void {
    const receivedAt = nowUs();
    let line: Line;
    try {
      line = JSON.parse(text);
    } catch {
      this.#options.onError?.(new Error('tcp client: a line is not valid JSON'));
      return;
    }
    if (line.type === undefined) {
      const message = line as FeedMessage;
      this.#lastSeq = message.seq;
      try {
        this.#options.onMessage(message, receivedAt);
      } catch (error) {
        // A throwing callback must not take the connection (or the process) down with it.
        this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    } else if (line.type === 'ready') {
      this.#ready = true;
      this.meter.markReady();
      this.#attempt = 0;
      this.#firstConnect?.resolve();
      this.#firstConnect = undefined;
    } else if (line.type === 'ack' && typeof line.id === 'number' && typeof line.seq === 'number') {
      this.#acks.resolve(line.id, line.seq);
    } else if (line.type === 'error') {
      const error = new ServerError(String(line.code), String(line.message));
      if (typeof line.id === 'number' && this.#acks.reject(line.id, error)) return;
      // An error before ready is the answer to the subscribe line: the subscription was refused.
      if (!this.#ready && this.#firstConnect) {
        this.#firstConnect.reject(error);
        this.#firstConnect = undefined;
        this.#closing = true;
        this.#socket?.end();
        return;
      }
      this.#options.onError?.(error);
    }
  }

  #onClose(socket: net.Socket): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#acks.rejectAll(new Error('tcp client: connection closed before the ack'));
    if (this.#closing) {
      this.#closed?.();
      return;
    }
    const error = new Error('tcp client: connection closed by the server');
    if (this.#firstConnect) {
      this.#firstConnect.reject(error);
      this.#firstConnect = undefined;
      this.#closing = true;
      return;
    }
    if (this.#options.reconnect === false) {
      this.#options.onError?.(error);
      return;
    }
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#closing) this.#open();
    }, reconnectDelayMs(this.#attempt++));
  }

  publish(room: string, payload: string): Promise<number> {
    const socket = this.#socket;
    if (!socket || !this.#ready || socket.destroyed) return Promise.reject(new Error('tcp client: not connected'));
    const { id, done } = this.#acks.open();
    socket.write(`${JSON.stringify({ type: 'publish', id, room, payload })}\n`);
    return done;
  }

  close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#retry);
    this.#firstConnect?.reject(new Error('tcp client: closed before ready'));
    this.#firstConnect = undefined;
    const socket = this.#socket;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      this.#closed = resolve;
      socket.end();
      // A server that never closes its side must not hold close() forever.
      setTimeout(() => socket.destroy(), 2_000).unref();
    });
  }

  bytes(): WireBytes {
    return this.meter.bytes();
  }
}

export const createTcpClient: ClientFactory = (options) => new TcpClient(options);
