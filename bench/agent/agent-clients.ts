import { nowUs } from '../../protocol/clock.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import { startResourceWindow, type ResourceWindow } from '../../servers/resource-sampler.ts';
import { ClientPool, type PooledClient } from '../run/client-pool.ts';
import { encodeTally, WindowReceiver } from '../measure/window-receiver.ts';
import { chatPayload, parseChatPayload } from '../scenarios/chat-payload.ts';
import { runOpenLoopShare, Sends } from '../scenarios/open-loop.ts';
import type { PollCounts } from '../../clients/client.ts';
import type { ExpectedRooms } from '../measure/window-receiver.ts';
import type { AgentAnswers, AgentEnvelope, AgentRequest, AgentSlice, ChatLoad, ChatSends } from './agent-protocol.ts';

/** The agents' pacers' spin lead, ms: a timer fires up to ~1 ms late, so 2 ms covers it (servers/pacer.ts). */
const AGENT_SPIN_LEAD_MS = 2;

/**
 * A load agent's side of a step: its slice of the clients, connected as one pool would connect them, and what
 * they receive in the measured window, recorded here and handed over as a tally (bench/measure/window-receiver.ts).
 * In chat its clients also send their share of the load side's open loop. The window's edges come from the
 * coordinator, on its clock: the machine's monotonic clock, shared by every process on it. An agent that joined
 * from elsewhere (agent --join) is told its clock's offset to the run's and maps its stamps by it.
 */
export class AgentClients {
  #pool: ClientPool | undefined;
  #slice: AgentSlice | undefined;
  #receiver: WindowReceiver | undefined;
  #fromUs = Infinity;
  #toUs = Infinity;
  #steady = false;
  #receipts = 0;
  #resources: ResourceWindow | undefined;
  /** Aborted when the clients close: a connect or a chat load under way stops. */
  #session: AbortController | undefined;
  #sends: { sends: Sends; acked: Map<string, number[]> } | undefined;
  #expected: ExpectedRooms | undefined;
  /** Poll counts read when the window stopped. */
  #stoppedPolls: PollCounts | undefined;
  /** The current session (AgentEnvelope.session), set when its 'connect' arrives. */
  #sessionId = 0;
  readonly #signal: AbortSignal;
  /** This process's clock minus the run's, µs: 0 on the run's machine; a joined agent's as the run measured it. */
  #clockOffsetUs = 0;
  /** How far this process's clock reads ahead of the machine's monotonic clock, µs: 0, but for a test that simulates another host (hub-member.ts). */
  readonly #skewUs: number;

  constructor(signal: AbortSignal, options: { clockSkewUs?: number } = {}) {
    this.#signal = signal;
    this.#skewUs = options.clockSkewUs ?? 0;
  }

  /** Maps this process's stamps onto the run's clock from now on (a joined agent, before each step's connect). */
  setClockOffset(offsetUs: number): void {
    this.#clockOffsetUs = offsetUs;
  }

  /** A reading of the machine's monotonic clock (nowUs, the clients' receive stamps) on the run's clock, µs. */
  #toRunClock(machineUs: number): number {
    return machineUs + this.#skewUs - this.#clockOffsetUs;
  }

  /** A time on the run's clock on the machine's monotonic clock (what this process's pacer waits on), µs. */
  #fromRunClock(runUs: number): number {
    return runUs - this.#skewUs + this.#clockOffsetUs;
  }

  /** Answers one request of the coordinator's; one of an earlier session is refused ('close': ignored). */
  async handle<T extends AgentRequest>(envelope: { session: number; request: T }): Promise<AgentAnswers[T['type']]> {
    return (await this.#handle(envelope)) as AgentAnswers[T['type']];
  }

  async #handle({ session, request }: Pick<AgentEnvelope, 'session' | 'request'>): Promise<AgentAnswers[AgentRequest['type']]> {
    if (request.type === 'connect') {
      // Set at once, before anything is awaited: a 'close' of this session may follow while it connects.
      this.#sessionId = session;
      return { connected: await this.#connect(request.slice, session) };
    }
    if (session !== this.#sessionId) {
      if (request.type === 'close') return null;
      throw new Error(`'${request.type}' of a session this agent is not on (session ${session}; it is on ${this.#sessionId}: a step that gave up)`);
    }
    switch (request.type) {
      case 'begin':
        this.#bound(request.fromUs, request.toUs ?? Infinity);
        this.#receipts = 0;
        this.pool.resetSteady();
        this.#receiver!.start(this.pool.members);
        this.#steady = true;
        this.#resources = startResourceWindow();
        return null;
      case 'arm':
        this.#bound(request.fromUs, request.toUs);
        return null;
      case 'load':
        await this.#load(request.load);
        return null;
      case 'settle':
        return this.#settle(request.withinMs);
      case 'end':
        if (!this.#resources) throw new Error('end before begin');
        return this.#resources.end();
      case 'expect':
        this.#expected = request.rooms;
        return null;
      case 'caught-up':
        return this.#receiver!.caughtUp(this.pool.members, this.#expectedRooms());
      case 'stop': {
        const wireBytes = this.pool.steadyBytes();
        this.#stoppedPolls = this.#receiver!.polls(this.pool.members);
        this.#steady = false;
        this.#bound(Infinity, Infinity);
        return { wireBytes, receipts: this.#receipts, errors: this.pool.errors() };
      }
      case 'tally':
        return encodeTally(this.#receiver!.tally(this.pool.members, this.#expectedRooms(), this.#stoppedPolls), this.#receiver!.log);
      case 'close':
        await this.close();
        return null;
    }
  }

  #expectedRooms(): ExpectedRooms {
    if (!this.#expected) throw new Error("no 'expect' before it was needed");
    return this.#expected;
  }

  get pool(): ClientPool {
    if (!this.#pool) throw new Error('the agent has no clients: connect first');
    return this.#pool;
  }

  #bound(fromUs: number, toUs: number): void {
    this.#fromUs = fromUs;
    this.#toUs = toUs;
  }

  #inWindow(intendedUs: number): boolean {
    return intendedUs >= this.#fromUs && intendedUs < this.#toUs;
  }

  #onMessage(receiver: WindowReceiver, chat: boolean, member: PooledClient, message: FeedMessage, machineReceivedAt: number): void {
    if (this.#steady) this.#receipts++;
    const receivedAt = this.#toRunClock(machineReceivedAt);
    if (message.room !== member.room) return;
    if (!chat) {
      if (this.#inWindow(message.at)) receiver.receive(member, message, receivedAt);
      return;
    }
    const times = parseChatPayload(message.payload);
    if (times && this.#inWindow(times.intendedUs)) receiver.receive(member, message, receivedAt, times);
  }

  async #connect(slice: AgentSlice, sessionId: number): Promise<number> {
    await this.#closeClients();
    // Closed, or taken over by a later connect, while the earlier clients closed: touch nothing.
    if (this.#sessionId !== sessionId) throw new Error('the coordinator closed the clients before they connected');
    this.#expected = undefined;
    this.#stoppedPolls = undefined;
    const chat = slice.messages === 'chat';
    // In chat the sender records each publish's lag when it sends it (recordLag), so receivers never do. What is
    // counted once per message goes to the log: the coordinator counts each message once, whoever saw it.
    const receiver = new WindowReceiver(slice.count, { binary: slice.binary, lagAtReceipt: !chat, log: true });
    this.#receiver = receiver;
    this.#slice = slice;
    const session = new AbortController();
    this.#session = session;
    const pool = await ClientPool.connect({
      transport: slice.transport,
      host: slice.host,
      port: slice.port,
      ...(slice.endpoints ? { endpoints: slice.endpoints } : {}),
      clients: slice.count,
      slice: { first: slice.first, total: slice.total },
      rooms: slice.rooms,
      ...(slice.clientOptions ? { clientOptions: slice.clientOptions } : {}),
      ...(slice.concurrency !== undefined ? { concurrency: slice.concurrency } : {}),
      signal: AbortSignal.any([this.#signal, session.signal]),
      onMessage: (member, message, receivedAt) => this.#onMessage(receiver, chat, member, message, receivedAt),
    });
    // Closed while the last clients connected (a later connect may own the agent now): these go.
    if (session.signal.aborted || this.#sessionId !== sessionId) {
      await pool.close();
      throw session.signal.reason ?? new Error('a later step took the agent over');
    }
    this.#pool = pool;
    return pool.size;
  }

  /** Chat: fires its clients' events of the open loop (event k is client k mod total's), at their times in the whole schedule. */
  async #load(load: ChatLoad): Promise<void> {
    const slice = this.#slice!;
    const pool = this.pool;
    const receiver = this.#receiver!;
    const sends = new Sends();
    const acked = new Map<string, number[]>();
    this.#sends = { sends, acked };
    const inWindow = (intendedUs: number) => intendedUs >= load.fromUs && intendedUs < load.toUs;
    // The schedule is the run's: paced on this process's clock, its times are mapped back onto the run's.
    // The window's messages count from the first, which may reach this agent before its 'begin' does (the
    // coordinator opens the window on the schedule's clock, while other agents already send).
    this.#bound(load.fromUs, load.toUs);
    await runOpenLoopShare({
      rate: load.rate,
      durationMs: load.durationMs,
      startUs: this.#fromRunClock(load.startUs),
      share: { first: slice.first, count: slice.count, of: slice.total },
      // The agents share a core: a short lead keeps their pacers from spinning at the same time (pacer.ts).
      spinLeadMs: AGENT_SPIN_LEAD_MS,
      signal: AbortSignal.any([this.#signal, this.#session!.signal]),
      fire: (k, scheduledUs) => {
        const index = (k % slice.total) - slice.first;
        // Rounded once, as the payload carries it, so sender and receivers agree on the window's edges.
        const intendedUs = Math.round(this.#toRunClock(scheduledUs));
        const member = pool.members[index]!;
        const sentUs = this.#toRunClock(nowUs());
        const counted = inWindow(intendedUs);
        if (counted) receiver.recordLag(sentUs - intendedUs);
        sends.track(member.client.publish(member.room, chatPayload(intendedUs, sentUs, load.payloadBytes)), counted, (seq) => {
          if (!counted) return;
          const seqs = acked.get(member.room);
          if (seqs) seqs.push(seq);
          else acked.set(member.room, [seq]);
        });
      },
    });
  }

  async #settle(withinMs: number): Promise<ChatSends> {
    if (!this.#sends) return { acked: {}, inWindow: 0, failed: 0, pending: 0 };
    const { sends, acked } = this.#sends;
    await sends.settle(withinMs);
    return { acked: Object.fromEntries(acked), inWindow: sends.inWindow, failed: sends.failed, ...(sends.firstFailure !== undefined ? { firstFailure: sends.firstFailure } : {}), pending: sends.pending };
  }

  /** Closes every client, and stops what the current session still does; idempotent. */
  async close(): Promise<void> {
    // Any connect of this session still to come is closed too.
    this.#sessionId = -1;
    await this.#closeClients();
  }

  async #closeClients(): Promise<void> {
    // A connect still under way stops and closes what it made (ClientPool.connect); a chat load stops.
    this.#session?.abort(new Error('the coordinator closed the clients'));
    this.#session = undefined;
    this.#steady = false;
    this.#bound(Infinity, Infinity);
    this.#sends = undefined;
    this.#resources?.end();
    this.#resources = undefined;
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.close();
  }
}
