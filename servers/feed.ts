import { nowUs } from '../protocol/clock.ts';
import { TOOL_ERRORS, ToolError } from '../protocol/tool-errors.ts';
import type { FeedMessage } from '../protocol/message.ts';
import { PayloadSource } from './payload.ts';
import { RingLog } from './ring-log.ts';
import type { MessageFeed } from './message-feed.ts';

/**
 * The one message feed every transport serves. Messages are numbered per room (1, 2, 3 …), stamped on the
 * shared monotonic clock, kept in a bounded log per room for resumption, and handed to live subscribers.
 */

export interface FeedOptions {
  /** Entries kept per room for resumption (ring buffer length). */
  logLength?: number;
  /**
   * Most bytes a room's log holds (each entry's JSON, and its bytes when binary): large payloads keep fewer
   * than logLength entries, so 10,000 messages of 64 KiB never pin 650 MB per room.
   */
  logBytes?: number;
  /** Size of generated payloads, bytes. */
  payloadBytes?: number;
  /** Generate binary payloads (sent as binary frames where the transport carries binary, base64 elsewhere). */
  binary?: boolean;
  /** Seed for generated payload content. */
  seed?: number;
  /** Most distinct rooms the feed will hold a log for; publishing to one more is refused. */
  maxRooms?: number;
  /**
   * Test only: each message enters the log and reaches live subscribers this much later, ms, as on a server
   * that got that much slower (its seq and `at` are taken at once). 0: at once. Server start option
   * injectDelayMs; compare's latency gate is shown to catch it.
   */
  deliveryDelayMs?: number;
}

export const DEFAULT_FEED_OPTIONS: Readonly<Required<FeedOptions>> = Object.freeze({
  logLength: 10_000,
  logBytes: 64 * 1024 * 1024,
  payloadBytes: 64,
  binary: false,
  seed: 1,
  maxRooms: 10_000,
  deliveryDelayMs: 0,
});

/**
 * What subscribers receive: the message, its JSON text encoded once for every receiver, and for binary
 * feeds the raw payload bytes.
 */
export interface FeedEntry {
  readonly seq: number;
  readonly message: FeedMessage;
  readonly json: string;
  readonly bytes?: Buffer;
}

export type FeedListener = (entry: FeedEntry) => void;

/** What an entry holds in the log, bytes: its JSON text and, for a binary payload, the bytes beside it. */
export function entryBytes(entry: FeedEntry): number {
  return entry.json.length + (entry.bytes?.length ?? 0);
}

/** How many of `published` entries of `bytesEach` a room's log still holds (both of its bounds). */
export function retainedEntries(published: number, bytesEach: number, options: Pick<Required<FeedOptions>, 'logLength' | 'logBytes'> = DEFAULT_FEED_OPTIONS): number {
  return Math.min(published, options.logLength, Math.max(1, Math.floor(options.logBytes / bytesEach)));
}

export class Feed implements MessageFeed {
  readonly kind = 'memory';
  readonly options: Readonly<Required<FeedOptions>>;
  readonly #logs = new Map<string, RingLog<FeedEntry>>();
  readonly #listeners = new Map<string, Set<FeedListener>>();
  readonly #payloads: PayloadSource;
  #published = 0;
  /** With an injected delay: the newest seq handed out per room, ahead of the log until its timer fires. */
  readonly #reserved = new Map<string, number>();

  constructor(options: FeedOptions = {}) {
    this.options = Object.freeze({ ...DEFAULT_FEED_OPTIONS, ...options });
    this.#payloads = PayloadSource.of(this.options.payloadBytes, this.options.seed);
  }

  /** Messages published since start, over all rooms. */
  get published(): number {
    return this.#published;
  }

  /** Last seq in the room (0 when none). */
  head(room: string): number {
    return this.#logs.get(room)?.head ?? 0;
  }

  /** Rooms that have at least one message, with their head. */
  rooms(): Map<string, number> {
    return new Map([...this.#logs].map(([room, log]) => [room, log.head]));
  }

  /**
   * Publishes one message. `payload` defaults to the deterministic generated content; `intendedAt` is the
   * open-loop schedule's time (µs) and defaults to now.
   */
  publish(room: string, payload?: string | Buffer, intendedAt?: number): FeedEntry {
    const log = this.#logFor(room);
    // Seqs handed out ahead of the log exist only with the test-only injected delay: no lookup on the usual path.
    const seq = (this.options.deliveryDelayMs > 0 ? (this.#reserved.get(room) ?? log.head) : log.head) + 1;
    const ts = nowUs();
    let bytes: Buffer | undefined;
    let text: string;
    if (payload === undefined) {
      if (this.options.binary) bytes = this.#payloads.bytes(room, seq);
      else text = this.#payloads.text(room, seq);
    } else if (typeof payload !== 'string') {
      bytes = payload;
    }
    text ??= bytes ? bytes.toString('base64') : (payload as string);
    const message: FeedMessage = bytes
      ? { seq, room, ts, at: intendedAt ?? ts, payload: text, enc: 'base64' }
      : { seq, room, ts, at: intendedAt ?? ts, payload: text };
    const entry: FeedEntry = { seq, message, json: JSON.stringify(message), bytes };
    this.#published++;
    if (this.options.deliveryDelayMs > 0) this.#appendLater(room, log, entry, this.options.deliveryDelayMs);
    else this.#append(room, log, entry);
    return entry;
  }

  /**
   * Entries of `room` after `cursor`, at most `limit`; `gap` says some were already dropped from the log.
   * A cursor beyond the room's head can only come from a client of an earlier feed (the server restarted and
   * its log is gone): the answer starts from the oldest entry held, as for cursor 0, with `reset: true`.
   */
  after(room: string, cursor: number, limit = Infinity): { entries: FeedEntry[]; gap: boolean; head: number; reset?: true } {
    const log = this.#logs.get(room);
    const head = log?.head ?? 0;
    const reset = cursor > head ? ({ reset: true } as const) : {};
    if (!log) return { entries: [], gap: false, head: 0, ...reset };
    return { ...log.after(cursor > head ? 0 : cursor, limit), head, ...reset };
  }

  /** The in-memory feed holds every message it numbered: any cursor is answered at once. */
  catchUp(): undefined {
    return undefined;
  }

  /** The in-memory feed starts over only with its process: nothing to listen for. */
  onRestart(): void {}

  async close(): Promise<void> {}

  /**
   * Adds an entry numbered elsewhere (a replica of a shared feed, servers/redis-feed.ts) and hands it to the
   * room's subscribers. Entries come in seq order; one at or below the head is ignored, and one beyond head + 1
   * (the shared log was trimmed before this replica read it) makes the log go on from there, a gap to readers.
   */
  accept(entry: FeedEntry): void {
    const room = entry.message.room;
    const log = this.#logFor(room);
    if (entry.seq <= log.head) return;
    if (entry.seq !== log.head + 1) log.restartAt(entry.seq - 1);
    this.#append(room, log, entry);
  }

  /** Forgets every room's log (the shared feed started over); subscriptions stay. */
  clear(): void {
    this.#logs.clear();
  }

  /** Calls `listener` for every message published to `room` from now on; returns the unsubscribe function. */
  subscribe(room: string, listener: FeedListener): () => void {
    let set = this.#listeners.get(room);
    if (!set) this.#listeners.set(room, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(room) === set) this.#listeners.delete(room);
    };
  }

  /** Live subscriptions over all rooms (a leak check: returns to 0 when every client has gone). */
  get subscriberCount(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  #append(room: string, log: RingLog<FeedEntry>, entry: FeedEntry): void {
    log.push(entry);
    this.#deliver(room, entry);
  }

  /**
   * The injected delay holds the log and the live delivery back together, so the servers' "backlog, then live,
   * in one tick" stays true: a client that reads the backlog and subscribes meanwhile gets the entry once, live.
   * Timers of one duration fire in the order they were set, so the log still grows seq by seq.
   */
  #appendLater(room: string, log: RingLog<FeedEntry>, entry: FeedEntry, delayMs: number): void {
    this.#reserved.set(room, entry.seq);
    setTimeout(() => {
      if (this.#reserved.get(room) === entry.seq) this.#reserved.delete(room);
      this.#append(room, log, entry);
    }, delayMs);
  }

  #deliver(room: string, entry: FeedEntry): void {
    const listeners = this.#listeners.get(room);
    if (listeners) for (const listener of listeners) listener(entry);
  }

  #logFor(room: string): RingLog<FeedEntry> {
    let log = this.#logs.get(room);
    if (!log) {
      if (this.#logs.size >= this.options.maxRooms) throw new ToolError(TOOL_ERRORS.FEED_TOO_MANY_ROOMS, `the feed holds at most ${this.options.maxRooms} rooms`);
      this.#logs.set(room, (log = new RingLog(this.options.logLength, { maxBytes: this.options.logBytes, sizeOf: entryBytes })));
    }
    return log;
  }
}
