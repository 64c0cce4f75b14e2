import type { FeedMessage } from '../../protocol/message.ts';
import { createHistogram, recordUs, type Histogram } from './histogram.ts';
import { MessageBytesAccumulator, type MessageBytes } from './message-bytes.ts';
import type { BinaryCarriage } from '../../protocol/transports.ts';
import { SequenceTracker, sumDelivery, type DeliveryCounts, type ExpectedSeqs } from './sequence-tracker.ts';

/** A client as the recorder knows it: its tracker's index and its room. */
export interface Receiver {
  readonly index: number;
  readonly room: string;
}

/**
 * What the receiving side records in a measured window: for each client, which seqs it received (loss,
 * duplicates, reordering by sequence number); for each client's first receipt of a message, its latency
 * from the intended send time (corrected) and from the actual one; and once per message, not per delivery,
 * the publisher's lateness and the payload/envelope split.
 */
export class DeliveryRecorder {
  readonly latency: Histogram = createHistogram();
  readonly uncorrected: Histogram = createHistogram();
  readonly schedulerLag: Histogram = createHistogram();
  readonly #trackers: SequenceTracker[];
  /** Per room, the seqs already counted once as messages. */
  readonly #messages = new Map<string, SequenceTracker>();
  readonly #split: MessageBytesAccumulator;
  readonly #lagAtReceipt: boolean;
  readonly #perMessage: boolean;

  /**
   * @param clients one tracker per client, by the client's index in its pool
   * @param options lagAtReceipt: take the scheduler lag from the message's own stamps (`ts − at`, a publisher in
   *   the server); false when the load side records it at send time (recordLag). binary: how the transport
   *   carries binary payloads, for the envelope's bytes (base64 by default). perMessage: whether it keeps the
   *   once-per-message figures (lag at receipt, payload/envelope split; default true): a load agent leaves them to
   *   its message log (window-receiver.ts), since only the coordinator sees each message once
   */
  constructor(clients: number, options: { lagAtReceipt?: boolean; binary?: BinaryCarriage; perMessage?: boolean } = {}) {
    this.#trackers = Array.from({ length: clients }, () => new SequenceTracker());
    this.#lagAtReceipt = options.lagAtReceipt ?? true;
    this.#perMessage = options.perMessage ?? true;
    this.#split = new MessageBytesAccumulator(options.binary);
  }

  /**
   * Client `client` received `message` at `receivedAt`, sent as `times` say (by default its own stamps: intended
   * `at`, actual `ts`). A duplicate is counted and otherwise ignored: false.
   */
  receive(client: number, message: FeedMessage, receivedAt: number, times = { intendedUs: message.at, sentUs: message.ts }): boolean {
    if (this.#trackers[client]!.observe(message.seq) === 'duplicate') return false;
    recordUs(this.latency, receivedAt - times.intendedUs);
    recordUs(this.uncorrected, receivedAt - times.sentUs);
    if (!this.#perMessage) return true;
    let seen = this.#messages.get(message.room);
    if (!seen) this.#messages.set(message.room, (seen = new SequenceTracker()));
    if (seen.observe(message.seq) !== 'duplicate') {
      if (this.#lagAtReceipt) recordUs(this.schedulerLag, times.sentUs - times.intendedUs);
      this.#split.add(message);
    }
    return true;
  }

  /** The publisher's lateness for one message sent from the load side, µs. */
  recordLag(lateUs: number): void {
    recordUs(this.schedulerLag, lateUs);
  }

  /** Whether every client has received at least `wanted(room)` distinct seqs (the drain's test). */
  caughtUp(clients: readonly Receiver[], wanted: (room: string) => number): boolean {
    return clients.every((c) => this.#trackers[c.index]!.distinct >= wanted(c.room));
  }

  /** The clients' counts summed, each against the seqs its room should have brought it. */
  counts(clients: readonly Receiver[], expected: (room: string) => ExpectedSeqs): DeliveryCounts {
    return sumDelivery(clients.map((c) => this.#trackers[c.index]!.count(expected(c.room))));
  }

  histograms(): { latency: Histogram; latencyUncorrected: Histogram; schedulerLag: Histogram } {
    return { latency: this.latency, latencyUncorrected: this.uncorrected, schedulerLag: this.schedulerLag };
  }

  /** Mean payload and envelope bytes per message received. */
  bytes(): MessageBytes {
    return this.#split.average();
  }

  /** Messages counted in the payload/envelope split (bytes() is their mean). */
  get messagesSplit(): number {
    return this.#split.count;
  }
}
