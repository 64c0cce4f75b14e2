import { EndpointRing } from './endpoint-ring.ts';
import { headersFor } from './request-headers.ts';
import type { PollResponse, PublishAck } from '../protocol/message.ts';
import type { TransportName } from '../protocol/transports.ts';
import type { ClientFactory, ClientOptions, PollCounts, TransportClient } from './client.ts';
import { WireMeter, type WireBytes } from './wire-meter.ts';
import { HttpConnection, type HttpTarget } from './http-connection.ts';
import { Backoff } from './backoff.ts';
import { asError, errorMessage } from './server-error.ts';

/**
 * The polling loop, shared by both polling clients: GET /poll with the last cursor, hand over the messages,
 * wait `intervalMs`, again. Short polling waits between polls; long polling (interval 0) re-polls at once
 * because the server holds the request until there is something to say.
 */
export class PollingClient implements TransportClient {
  readonly meter = new WireMeter();
  /** For GET /poll: a lean keep-alive connection, one poll at a time. */
  #polls: HttpConnection;
  /** Publish connections to a node this client left, still busy when it left (closed with the client). */
  readonly #retired: HttpConnection[] = [];
  /** For POST /publish: one connection per publish in flight, kept alive and reused. */
  readonly #publishers: HttpConnection[] = [];
  #target: HttpTarget;
  readonly #endpoints: EndpointRing;
  readonly #backoff = new Backoff();
  #cursor: number;
  readonly #counts: PollCounts = { polls: 0, empty: 0 };
  #closed = false;
  /** A browser's fetch headers when the run asks for them (run --request-headers). */
  readonly #extraHeaders: Array<[string, string]>;
  #running = false;
  #abort: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    readonly transport: TransportName,
    readonly options: ClientOptions,
    readonly intervalMs: number,
  ) {
    this.#endpoints = new EndpointRing({ host: options.host ?? '127.0.0.1', port: options.port }, options.failover);
    this.#target = { ...this.#endpoints.current, ...(options.localAddress ? { localAddress: options.localAddress } : {}) };
    this.#extraHeaders = headersFor(options.requestHeaders, 'fetch', this.#target);
    this.#polls = new HttpConnection(this.#target, this.meter, this.#extraHeaders);
    this.#cursor = options.cursor ?? 0;
  }

  get lastSeq(): number {
    return this.#cursor;
  }

  /** Resolves after the first poll's answer; rejects when that first poll fails. */
  async connect(): Promise<void> {
    if (this.#running || this.#closed) throw new Error(`${this.transport} client already ${this.#closed ? 'closed' : 'connected'}`);
    this.#running = true;
    try {
      await this.#poll();
    } catch (error) {
      this.#running = false;
      throw asError(error);
    }
    this.meter.markReady();
    this.#loop = this.#run();
  }

  async publish(room: string, payload: string): Promise<number> {
    if (this.#closed) throw new Error(`${this.transport} client: closed`);
    let connection = this.#publishers.find((c) => !c.busy);
    if (!connection) this.#publishers.push((connection = new HttpConnection(this.#target, this.meter, this.#extraHeaders)));
    const answer = await connection.postJson('/publish', JSON.stringify({ room, payload }));
    if (answer.status !== 200) throw new Error(`publish failed: ${errorMessage(answer.status, answer.body)}`);
    return (JSON.parse(answer.body) as PublishAck).seq;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    this.#abort?.abort();
    await this.#loop;
    await Promise.all([this.#polls, ...this.#publishers, ...this.#retired].map((connection) => connection.destroy()));
  }

  bytes(): WireBytes {
    return this.meter.bytes();
  }

  pollCounts(): PollCounts {
    return { ...this.#counts };
  }

  /** One poll: ask, hand every message over with the answer's receive time, move the cursor. */
  async #poll(): Promise<void> {
    this.#abort = new AbortController();
    const answer = await this.#polls.get(`/poll?room=${encodeURIComponent(this.options.room)}&cursor=${this.#cursor}`, this.#abort.signal);
    // An answer, even a refusal (429 when too many polls are held), says the node is there: no failover for it.
    if (answer.status !== 200) throw Object.assign(new Error(`poll failed: ${errorMessage(answer.status, answer.body)}`), { answered: true });
    const { messages, cursor } = JSON.parse(answer.body) as PollResponse;
    this.#counts.polls++;
    if (messages.length === 0) this.#counts.empty++;
    for (const message of messages) {
      this.#cursor = message.seq;
      try {
        this.options.onMessage(message, answer.receivedAt);
      } catch (error) {
        // A throwing callback must not fail the poll: that would delay (or, with reconnect off, end) polling.
        this.options.onError?.(asError(error));
      }
    }
    // The answer's cursor wins, also after a reset (the server restarted and its numbering starts over).
    this.#cursor = cursor;
  }

  async #run(): Promise<void> {
    let delay = this.intervalMs;
    while (!this.#closed) {
      if (delay > 0) await this.#sleep(delay);
      if (this.#closed) return;
      try {
        await this.#poll();
        this.#backoff.reset();
        delay = this.intervalMs;
      } catch (error) {
        if (this.#closed) return;
        this.options.onError?.(asError(error));
        if (this.options.reconnect === false) return;
        if (this.#endpoints.size > 1 && (error as { answered?: boolean }).answered !== true) this.#failOver();
        delay = this.#backoff.take();
      }
    }
  }

  /**
   * A poll could not reach its node and other nodes share the feed: the next polls and publishes go to the next
   * one. A publisher still waiting for its answer is left to finish (closed with the client); idle ones go now.
   */
  #failOver(): void {
    const old = [this.#polls, ...this.#publishers.splice(0)];
    this.#target = { ...this.#endpoints.advance(), ...(this.options.localAddress ? { localAddress: this.options.localAddress } : {}) };
    this.#polls = new HttpConnection(this.#target, this.meter, this.#extraHeaders);
    for (const connection of old) {
      if (connection.busy) this.#retired.push(connection);
      else void connection.destroy();
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }
}

/** Short polling: one GET /poll every `pollIntervalMs` (default 100 ms) after the previous answer. */
export const createShortPollingClient: ClientFactory = (options) =>
  new PollingClient('short-polling', options, options.pollIntervalMs ?? 100);
