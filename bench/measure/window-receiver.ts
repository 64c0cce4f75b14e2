import type { PollCounts } from '../../clients/client.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { BinaryCarriage } from '../../protocol/transports.ts';
import type { PooledClient } from '../run/client-pool.ts';
import { PollWatch } from '../scenarios/poll-counts.ts';
import { DeliveryRecorder } from './delivery-recorder.ts';
import { decodeHistogram, encodeHistogram, mergeHistograms, recordUs, type Histogram } from './histogram.ts';
import { messageBytes, type MessageBytes } from './message-bytes.ts';
import { SequenceTracker, sumDelivery, type DeliveryCounts, type ExpectedSeqs } from './sequence-tracker.ts';

/**
 * The receiving side of a measured window (push, capacity, ceiling, chat): what each client got of the window's messages,
 * their latencies, and the polls the polling clients made. It runs where the clients run: in the load process,
 * or in each load agent for its slice of the clients (bench/agent/), whose tallies the coordinator merges
 * exactly: counts are added, histograms' buckets are added. What is counted once per message, not per delivery
 * (the publisher's lag read from a message's stamps, its payload/envelope split), an agent cannot count alone: a
 * message reaches several agents. Each logs the messages it saw first, and the merge keeps each message once.
 */

/**
 * What each room's clients should have received: the seqs a server-side schedule published (ScheduleReport.rooms),
 * or the seqs the load side's publishes were acknowledged with (chat).
 */
export type ExpectedRooms = Record<string, { published: number; firstSeq: number; lastSeq: number } | { seqs: readonly number[] }>;

export interface WindowTally {
  delivery: DeliveryCounts;
  histograms: { latency: Histogram; latencyUncorrected: Histogram; schedulerLag: Histogram };
  /** Mean payload and envelope bytes per message, over `messages` messages. */
  bytes: MessageBytes;
  messages: number;
  /** Polls in the window and how many came back empty (zero for the transports that do not poll). */
  polls: PollCounts;
}

/** A message as a load agent first saw it: room, seq, the publisher's lag (`ts − at`, µs; null when not read at receipt), payload and envelope bytes. */
export type LoggedMessage = [room: string, seq: number, lagUs: number | null, payload: number, envelope: number];

/**
 * A tally as it crosses a process boundary: the histograms encoded (hdr-histogram-js's compressed base64), and
 * the agent's message log (its schedulerLag holds only the lags it recorded at send time, chat's).
 */
export interface EncodedTally extends Omit<WindowTally, 'histograms'> {
  /** Each histogram's buckets, and its exact largest value (the encoding keeps buckets only). */
  histograms: Record<keyof WindowTally['histograms'], { buckets: string; max: number }>;
  log?: LoggedMessage[];
}

/** The seqs a schedule published to room `room` (none when nothing was published there). */
export function publishedIn(rooms: ExpectedRooms, room: string): { firstSeq: number; lastSeq: number; published: number } {
  const range = rooms[room];
  return range && 'published' in range && range.published > 0 ? range : { firstSeq: 1, lastSeq: 0, published: 0 };
}

/** Each ExpectedRooms' seq lists as sets, built once per room (the drain asks every 10 ms, for every client). */
const seqSets = new WeakMap<ExpectedRooms, Map<string, ReadonlySet<number>>>();

function seqSet(rooms: ExpectedRooms, room: string, seqs: readonly number[]): ReadonlySet<number> {
  let sets = seqSets.get(rooms);
  if (!sets) seqSets.set(rooms, (sets = new Map()));
  let set = sets.get(room);
  if (!set) sets.set(room, (set = new Set(seqs)));
  return set;
}

/** The seqs room `room`'s clients should have, as the sequence tracker counts them. */
function expectedIn(rooms: ExpectedRooms, room: string): ExpectedSeqs {
  const expected = rooms[room];
  return expected && 'seqs' in expected ? seqSet(rooms, room, expected.seqs) : publishedIn(rooms, room);
}

/** How many seqs room `room`'s clients should have. */
function wantedIn(rooms: ExpectedRooms, room: string): number {
  const expected = rooms[room];
  return expected && 'seqs' in expected ? seqSet(rooms, room, expected.seqs).size : publishedIn(rooms, room).published;
}

export class WindowReceiver {
  readonly #recorder: DeliveryRecorder;
  readonly #watches = new Map<number, PollWatch>();
  /** With a log (a load agent's): the messages seen so far, per room, and what each was. */
  readonly #log: { seen: Map<string, SequenceTracker>; entries: LoggedMessage[]; lagAtReceipt: boolean; binary?: BinaryCarriage } | undefined;

  /**
   * @param clients the clients, indexed 0 … clients − 1 by PooledClient.index
   * @param options lagAtReceipt, binary: see DeliveryRecorder; log: keep the once-per-message figures as a log of
   *   the messages seen, for the coordinator to count each message once (a load agent's)
   */
  constructor(clients: number, options: { lagAtReceipt?: boolean; binary?: BinaryCarriage; log?: boolean } = {}) {
    const { log, ...recording } = options;
    this.#recorder = new DeliveryRecorder(clients, { ...recording, perMessage: !log });
    if (log) this.#log = { seen: new Map(), entries: [], lagAtReceipt: options.lagAtReceipt ?? true, ...(options.binary ? { binary: options.binary } : {}) };
  }

  /** Records a message of the window received by `member` (sent as `times` say, by default its stamps); false for a duplicate. */
  receive(member: PooledClient, message: FeedMessage, receivedAt: number, times?: { intendedUs: number; sentUs: number }): boolean {
    if (!this.#recorder.receive(member.index, message, receivedAt, times)) return false;
    const log = this.#log;
    if (log) {
      let seen = log.seen.get(message.room);
      if (!seen) log.seen.set(message.room, (seen = new SequenceTracker()));
      if (seen.observe(message.seq) !== 'duplicate') {
        const split = messageBytes(message, log.binary);
        log.entries.push([message.room, message.seq, log.lagAtReceipt ? message.ts - message.at : null, split.payload, split.envelope]);
      }
    }
    return true;
  }

  /** The messages this receiver saw first, when it keeps a log. */
  get log(): LoggedMessage[] | undefined {
    return this.#log?.entries;
  }

  /** The lateness of one publish sent from the load side, µs (chat). */
  recordLag(lateUs: number): void {
    this.#recorder.recordLag(lateUs);
  }

  /** The window opens: the polling clients' counters are read from here on. */
  start(members: readonly PooledClient[]): void {
    for (const member of members) {
      if (!member.client.pollCounts) continue;
      const watch = new PollWatch();
      watch.start(member.client);
      this.#watches.set(member.index, watch);
    }
  }

  /** Whether every member has every message its room should have brought it. */
  caughtUp(members: readonly PooledClient[], rooms: ExpectedRooms): boolean {
    return this.#recorder.caughtUp(members, (room) => wantedIn(rooms, room));
  }

  /** Polls the members made since the window opened, and how many came back empty. */
  polls(members: readonly PooledClient[]): PollCounts {
    const polls = { polls: 0, empty: 0 };
    for (const member of members) {
      const counted = this.#watches.get(member.index)?.polls(member.client);
      polls.polls += counted?.polls ?? 0;
      polls.empty += counted?.empty ?? 0;
    }
    return polls;
  }

  /** The window's tally; `polls`: the poll counts as read when the window stopped (read now when omitted). */
  tally(members: readonly PooledClient[], rooms: ExpectedRooms, polls = this.polls(members)): WindowTally {
    return {
      delivery: this.#recorder.counts(members, (room) => expectedIn(rooms, room)),
      histograms: this.#recorder.histograms(),
      bytes: this.#recorder.bytes(),
      messages: this.#recorder.messagesSplit,
      polls,
    };
  }
}

/** A tally ready for the coordinator, with the receiver's message log when it keeps one. */
export function encodeTally(tally: WindowTally, log?: LoggedMessage[]): EncodedTally {
  const encode = (histogram: Histogram) => ({ buckets: encodeHistogram(histogram), max: histogram.maxValue });
  const { latency, latencyUncorrected, schedulerLag } = tally.histograms;
  return { ...tally, histograms: { latency: encode(latency), latencyUncorrected: encode(latencyUncorrected), schedulerLag: encode(schedulerLag) }, ...(log ? { log } : {}) };
}

/**
 * The tallies of every slice of the clients as one, exactly: counts and histogram buckets added; the logged
 * messages each counted once (the lag read at receipt into schedulerLag, the byte split into its means).
 */
export function mergeTallies(tallies: readonly EncodedTally[]): WindowTally {
  const histogram = (key: keyof EncodedTally['histograms']) => mergeHistograms(tallies.map((t) => decodeHistogram(t.histograms[key].buckets, t.histograms[key].max)));
  const schedulerLag = histogram('schedulerLag');
  // Byte sums of the tallies that kept their own means, then of each logged message once.
  let messages = 0;
  const sums = { payload: 0, envelope: 0 };
  for (const t of tallies) {
    messages += t.messages;
    sums.payload += t.bytes.payload * t.messages;
    sums.envelope += t.bytes.envelope * t.messages;
  }
  const counted = new Set<string>();
  for (const [room, seq, lagUs, payload, envelope] of tallies.flatMap((t) => t.log ?? [])) {
    const key = `${seq}\u0000${room}`;
    if (counted.has(key)) continue;
    counted.add(key);
    if (lagUs !== null) recordUs(schedulerLag, lagUs);
    sums.payload += payload;
    sums.envelope += envelope;
    messages++;
  }
  return {
    delivery: sumDelivery(tallies.map((t) => t.delivery)),
    histograms: { latency: histogram('latency'), latencyUncorrected: histogram('latencyUncorrected'), schedulerLag },
    bytes: messages > 0 ? { payload: sums.payload / messages, envelope: sums.envelope / messages } : { payload: 0, envelope: 0 },
    messages,
    polls: { polls: tallies.reduce((n, t) => n + t.polls.polls, 0), empty: tallies.reduce((n, t) => n + t.polls.empty, 0) },
  };
}
