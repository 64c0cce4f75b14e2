import type { Page } from 'playwright-core';
import type { PollCounts, TransportClient } from '../../clients/client.ts';
import { WireMeter, type WireBytes } from '../../clients/wire-meter.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import { TOOL_ERRORS, ToolError } from '../../protocol/tool-errors.ts';
import type { TransportName } from '../../protocol/transports.ts';
import { endpointOf, tallyErrors, type ClientGroup, type ClientPoolOptions, type PooledClient } from '../run/client-pool.ts';
import type { BrowserRuntime } from './browser-runtime.ts';

/**
 * N clients of one transport in Chromium pages (run --client-runtime browser), behind the same interface as
 * the Node clients' pool, so a measured window and its recorder treat them alike:
 * - receipts are stamped in the page on the page's clock and collected in batches every PULL_MS; each page's
 *   clock is mapped to the server's by an NTP-style offset (clients/browser/feed-clients-script.ts,
 *   estimateOffset), whose uncertainty the step's notes give;
 * - bytes are what the server's sockets counted for each client (GET /meter, servers/connection-meter.ts): real
 *   browser headers and framing, no client-side view needed;
 * - the HTTP clients reach their server under their own host names, c<N>.localhost, clientsPerHost each (5 by
 *   default): Chromium opens at most 6 HTTP/1.1 connections per host, and a seventh long poll or EventSource
 *   waits for one; with more per host the step says how long its clients waited to be ready.
 */

/** Clients per page (one renderer's JavaScript serves them all). */
const CLIENTS_PER_PAGE = 50;
/** The most HTTP/1.1 connections Chromium opens to one host (its socket pool's per-group limit). */
export const CHROMIUM_CONNECTIONS_PER_HOST = 6;
/** How often receipts and counters are collected from the pages, ms. */
const PULL_MS = 50;
/** Clock ping-pongs per page; the shortest round trip wins. */
const OFFSET_SAMPLES = 30;
/** Within the smallest step timeout (smoke's 15 s), so a queue that never clears is reported with its reason. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** One receipt as the page stamps it: client index, seq, room, at, ts, received (page ms), payload length. */
type Receipt = [number, number, string, number, number, number, number];

interface ClientState {
  errors: number;
  lastError: string;
  readyMs: number;
  lastSeq: number;
  polls: number;
  empty: number;
}

interface PageHandle {
  page: Page;
  /** Server clock − page clock, ms, and its uncertainty (half the shortest round trip), ms. */
  offsetMs: number;
  uncertaintyMs: number;
}

declare const TransportBenchPage: {
  add(specs: unknown[]): Promise<void>;
  drain(): { receipts: Receipt[]; clients: (ClientState | null)[] };
  offset(index: number, k: number): Promise<{ offsetMs: number; uncertaintyMs: number; samples: number }>;
  pollTimings(): PollTimings;
  close(): void;
};

/** Each poll's time in flight and the page's turn before the next, ms (bench-page-script.ts, pollTimings). */
export interface PollTimings {
  inFlight: number[];
  turn: number[];
}

/** A browser client as the measuring code sees it: its counters, read from the page's last batch. */
class BrowserClientHandle implements TransportClient {
  readonly meter = new WireMeter();
  state: ClientState = { errors: 0, lastError: '', readyMs: 0, lastSeq: 0, polls: 0, empty: 0 };

  constructor(readonly transport: TransportName) {}

  get lastSeq(): number {
    return this.state.lastSeq;
  }

  connect(): Promise<void> {
    return Promise.reject(new Error('a browser client is connected by its pool'));
  }

  publish(): Promise<number> {
    return Promise.reject(new ToolError(TOOL_ERRORS.NOT_APPLICABLE, 'publishing from a browser client is not measured yet (push only)'));
  }

  async close(): Promise<void> {}

  /** Bytes are the server's count (BrowserClientPool.steadyBytes), not the client's. */
  bytes(): WireBytes {
    return { setup: { read: 0, written: 0 }, steady: { read: 0, written: 0 }, sockets: 0 };
  }

  pollCounts(): PollCounts {
    return { polls: this.state.polls, empty: this.state.empty };
  }
}

const fillers = new Map<number, string>();
/** A payload of the delivered length: the recorder needs its size, not its letters. */
const filler = (length: number): string => {
  let text = fillers.get(length);
  if (text === undefined) fillers.set(length, (text = 'x'.repeat(length)));
  return text;
};

export class BrowserClientPool implements ClientGroup {
  readonly members: PooledClient[] = [];
  readonly #pages: PageHandle[] = [];
  readonly #options: ClientPoolOptions;
  readonly #cids: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #pulling: Promise<void> = Promise.resolve();
  #baseline = 0;
  #closed = false;
  /** Bytes per client until every client was open (the room's primer included), by the server's count. */
  setupBytesPerClient = 0;

  readonly #runtime: BrowserRuntime;

  private constructor(options: ClientPoolOptions & { runtime: BrowserRuntime }) {
    this.#options = options;
    this.#runtime = options.runtime;
  }

  get size(): number {
    return this.members.length;
  }

  /** Time from starting to connect until ready, ms: p50 and the longest, over the pool's clients. */
  readyMs(): { p50: number; max: number } {
    const sorted = this.members.map((m) => m.readyUs / 1000).sort((a, b) => a - b);
    return { p50: sorted[Math.floor((sorted.length - 1) / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
  }

  /** The clock offsets of the pool's pages, for the step's notes: the largest uncertainty, ms. */
  get offsetUncertaintyMs(): number {
    return Math.max(0, ...this.#pages.map((p) => p.uncertaintyMs));
  }

  static async connect(options: ClientPoolOptions & { runtime: BrowserRuntime; clientsPerHost: number }): Promise<BrowserClientPool> {
    const pool = new BrowserClientPool(options);
    try {
      await pool.#open(options.runtime, options.clientsPerHost);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  async #open(runtime: BrowserRuntime, clientsPerHost: number): Promise<void> {
    const o = this.#options;
    const tag = Math.random().toString(36).slice(2, 8);
    const specs = Array.from({ length: o.clients }, (_, index) => {
      const room = o.rooms[index % o.rooms.length]!;
      const cid = `b${tag}${index}`;
      this.#cids.push(cid);
      this.members.push({ index, room, client: new BrowserClientHandle(o.transport), readyUs: 0, errors: 0 });
      // Names only where they map to the server (127.0.0.1: browser-runtime.ts); a proxy elsewhere by its address.
      const node = endpointOf(o, index);
      const host = node.host === '127.0.0.1' ? `c${Math.floor(index / clientsPerHost)}.localhost` : node.host;
      // The clock is asked under a name of its own, never queued behind the clients' own connections.
      const clockHost = node.host === '127.0.0.1' ? 'clock.localhost' : node.host;
      return { index, transport: o.transport, origin: `http://${host}:${node.port}`, clockOrigin: `http://${clockHost}:${node.port}`, room, cid, pollIntervalMs: o.clientOptions?.pollIntervalMs ?? 100 };
    });
    const timeoutMs = o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    for (let first = 0; first < specs.length; first += CLIENTS_PER_PAGE) {
      const page = await runtime.newPage();
      const handle: PageHandle = { page, offsetMs: 0, uncertaintyMs: 0 };
      this.#pages.push(handle);
      const batch = specs.slice(first, first + CLIENTS_PER_PAGE);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        page.evaluate((s) => TransportBenchPage.add(s), batch),
        new Promise<never>((_, reject) => {
          const queued = clientsPerHost > CHROMIUM_CONNECTIONS_PER_HOST && o.transport !== 'ws' ? ` (${clientsPerHost} clients per host: Chromium opens at most ${CHROMIUM_CONNECTIONS_PER_HOST} connections per host, so the others wait for one)` : '';
          timer = setTimeout(() => reject(new Error(`${o.transport} browser clients ${first}–${first + batch.length - 1} not all ready after ${timeoutMs} ms${queued}`)), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      o.signal?.throwIfAborted();
    }
    await this.#pull();
    for (const member of this.members) member.readyUs = (member.client as BrowserClientHandle).state.readyMs * 1000;
    // Before the clock ping-pongs, which go over the clients' own connections.
    this.setupBytesPerClient = (await this.#serverBytes()) / Math.max(1, this.members.length);
    for (const [p, handle] of this.#pages.entries()) {
      const offset = await handle.page.evaluate(([index, k]) => TransportBenchPage.offset(index, k), [p * CLIENTS_PER_PAGE, OFFSET_SAMPLES] as const);
      handle.offsetMs = offset.offsetMs;
      handle.uncertaintyMs = offset.uncertaintyMs;
    }
    this.#timer = setInterval(() => void this.#pull(), PULL_MS);
  }

  /** Collects every page's receipts and counters; one collection at a time, in order. */
  #pull(): Promise<void> {
    this.#pulling = this.#pulling.then(async () => {
      for (const handle of this.#pages) {
        if (handle.page.isClosed()) continue;
        const batch = await handle.page.evaluate(() => TransportBenchPage.drain()).catch(() => undefined);
        if (!batch) continue;
        for (const [index, seq, room, at, ts, receivedMs, length] of batch.receipts) {
          const member = this.members[index];
          if (!member) continue;
          const message: FeedMessage = { seq, room, ts, at, payload: filler(length) };
          // The page's clock mapped to the server's, µs.
          this.#options.onMessage?.(member, message, (receivedMs + handle.offsetMs) * 1000);
        }
        batch.clients.forEach((state, index) => {
          const member = this.members[index];
          if (!state || !member) return;
          (member.client as BrowserClientHandle).state = state;
          member.errors = state.errors;
          if (state.lastError) member.lastError = state.lastError;
        });
      }
    });
    return this.#pulling;
  }

  /** What the server's sockets counted for the pool's clients, both directions, bytes. */
  async #serverBytes(): Promise<number> {
    const counts = await Promise.all(
      this.#cids.map(async (cid, index) => {
        // Each client's bytes are counted by the node it connected to.
        const { host, port } = endpointOf(this.#options, index);
        const answer = await fetch(`http://${host}:${port}/meter?client=${cid}`);
        if (!answer.ok) throw new Error(`GET /meter answered ${answer.status}: the server does not count browser clients' bytes`);
        const bytes = (await answer.json()) as { sent: number; received: number };
        return bytes.sent + bytes.received;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async resetSteady(): Promise<void> {
    await this.#pull();
    this.#baseline = await this.#serverBytes();
  }

  /** The polls answered since the last call, every page's (the first call starts the count). */
  async pollTimings(): Promise<PollTimings> {
    const all: PollTimings = { inFlight: [], turn: [] };
    for (const { page } of this.#pages) {
      const timings = await page.evaluate(() => TransportBenchPage.pollTimings()).catch(() => undefined);
      all.inFlight.push(...(timings?.inFlight ?? []));
      all.turn.push(...(timings?.turn ?? []));
    }
    return all;
  }

  async steadyBytes(): Promise<number> {
    await this.#pull();
    return (await this.#serverBytes()) - this.#baseline;
  }

  errors(): { count: number; example?: string } {
    return tallyErrors(this.members);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#pulling.catch(() => undefined);
    await Promise.all(
      this.#pages.map(async ({ page }) => {
        // Its clients closed, a page goes back to the runtime for the next pool; one that fails to close them is dropped.
        const closed = await page.evaluate(() => TransportBenchPage.close()).then(() => true, () => false);
        if (closed) this.#runtime.releasePage(page);
        else await page.close().catch(() => undefined);
      }),
    );
  }
}
