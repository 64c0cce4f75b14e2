import net from 'node:net';
import { WebSocket } from 'ws';
import { binaryToFeedMessage, decodeBinaryFrame } from '../servers/binary-frame.ts';
import { nowUs } from '../servers/clock.ts';
import type { FeedMessage } from '../servers/message.ts';
import type { ClientFactory, ClientOptions, TransportClient } from './client.ts';
import { PendingAcks, ServerError, reconnectDelayMs } from './pending-acks.ts';
import { WireMeter, type WireBytes } from './wire-meter.ts';

function refusalError(status: number, body: string): Error {
  try {
    const parsed = JSON.parse(body) as { code?: string; message?: string };
    if (parsed.code) return new ServerError(parsed.code, `${parsed.message ?? ''} (HTTP ${status})`);
  } catch {
    // not JSON: fall through to the status alone
  }
  return new Error(`ws client: upgrade refused with HTTP ${status}`);
}

/** Raw WebSocket client: `/ws?room=R&cursor=N`, resuming from the last seq after an unexpected close. */
class WsClient implements TransportClient {
  readonly transport = 'ws' as const;
  readonly meter = new WireMeter();
  readonly #options: ClientOptions;
  readonly #acks = new PendingAcks();
  #lastSeq: number;
  #socket: WebSocket | undefined;
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
    if (this.#socket || this.#closing) return Promise.reject(new Error('ws client: connect() may be called once'));
    return new Promise((resolve, reject) => {
      this.#firstConnect = { resolve, reject };
      this.#open();
    });
  }

  #open(): void {
    const { host = '127.0.0.1', port, room } = this.#options;
    const url = `ws://${host}:${port}/ws?room=${encodeURIComponent(room)}&cursor=${this.#lastSeq}`;
    const socket = new WebSocket(url, {
      // The server does not compress; offering it would only add handshake bytes.
      perMessageDeflate: false,
      createConnection: ((opts: net.NetConnectOpts & { host?: string; port?: number }) => {
        const tcp = net.connect({ host: opts.host, port: Number(opts.port) });
        this.meter.track(tcp);
        return tcp;
      }) as unknown as typeof net.createConnection,
    });
    this.#socket = socket;
    let refusal: Error | undefined;
    socket.on('message', (data: Buffer, isBinary) => this.#onFrame(data, isBinary));
    socket.on('error', (error) => {
      if (!refusal) this.#options.onError?.(error);
    });
    // A refused upgrade carries a JSON error body: read it so the error says what was wrong.
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 4_096) body += chunk;
      });
      response.on('error', () => {});
      response.on('end', () => {
        refusal = refusalError(response.statusCode ?? 0, body);
        this.#options.onError?.(refusal);
        socket.terminate();
      });
    });
    socket.on('close', (code, reason) => this.#onClose(socket, code, reason.toString(), refusal));
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    const receivedAt = nowUs();
    let message: FeedMessage;
    if (isBinary) {
      try {
        message = binaryToFeedMessage(decodeBinaryFrame(data));
      } catch (error) {
        this.#options.onError?.(error as Error);
        return;
      }
    } else {
      let frame: { type?: string; id?: number; seq?: number; code?: string; message?: string };
      try {
        frame = JSON.parse(data.toString());
      } catch {
        this.#options.onError?.(new Error('ws client: a text frame is not valid JSON'));
        return;
      }
      if (frame.type !== undefined) return this.#onControl(frame);
      message = frame as FeedMessage;
    }
    this.#lastSeq = message.seq;
    try {
      this.#options.onMessage(message, receivedAt);
    } catch (error) {
      // A throwing callback must not take the connection (or the process) down with it.
      this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #onControl(frame: { type?: string; id?: number; seq?: number; code?: string; message?: string }): void {
    if (frame.type === 'ready') {
      this.meter.markReady();
      this.#attempt = 0;
      this.#firstConnect?.resolve();
      this.#firstConnect = undefined;
    } else if (frame.type === 'ack' && typeof frame.id === 'number' && typeof frame.seq === 'number') {
      this.#acks.resolve(frame.id, frame.seq);
    } else if (frame.type === 'error') {
      const error = new ServerError(String(frame.code), String(frame.message));
      if (typeof frame.id !== 'number' || !this.#acks.reject(frame.id, error)) this.#options.onError?.(error);
    }
  }

  #onClose(socket: WebSocket, code: number, reason: string, refusal: Error | undefined): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#acks.rejectAll(new Error(`ws client: connection closed (${code}) before the ack`));
    if (this.#closing) {
      this.#closed?.();
      return;
    }
    const error = refusal ?? new Error(`ws client: connection closed with ${code}${reason ? ` ${reason}` : ''}`);
    if (this.#firstConnect) {
      // Never ready: a refused subscription or no server. Report it to connect() and stop.
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
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('ws client: not connected'));
    const { id, done } = this.#acks.open();
    socket.send(JSON.stringify({ type: 'publish', id, room, payload }));
    return done;
  }

  close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#retry);
    this.#firstConnect?.reject(new Error('ws client: closed before ready'));
    this.#firstConnect = undefined;
    const socket = this.#socket;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      this.#closed = resolve;
      socket.close(1000);
      // A server that never answers the close frame must not hold close() for ws's 30 s.
      setTimeout(() => socket.terminate(), 2_000).unref();
    });
  }

  bytes(): WireBytes {
    return this.meter.bytes();
  }
}

export const createWsClient: ClientFactory = (options) => new WsClient(options);
