import { headerLines } from './request-headers.ts';
import net from 'node:net';
import { nowUs } from '../protocol/clock.ts';
import type { HttpAnswer } from './metered-agent.ts';
import type { WireMeter } from './wire-meter.ts';

/**
 * One keep-alive HTTP/1.1 connection on a raw socket, for the polling clients' GET /poll and POST /publish:
 * one request at a time, answers framed by content-length (what every bench server sends on those routes). node:http's client
 * spends several times the CPU per request, and the polling clients make tens of thousands of requests a
 * second at the larger steps, where the load process would otherwise measure itself.
 *
 * The request carries the same headers node:http sends (content-type and content-length for a body, Host,
 * Connection: keep-alive), so the bytes on the wire are those of a node:http client. The socket opens on the first request, again after the server
 * closes it, and is counted by the client's WireMeter.
 */

/** Longest response head accepted, bytes: a bench server's head is a few hundred. */
const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

interface Pending {
  resolve: (answer: HttpAnswer) => void;
  reject: (error: Error) => void;
}

/** Where a connection goes, and the local address it is made from when one is given. */
export interface HttpTarget {
  host: string;
  port: number;
  localAddress?: string;
}

export class HttpConnection {
  readonly #target: HttpTarget;
  readonly #meter: WireMeter;
  #socket: net.Socket | undefined;
  #pending: Pending | undefined;
  #chunks: Buffer[] = [];
  #length = 0;
  /** Once the head is parsed: the status, the whole answer's length, and whether the server will close. */
  #frame: { status: number; headLength: number; total: number; close: boolean } | undefined;
  #error: Error | undefined;

  /** Header lines written after the client's own on every request (run --request-headers), already rendered. */
  readonly #extraHeaders: string;

  constructor(target: HttpTarget, meter: WireMeter, extraHeaders: Array<[string, string]> = []) {
    this.#target = target;
    this.#meter = meter;
    this.#extraHeaders = headerLines(extraHeaders);
  }

  /** GET `path`; resolves with the whole answer, whatever its status. Aborting destroys the connection. */
  get(path: string, signal?: AbortSignal): Promise<HttpAnswer> {
    return this.request('GET', path, undefined, signal);
  }

  /** POST a JSON `body` to `path`; resolves with the whole answer, whatever its status. */
  postJson(path: string, body: string, signal?: AbortSignal): Promise<HttpAnswer> {
    return this.request('POST', path, body, signal);
  }

  /** Whether a request is in flight (one at a time: no pipelining). */
  get busy(): boolean {
    return this.#pending !== undefined;
  }

  request(method: 'GET' | 'POST', path: string, jsonBody?: string, signal?: AbortSignal): Promise<HttpAnswer> {
    if (this.#pending) return Promise.reject(new Error('http connection: a request is already in flight'));
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#fail(abortError());
        this.#socket?.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.#pending = {
        resolve: (answer) => (done(), resolve(answer)),
        reject: (error) => (done(), reject(error)),
      };
      const { host, port } = this.#target;
      // Header order and spelling as node:http writes them, so the byte counts are a node:http client's.
      const body = jsonBody === undefined ? '' : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(jsonBody)}\r\n`;
      try {
        this.#open().write(`${method} ${path} HTTP/1.1\r\n${body}Host: ${host}:${port}\r\nConnection: keep-alive\r\n${this.#extraHeaders}\r\n${jsonBody ?? ''}`);
      } catch (error) {
        this.#fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Closes the connection; resolves once its socket has closed. */
  destroy(): Promise<void> {
    const socket = this.#socket;
    this.#fail(new Error('http connection: closed'));
    if (!socket || socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  #open(): net.Socket {
    const current = this.#socket;
    if (current && !current.destroyed && !current.readableEnded && current.writable) return current;
    // One whose end from the server has been read (keep-alive timeout, connection: close) is not reused. A
    // close still on its way can meet a new request, which then fails as it would with node:http.
    current?.destroy();
    const { host, port, localAddress } = this.#target;
    const socket = net.connect({ host, port, noDelay: true, ...(localAddress ? { localAddress } : {}) });
    this.#meter.track(socket);
    this.#socket = socket;
    this.#reset();
    this.#error = undefined;
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('error', (error) => {
      if (socket === this.#socket) this.#error ??= error;
    });
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#fail(this.#error ?? new Error('http connection: the server closed the connection before answering'));
    });
    return socket;
  }

  #onData(socket: net.Socket, chunk: Buffer): void {
    const receivedAt = nowUs();
    if (socket !== this.#socket) return;
    if (!this.#pending) return this.#protocolError(socket, 'bytes arrived with no request in flight');
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    if (!this.#frame) {
      const buffer = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#length);
      this.#chunks = [buffer];
      const headEnd = buffer.indexOf(HEAD_END);
      if (headEnd < 0) {
        if (this.#length > MAX_HEAD_BYTES) this.#protocolError(socket, `response head longer than ${MAX_HEAD_BYTES} bytes`);
        return;
      }
      const frame = parseHead(buffer.toString('latin1', 0, headEnd));
      if (typeof frame === 'string') return this.#protocolError(socket, frame);
      this.#frame = { ...frame, headLength: headEnd + HEAD_END.length, total: headEnd + HEAD_END.length + frame.contentLength };
    }
    const frame = this.#frame;
    if (this.#length < frame.total) return;
    if (this.#length > frame.total) return this.#protocolError(socket, 'more bytes than content-length announced');
    const buffer = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length);
    const pending = this.#pending;
    this.#pending = undefined;
    this.#reset();
    if (frame.close) socket.end();
    pending.resolve({ status: frame.status, body: buffer.toString('utf8', frame.headLength, frame.total), receivedAt });
  }

  #reset(): void {
    this.#chunks = [];
    this.#length = 0;
    this.#frame = undefined;
  }

  #fail(error: Error): void {
    const pending = this.#pending;
    this.#pending = undefined;
    this.#reset();
    pending?.reject(error);
  }

  #protocolError(socket: net.Socket, why: string): void {
    this.#fail(new Error(`http connection: ${why}`));
    socket.destroy();
  }
}

/** Status, content-length and connection: close from a response head, or what is wrong with it. */
export function parseHead(head: string): { status: number; contentLength: number; close: boolean } | string {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})\b/.exec(lines[0] ?? '');
  if (!status) return `not an HTTP/1.x status line: '${(lines[0] ?? '').slice(0, 64)}'`;
  let contentLength: number | undefined;
  let close = lines[0]!.startsWith('HTTP/1.0');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value) || (contentLength !== undefined && contentLength !== Number(value))) return `bad content-length '${value}'`;
      contentLength = Number(value);
    } else if (name === 'transfer-encoding') {
      return `transfer-encoding '${value}' is not supported; the bench servers answer /poll with content-length`;
    } else if (name === 'connection') {
      close = value.toLowerCase().split(',').some((token) => token.trim() === 'close');
    }
  }
  if (contentLength === undefined) return 'the answer has no content-length';
  return { status: Number(status[1]), contentLength, close };
}

function abortError(): Error {
  const error = new Error('http connection: the request was aborted');
  error.name = 'AbortError';
  return error;
}
