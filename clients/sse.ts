import { EndpointRing } from './endpoint-ring.ts';
import { headersFor } from './request-headers.ts';
import http from 'node:http';
import { nowUs } from '../protocol/clock.ts';
import type { FeedMessage } from '../protocol/message.ts';
import type { ClientFactory, ClientOptions, TransportClient } from './client.ts';
import { WireMeter, type WireBytes } from './wire-meter.ts';
import { MeteredAgent, publish } from './metered-agent.ts';
import { Backoff } from './backoff.ts';
import { asError, errorMessage } from './server-error.ts';

/** One dispatched event: its `id:` (when it had one) and its joined `data:` lines. */
export interface SseEvent {
  id: string | undefined;
  data: string;
}

/**
 * An incremental text/event-stream parser: chunks may split anywhere (the response decodes UTF-8, so not
 * inside a character). Lines end in LF or CRLF; `event:` and `retry:` are not used by this protocol.
 */
export class SseParser {
  #rest = '';
  #data: string[] = [];
  #id: string | undefined;

  constructor(
    readonly onEvent: (event: SseEvent, receivedAt: number) => void,
    readonly onComment: (text: string) => void = () => {},
  ) {}

  /** Feeds one chunk; `receivedAt` is when it arrived, the completion time of every event it ends. */
  push(chunk: string, receivedAt: number): void {
    const text = this.#rest + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      const line = text.charCodeAt(end - 1) === 13 && end > start ? text.slice(start, end - 1) : text.slice(start, end);
      start = end + 1;
      this.#line(line, receivedAt);
    }
    this.#rest = text.slice(start);
  }

  #line(line: string, receivedAt: number): void {
    if (line === '') {
      if (this.#data.length > 0) this.onEvent({ id: this.#id, data: this.#data.join('\n') }, receivedAt);
      this.#data = [];
      this.#id = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      this.onComment(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'id') this.#id = value;
  }
}

/**
 * SSE: GET /sse?room=R&cursor=N, then events until the stream ends; reconnects with Last-Event-ID.
 * Ready when the server's `: ready` comment arrives (after the headers, before the backlog).
 */
class SseClient implements TransportClient {
  readonly transport = 'sse' as const;
  readonly meter = new WireMeter();
  readonly #http: MeteredAgent;
  readonly #endpoints: EndpointRing;
  readonly #backoff = new Backoff();
  #lastSeq: number;
  #closed = false;
  #started = false;
  #request: http.ClientRequest | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly options: ClientOptions) {
    this.#http = new MeteredAgent(this.meter, undefined, options.localAddress);
    this.#endpoints = new EndpointRing({ host: options.host ?? '127.0.0.1', port: options.port }, options.failover);
    this.#lastSeq = options.cursor ?? 0;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Resolves at the first `: ready`; rejects when the first stream fails before it. */
  connect(): Promise<void> {
    if (this.#started || this.#closed) return Promise.reject(new Error(`sse client already ${this.#closed ? 'closed' : 'connected'}`));
    this.#started = true;
    return new Promise((resolve, reject) => this.#open(false, resolve, reject));
  }

  publish(room: string, payload: string): Promise<number> {
    return publish(this.#http.agent, this.#endpoints.current, room, payload);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#request?.destroy();
    await this.#http.destroy();
  }

  bytes(): WireBytes {
    return this.meter.bytes();
  }

  /** Opens one stream. Before `: ready`, a failure rejects connect() (first stream) or is retried (later ones). */
  #open(resume: boolean, onReady?: () => void, onFailFirst?: (error: Error) => void): void {
    let ready = false;
    let ended = false;
    const end = (error: Error): void => {
      if (ended) return;
      ended = true;
      if (!ready && onFailFirst) return onFailFirst(this.#closed ? new Error('sse client closed before it was ready') : error);
      if (this.#closed) return;
      this.options.onError?.(error);
      if (this.options.reconnect === false) return;
      // Failed before ready: that server did not take us (a node that died); try the next, if any.
      if (!ready) this.#endpoints.advance();
      this.#timer = setTimeout(() => this.#open(true), this.#backoff.take());
    };
    const target = this.#endpoints.current;

    // A browser's EventSource headers when the run asks for them (run --request-headers); they carry their own Accept.
    const extra = headersFor(this.options.requestHeaders, 'eventSource', target);
    const headers: http.OutgoingHttpHeaders = Object.fromEntries(extra);
    if (!extra.some(([name]) => name.toLowerCase() === 'accept')) headers.accept = 'text/event-stream';
    if (resume) headers['last-event-id'] = String(this.#lastSeq);
    const path = `/sse?room=${encodeURIComponent(this.options.room)}&cursor=${this.#lastSeq}`;
    const req = http.request({ agent: this.#http.agent, ...target, path, headers });
    this.#request = req;
    req.on('error', (error) => end(error));
    req.on('response', (res) => {
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => end(new Error(`sse failed: ${errorMessage(res.statusCode ?? 0, body)}`)));
        res.on('error', (error) => end(error));
        return;
      }
      const parser = new SseParser(
        (event, receivedAt) => this.#event(event, receivedAt),
        (comment) => {
          // The server lost its log (it restarted): adopt its numbering, so the next resume asks from its start.
          if (comment === 'reset') this.#lastSeq = 0;
          if (ready || !comment.startsWith('ready')) return;
          ready = true;
          this.#backoff.reset();
          this.meter.markReady();
          onReady?.();
        },
      );
      res.on('data', (chunk: string) => parser.push(chunk, nowUs()));
      res.on('error', (error) => end(new Error(`sse stream failed: ${error.message}`)));
      res.on('close', () => end(new Error('sse stream ended')));
    });
    req.end();
  }

  #event(event: SseEvent, receivedAt: number): void {
    let message: FeedMessage;
    try {
      message = JSON.parse(event.data) as FeedMessage;
    } catch (error) {
      this.options.onError?.(new Error(`sse: event data is not JSON: ${asError(error).message}`));
      return;
    }
    if (event.id !== undefined) this.#lastSeq = Number(event.id);
    try {
      this.options.onMessage(message, receivedAt);
    } catch (error) {
      // A throwing callback must not take the stream (or the process) down with it.
      this.options.onError?.(asError(error));
    }
  }
}

export const createSseClient: ClientFactory = (options) => new SseClient(options);
