import { createHash, randomBytes } from 'node:crypto';
import { nowUs } from '../protocol/clock.ts';
import type { FeedMessage } from '../protocol/message.ts';
import { TOOL_ERRORS, ToolError } from '../protocol/tool-errors.ts';
import { DEFAULT_FEED_OPTIONS, Feed, type FeedEntry, type FeedListener, type FeedOptions } from './feed.ts';
import type { MessageFeed } from './message-feed.ts';
import { PayloadSource } from './payload.ts';
import { connectRedis, type RedisConnection } from './redis-connection.ts';
import { batchWrites } from './write-batch.ts';

/**
 * The feed in Redis, shared by every server node of a transport (docs/scale.md). Redis numbers and keeps the
 * messages; each node holds a replica it serves from, so reading stays synchronous as every transport needs.
 *
 * - Per room, a counter (`INCR`) and a stream whose entry ids are the seqs (`<seq>-0`), trimmed with
 *   `XADD … MAXLEN ~ logLength`: one script does both, so seqs are 1, 2, 3 … without gaps, whichever node publishes.
 * - A stream of room names (an entry when a room gets its first message) lets every node learn of every room.
 * - Each node reads the rooms' streams with blocking `XREAD`s, one connection per group of rooms, and puts each
 *   entry in its replica, which hands it to that node's subscribers: every node delivers every message once,
 *   in order, and the publishing node too only when Redis has numbered it.
 * - An epoch key, set by the first node to start (`SET NX`), tells a node that Redis started over empty (a restart
 *   without persistence): its replica is then cleared and its servers drop their clients, who come back with
 *   cursors of the old feed and are told to reset (docs/protocol.md, "Resets").
 */

export interface RedisFeedOptions extends FeedOptions {
  /** redis://, rediss:// or unix:///path URL. */
  url: string;
  /** Every key of this feed starts with `tb:<namespace>:`: a transport's nodes share one, nothing else does. */
  namespace: string;
}

/** Rooms one blocking reader follows; more rooms get more readers (each `XREAD` names every stream it reads). */
const ROOMS_PER_READER = 256;
/** Entries one `XREAD` returns per stream at most. */
const READ_COUNT = 1_000;
/**
 * How long a blocking read waits before it is asked again, ms. Finite, so that a read sent just before a lost
 * connection and replayed after it (node-redis keeps unsent commands) comes back and is thrown away once the
 * node has seen that Redis started over, rather than blocking on an empty Redis with the old positions.
 */
const BLOCK_MS = 1_000;

/**
 * KEYS: counter, log stream, rooms stream. ARGV: MAXLEN, ts, at, payload, encoding, room, maxRooms.
 * Returns the seq, or 0 when the room would be one more than maxRooms.
 */
const PUBLISH_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('XLEN', KEYS[3]) >= tonumber(ARGV[7]) then return 0 end
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], seq .. '-0', 'ts', ARGV[2], 'at', ARGV[3], 'p', ARGV[4], 'e', ARGV[5])
if seq == 1 then redis.call('XADD', KEYS[3], '*', 'room', ARGV[6]) end
return seq
`;

/** What Redis knows the script by (SHA-1 of its text, as SCRIPT LOAD and EVAL compute it). */
const PUBLISH_SCRIPT_SHA = createHash('sha1').update(PUBLISH_SCRIPT).digest('hex');

type StreamEntry = [id: string, fields: string[]];
type XReadReply = [key: string, entries: StreamEntry[]][] | null;

interface Reader {
  readonly group: number;
  readonly connection: RedisConnection;
  /** Last id of the rooms stream this reader has seen (it reads that stream only to wake up for new rooms). */
  roomsCursor: string;
}

export class RedisFeed implements MessageFeed {
  readonly kind = 'redis';
  readonly options: Readonly<Required<FeedOptions>>;
  readonly #replica: Feed;
  readonly #payloads: PayloadSource;
  readonly #prefix: string;
  readonly #commands: RedisConnection;
  readonly #url: string;
  readonly #readers: Reader[] = [];
  /** Groups whose reader is connecting. */
  readonly #starting = new Set<number>();
  /** Rooms in the order the rooms stream lists them: room i is read by reader floor(i / ROOMS_PER_READER). */
  readonly #roomOrder: string[] = [];
  /** Last stream id read per room. */
  readonly #lastIds = new Map<string, string>();
  readonly #waiters = new Map<string, Set<{ cursor: number; resolve: () => void }>>();
  readonly #restartListeners: (() => void)[] = [];
  /** Where a new reader of the rooms stream starts: after what #load() read. */
  #roomsCursor = '0-0';
  #epoch = '';
  #checkingEpoch: Promise<void> | undefined;
  #published = 0;
  #closed = false;

  private constructor(options: RedisFeedOptions, commands: RedisConnection) {
    this.options = Object.freeze({ ...DEFAULT_FEED_OPTIONS, ...withoutRedis(options) });
    this.#replica = new Feed(this.options);
    this.#payloads = PayloadSource.of(this.options.payloadBytes, this.options.seed);
    this.#prefix = `tb:${options.namespace}:`;
    this.#commands = commands;
    this.#url = options.url;
    // Connected already: every later 'ready' is a reconnection, after which Redis may hold another epoch.
    commands.on('ready', () => void this.#checkEpoch());
  }

  /** Connects, reads what Redis holds into the replica and starts reading; rejects when Redis cannot be reached. */
  static async open(options: RedisFeedOptions): Promise<RedisFeed> {
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(options.namespace)) throw new RangeError(`namespace must be 1-128 of A-Z a-z 0-9 _ . : -, got ${JSON.stringify(options.namespace)}`);
    const commands = await connectRedis(options.url, 'transport-bench-feed', { resilient: true });
    const feed = new RedisFeed(options, commands);
    try {
      feed.#epoch = await feed.#currentEpoch();
      await feed.#load();
      await feed.#startReader(0);
    } catch (error) {
      await feed.close();
      throw error;
    }
    return feed;
  }

  /** The epoch this node serves: it changes only when Redis started over empty. */
  get epoch(): string {
    return this.#epoch;
  }

  get published(): number {
    return this.#published;
  }

  get subscriberCount(): number {
    return this.#replica.subscriberCount;
  }

  head(room: string): number {
    return this.#replica.head(room);
  }

  rooms(): Map<string, number> {
    return this.#replica.rooms();
  }

  after(room: string, cursor: number, limit = Infinity) {
    return this.#replica.after(room, cursor, limit);
  }

  subscribe(room: string, listener: FeedListener): () => void {
    return this.#replica.subscribe(room, listener);
  }

  onRestart(listener: () => void): void {
    this.#restartListeners.push(listener);
  }

  /**
   * Numbers the message in Redis and resolves with its entry. Local subscribers get it from the replica, as
   * every other node's do, once a reader has read it back: one order for all, whoever published.
   * The generated payload is drawn for the seq after this node's head (the seq is not known before Redis answers).
   */
  publish(room: string, payload?: string | Buffer, intendedAt?: number): Promise<FeedEntry> {
    const ts = nowUs();
    const at = intendedAt ?? ts;
    let bytes: Buffer | undefined;
    if (payload === undefined) {
      const next = this.#replica.head(room) + 1;
      if (this.options.binary) bytes = this.#payloads.bytes(room, next);
      else payload = this.#payloads.text(room, next);
    } else if (typeof payload !== 'string') {
      bytes = payload;
    }
    const text = bytes ? bytes.toString('base64') : (payload as string);
    const encoding = bytes ? 'base64' : '';
    const keys = [this.#key(`seq:${room}`), this.#key(`log:${room}`), this.#key('rooms')];
    const args = [String(this.options.logLength), String(ts), String(at), text, encoding, room, String(this.options.maxRooms)];
    // By its SHA, not its text: ~350 B less per publish. A Redis that restarted has forgotten it: EVAL loads it again.
    const keysAndArgs = [String(keys.length), ...keys, ...args];
    const numbered = this.#commands
      .sendCommand<number>(['EVALSHA', PUBLISH_SCRIPT_SHA, ...keysAndArgs])
      .catch((error: Error) => (String(error?.message).startsWith('NOSCRIPT') ? this.#commands.sendCommand<number>(['EVAL', PUBLISH_SCRIPT, ...keysAndArgs]) : Promise.reject(error)));
    return numbered.then((seq) => {
      if (seq === 0) throw new ToolError(TOOL_ERRORS.FEED_TOO_MANY_ROOMS, `the feed holds at most ${this.options.maxRooms} rooms`);
      this.#published++;
      return entryOf(seq, room, ts, at, text, encoding, bytes);
    });
  }

  catchUp(room: string, cursor: number): Promise<void> | undefined {
    if (cursor <= this.#replica.head(room)) return undefined;
    return this.#catchUp(room, cursor);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const reader of this.#readers) reader.connection.destroy();
    for (const waiters of this.#waiters.values()) for (const waiter of waiters) waiter.resolve();
    this.#waiters.clear();
    this.#commands.destroy();
  }

  /**
   * Waits until the replica holds `cursor`, or Redis says it never numbered that far (a cursor of a feed before
   * this one, which after() then answers as a reset), or the feed starts over or closes. No time limit: answering
   * a valid cursor before the replica has it would be a false reset. While Redis is away that is until it is back.
   */
  async #catchUp(room: string, cursor: number): Promise<void> {
    const epoch = this.#epoch;
    let waiters = this.#waiters.get(room);
    if (!waiters) this.#waiters.set(room, (waiters = new Set()));
    const set = waiters;
    let resolveReached = (): void => {};
    const reached = new Promise<void>((resolve) => (resolveReached = resolve));
    const waiter = {
      cursor,
      resolve: () => {
        set.delete(waiter);
        resolveReached();
      },
    };
    set.add(waiter);
    if (cursor <= this.#replica.head(room) || this.#closed) waiter.resolve();
    // Unreachable: the replica's progress (or the feed starting over) decides; never reject (see catchUp).
    const beyondRedis = this.#commands.sendCommand<string | null>(['GET', this.#key(`seq:${room}`)]).then(
      (value) => Number(value ?? 0) < cursor,
      () => false,
    );
    await Promise.race([reached, beyondRedis.then((beyond) => (beyond && this.#epoch === epoch ? undefined : reached))]);
    waiter.resolve();
  }


  #key(name: string): string {
    return this.#prefix + name;
  }

  /** The epoch key's value, set to a new one when Redis has none (the first node, or Redis started over). */
  async #currentEpoch(): Promise<string> {
    const key = this.#key('epoch');
    await this.#commands.sendCommand(['SET', key, randomBytes(8).toString('hex'), 'NX']);
    return String(await this.#commands.sendCommand(['GET', key]));
  }

  /** Reads every room and the newest logLength entries of each into the replica. */
  async #load(): Promise<void> {
    const rooms = await this.#commands.sendCommand<StreamEntry[]>(['XRANGE', this.#key('rooms'), '-', '+']);
    this.#roomsCursor = rooms.at(-1)?.[0] ?? '0-0';
    for (const [, fields] of rooms) this.#discover(fieldOf(fields, 'room'));
    await Promise.all(
      this.#roomOrder.map(async (room) => {
        const newest = await this.#commands.sendCommand<StreamEntry[]>(['XREVRANGE', this.#key(`log:${room}`), '+', '-', 'COUNT', String(this.options.logLength)]);
        this.#accept(room, newest.reverse());
      }),
    );
  }

  #discover(room: string | undefined): void {
    if (room === undefined || this.#lastIds.has(room)) return;
    this.#lastIds.set(room, '0-0');
    this.#roomOrder.push(room);
    const group = Math.floor((this.#roomOrder.length - 1) / ROOMS_PER_READER);
    if (group >= this.#readers.length && group > 0 && !this.#closed) void this.#startReader(group).catch(() => {});
  }

  /**
   * Starts the reader of a group of rooms. The first one's failure is open()'s (it rejects, naming the URL);
   * a later group's is retried until it connects, since no other reader reads its rooms.
   */
  async #startReader(group: number): Promise<void> {
    if (this.#readers.some((reader) => reader.group === group) || this.#starting.has(group)) return;
    this.#starting.add(group);
    let connection: RedisConnection;
    try {
      for (;;) {
        try {
          connection = await connectRedis(this.#url, `transport-bench-feed-reader-${group}`, { resilient: true });
          break;
        } catch (error) {
          if (group === 0 || this.#closed) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } finally {
      this.#starting.delete(group);
    }
    if (this.#closed) return connection.destroy();
    const reader: Reader = { group, connection, roomsCursor: this.#roomsCursor };
    this.#readers.push(reader);
    void this.#read(reader);
  }

  async #read(reader: Reader): Promise<void> {
    const roomsKey = this.#key('rooms');
    while (!this.#closed) {
      const rooms = this.#roomOrder.slice(reader.group * ROOMS_PER_READER, (reader.group + 1) * ROOMS_PER_READER);
      const keys = [roomsKey, ...rooms.map((room) => this.#key(`log:${room}`))];
      const ids = [reader.roomsCursor, ...rooms.map((room) => this.#lastIds.get(room) ?? '0-0')];
      let reply: XReadReply;
      const epoch = this.#epoch;
      try {
        reply = await reader.connection.sendCommand<XReadReply>(['XREAD', 'COUNT', String(READ_COUNT), 'BLOCK', String(BLOCK_MS), 'STREAMS', ...keys, ...ids]);
      } catch {
        if (this.#closed) return;
        // The connection was lost (Redis restarting); node-redis reconnects. Did Redis come back empty?
        await this.#checkEpoch();
        continue;
      }
      // A read asked with the positions of a feed that has since started over: its entries are read again.
      if (reply === null || epoch !== this.#epoch) continue;
      try {
        // Every entry of one read leaves in one write per subscriber, as a burst of publishes does in memory.
        batchWrites(() => {
          for (const [key, entries] of reply) {
            if (key === roomsKey) {
              reader.roomsCursor = entries.at(-1)?.[0] ?? reader.roomsCursor;
              for (const [, fields] of entries) this.#discover(fieldOf(fields, 'room'));
            } else {
              this.#accept(key.slice(this.#prefix.length + 'log:'.length), entries);
            }
          }
        });
      } catch (error) {
        // A subscriber that threw must not end the node's reading (the replica took the entry before handing it on).
        process.emitWarning(`transport-bench feed: a delivery failed: ${(error as Error)?.message ?? String(error)}`);
      }
    }
  }

  /** Puts a room's entries, oldest first, in the replica (which delivers them) and wakes clients waiting for them. */
  #accept(room: string, entries: StreamEntry[]): void {
    for (const [id, fields] of entries) {
      const seq = Number(id.slice(0, id.indexOf('-')));
      const text = fieldOf(fields, 'p') ?? '';
      const encoding = fieldOf(fields, 'e') === 'base64' ? 'base64' : '';
      const bytes = encoding ? Buffer.from(text, 'base64') : undefined;
      this.#replica.accept(entryOf(seq, room, Number(fieldOf(fields, 'ts')), Number(fieldOf(fields, 'at')), text, encoding, bytes));
      this.#lastIds.set(room, id);
    }
    const waiters = this.#waiters.get(room);
    if (!waiters) return;
    const head = this.#replica.head(room);
    for (const waiter of waiters) if (waiter.cursor <= head) waiter.resolve();
  }

  /** After a lost connection: when Redis holds another epoch, the feed started over and so does the replica. */
  #checkEpoch(): Promise<void> {
    this.#checkingEpoch ??= (async () => {
      try {
        let epoch: string | undefined;
        // Until Redis answers: a command sent before this connection saw the loss fails too, and a reader that
        // went on with a blocking read of an empty Redis would never come back here.
        while (epoch === undefined && !this.#closed) {
          epoch = await this.#currentEpoch().catch(() => undefined);
          if (epoch === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        if (epoch === undefined || epoch === this.#epoch || this.#closed) return;
        this.#epoch = epoch;
        this.#replica.clear();
        this.#lastIds.clear();
        this.#roomOrder.length = 0;
        this.#roomsCursor = '0-0';
        for (const reader of this.#readers) reader.roomsCursor = '0-0';
        // Clients waiting for a cursor of the old feed: after() now answers them with a reset.
        for (const waiters of this.#waiters.values()) for (const waiter of [...waiters]) waiter.resolve();
        for (const listener of this.#restartListeners) listener();
      } finally {
        this.#checkingEpoch = undefined;
      }
    })();
    return this.#checkingEpoch;
  }
}

/** The entry as the in-memory feed builds it, byte for byte: same fields, same order. */
function entryOf(seq: number, room: string, ts: number, at: number, text: string, encoding: string, bytes: Buffer | undefined): FeedEntry {
  const message: FeedMessage = encoding ? { seq, room, ts, at, payload: text, enc: 'base64' } : { seq, room, ts, at, payload: text };
  return { seq, message, json: JSON.stringify(message), bytes };
}

function fieldOf(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function withoutRedis(options: RedisFeedOptions): FeedOptions {
  const { url: _url, namespace: _namespace, ...feed } = options;
  return feed;
}

/** Whether Redis at `url` answers PING; the error message when not (used before a run starts any server). */
export async function probeRedis(url: string): Promise<string | undefined> {
  let client: RedisConnection | undefined;
  try {
    client = await connectRedis(url, 'transport-bench-probe');
    await client.sendCommand(['PING']);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    if (client?.isOpen) client.destroy();
  }
}
