import type { ClientOptions } from '../../clients/client.ts';
import { nowUs } from '../../protocol/clock.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import type { ResourceSample } from '../../protocol/server-ipc.ts';
import { ClientPool, type ClientGroup, type PooledClient } from '../run/client-pool.ts';
import { BrowserClientPool, CHROMIUM_CONNECTIONS_PER_HOST, type PollTimings } from '../browser/browser-pool.ts';
import { polls } from '../../protocol/transports.ts';
import { browserCpuBetween, browserProcesses, snapshotBrowserCpu, type BrowserCpuSample, type BrowserCpuSnapshot } from '../browser/browser-cpu.ts';
import { bytesPerMessage, type MessageBytes } from '../measure/message-bytes.ts';
import type { RepeatMeasurement } from '../measure/repeat-measurement.ts';
import { primeRooms, repeatRooms } from './rooms.ts';
import type { RepeatContext, StepPlan } from './scenario.ts';
import { waitUntil } from './waits.ts';
import { AgentClientGroup } from '../agent/agent-group.ts';
import { transportFacts } from '../../protocol/transports.ts';

/**
 * The phases every measuring scenario goes through, in this order: fresh rooms, primed, and the clients
 * connected to them (connect); the measured window opened: the clients' byte counters restart and the
 * server's and the load process's resource windows open (begin); the load, which is the scenario's own;
 * the resource windows closed (end); what is still in flight waited for, within a bound (drain); the
 * bytes read and recording stopped, so nothing that arrives while the clients close counts (stop); the
 * clients closed (close). The scenario decides what to record and count; the window keeps the phases in order.
 */

type MessageHandler = (member: PooledClient, message: FeedMessage, receivedAt: number) => void;

export interface ConnectOptions {
  /** Called for each message while the window records (between begin or bound and stop). */
  onMessage?: MessageHandler;
  /** Payload size of the rooms' primers (the feed's own when omitted); false: no primer (crash starts the rooms itself). */
  prime?: number | false;
  /** Client options beyond those the step implies (the slow consumer's no-reconnect, crash's cursor). */
  clientOptions?: Pick<ClientOptions, 'reconnect' | 'cursor'>;
  /** Clients connecting at once (ClientPool's default when omitted). */
  concurrency?: number;
  /** Whether every message received in the steady window counts as a receipt for bytes per message (default true). */
  countReceipts?: boolean;
  /**
   * Whether Node clients may run in the run's load agents (run --agents), and what their messages carry
   * (AgentSlice.messages): only where what they receive is recorded by bench/measure/window-receiver.ts, which
   * the agents run too, or not at all (idle). onMessage is then not called.
   */
  agents?: 'fan-out' | 'chat';
}

/** The client options a step implies: its poll interval, its Socket.IO transports, its request headers. */
export function clientOptionsFor(step: StepPlan): Pick<ClientOptions, 'pollIntervalMs' | 'socketIoTransports' | 'requestHeaders' | 'wsPerMessageDeflate'> {
  const options: Pick<ClientOptions, 'pollIntervalMs' | 'socketIoTransports' | 'requestHeaders' | 'wsPerMessageDeflate'> = {};
  if (step.server.wsPerMessageDeflate) options.wsPerMessageDeflate = true;
  if (step.requestHeaders) options.requestHeaders = step.requestHeaders;
  if (typeof step.params.pollIntervalMs === 'number') options.pollIntervalMs = step.params.pollIntervalMs;
  if (step.server.socketIoTransports) options.socketIoTransports = step.server.socketIoTransports;
  return options;
}

/** The bytes-per-message values, when any message was received in the steady window (none otherwise). */
export function bytesValues(wireBytes: number, receipts: number, split: MessageBytes): RepeatMeasurement['values'] {
  if (receipts <= 0) return {};
  const perMessage = bytesPerMessage(wireBytes, receipts, split);
  return { bytesPerMessage: perMessage.total, transportBytesPerMessage: perMessage.transport };
}

export class MeasuredWindow {
  /** This repeat's rooms (fresh names: nothing from an earlier repeat is replayed). */
  readonly rooms: string[];
  /** What the window noticed about the repeat (loss still missing after the drain, client errors). */
  readonly notes: string[] = [];
  readonly #ctx: RepeatContext;
  #pool: ClientGroup | undefined;
  #fromUs = Infinity;
  #toUs = Infinity;
  #steady = false;
  #openedUs = 0;
  #receipts = 0;
  #browserCpu: { pids: number[]; before: BrowserCpuSnapshot } | undefined;

  constructor(ctx: RepeatContext, roomPrefix: string, rooms: number) {
    this.#ctx = ctx;
    this.rooms = repeatRooms(roomPrefix, rooms);
  }

  get pool(): ClientGroup {
    if (!this.#pool) throw new Error('the measured window has no clients: call connect() first');
    return this.#pool;
  }

  /** Primes the rooms and connects `clients` clients of the step's transport, client i in room i mod rooms. */
  async connect(clients: number, options: ConnectOptions = {}): Promise<ClientGroup> {
    const ctx = this.#ctx;
    if (options.prime !== false) await primeRooms(ctx.server, this.rooms, options.prime);
    const countReceipts = options.countReceipts ?? true;
    const onMessage = options.onMessage;
    const browser = ctx.browser;
    const agents = !browser && ctx.agents ? ctx.agents : undefined;
    if (agents && !options.agents) this.notes.push(`clients in the load process: --agents ${agents.size} splits push, capacity, ceiling, chat and idle, not ${ctx.step.scenario}`);
    const connect = (o: Parameters<typeof ClientPool.connect>[0]): Promise<ClientGroup> => {
      if (browser) return browser.runtime().then((runtime) => BrowserClientPool.connect({ ...o, runtime, clientsPerHost: browser.clientsPerHost }));
      if (agents && options.agents) return AgentClientGroup.connect(agents, { ...o, binary: transportFacts(ctx.step.transport).binary, messages: options.agents });
      return ClientPool.connect(o);
    };
    this.#pool = await connect({
      transport: ctx.step.transport,
      host: ctx.server.host,
      port: ctx.server.port,
      ...(ctx.server.endpoints ? { endpoints: ctx.server.endpoints } : {}),
      clients,
      rooms: this.rooms,
      clientOptions: { ...clientOptionsFor(ctx.step), ...options.clientOptions },
      concurrency: options.concurrency,
      signal: ctx.signal,
      onMessage: (member, message, receivedAt) => {
        if (this.#steady && countReceipts) this.#receipts++;
        if (Number.isFinite(this.#fromUs)) onMessage?.(member, message, receivedAt);
      },
    });
    if (this.#pool instanceof AgentClientGroup) {
      const each = Math.ceil(clients / this.#pool.agents);
      const cpu = this.#pool.sharedCore ? "the generator's CPU is the agents' sum (they share the load core)" : "the generator's CPU is the busiest agent's (the run is not pinned, or agents joined from elsewhere)";
      this.notes.push(`clients in ${this.#pool.agents} load agents (transport-bench agent processes), up to ${each} each; their histograms merged exactly; ${cpu}, its memory their sum, its event loop the busiest agent's`);
      const clocks = this.#pool.clocks();
      if (clocks.length > 0) this.notes.push(`clocks of the agents that joined, against the run's, measured before this connect (the shortest of 16 pings through Redis; receive and send stamps mapped by it): ${clocks.join('; ')}`);
    }
    if (this.#pool instanceof BrowserClientPool) {
      const perHost = browser!.clientsPerHost;
      const ready = this.#pool.readyMs();
      this.notes.push(
        `clients in Chromium pages: receive times taken in the page and mapped to the server's clock by the shortest of 30 clock ping-pongs over ${ctx.step.transport} (± ${this.#pool.offsetUncertaintyMs.toFixed(1)} ms); bytes counted on the server's sockets; HTTP clients spread over host names, ${perHost} per host (Chromium opens at most ${CHROMIUM_CONNECTIONS_PER_HOST} connections per host)`,
        `set-up in Chromium: ${Math.round(this.#pool.setupBytesPerClient)} B per client until every client was open (the server's count, the room's primer included)`,
      );
      if (perHost > CHROMIUM_CONNECTIONS_PER_HOST && ctx.step.transport !== 'ws') {
        this.notes.push(`${perHost} clients per host name, more than the ${CHROMIUM_CONNECTIONS_PER_HOST} connections Chromium opens per host: requests and streams queued for one; ready in p50 ${ready.p50.toFixed(1)} ms, the last after ${ready.max.toFixed(1)} ms`);
      }
    }
    return this.#pool;
  }

  /** Sets the window to messages intended in [fromUs, toUs) before it opens (a load-side schedule knows it ahead). */
  bound(fromUs: number, toUs = Infinity): void {
    this.#fromUs = fromUs;
    this.#toUs = toUs;
  }

  /** Whether a message intended at `intendedUs` belongs to the measured window (always false once stopped). */
  inWindow(intendedUs: number): boolean {
    return intendedUs >= this.#fromUs && intendedUs < this.#toUs;
  }

  /** Counts one receipt for bytes per message when the steady window is open (rtt counts its acks). */
  countReceipt(): void {
    if (this.#steady) this.#receipts++;
  }

  /** Opens the window now: byte counters restart, receipts count, the server's and the generator's resource windows open. */
  async begin(): Promise<void> {
    // Clients in Chromium: the browser is part of the load generator, so its CPU is sampled over the window too.
    // Its processes are found, and the pages' poll timings cleared, before the window opens: neither is its time.
    const browserPids = this.#pool instanceof BrowserClientPool ? await this.#prepareBrowser(this.#pool) : undefined;
    if (!Number.isFinite(this.#fromUs)) this.bound(nowUs());
    this.#openedUs = nowUs();
    await this.#pool?.resetSteady(this.#fromUs, this.#toUs);
    if (browserPids) this.#browserCpu = { pids: browserPids, before: snapshotBrowserCpu(browserPids) };
    this.#steady = true;
    await this.#ctx.server.startResourceWindow();
    this.#ctx.generator.start();
  }

  /** Chromium's processes, with the pages' poll timings cleared so that the window's polls alone are read at its end. */
  async #prepareBrowser(pool: BrowserClientPool): Promise<number[]> {
    if (polls(this.#ctx.step.transport)) await pool.pollTimings();
    return browserProcesses();
  }

  /** Closes the resource windows: the load is over. */
  async end(): Promise<{ server: ResourceSample; generator: ResourceSample; browser?: BrowserCpuSample; browserPolls?: PollTimings }> {
    // With agents, the load is theirs: this process only coordinates.
    const own = this.#ctx.generator.end();
    const generator = this.#pool instanceof AgentClientGroup ? await this.#pool.endResources() : own;
    const browser = this.#browserCpu ? browserCpuBetween(this.#browserCpu.before, snapshotBrowserCpu(this.#browserCpu.pids)) : undefined;
    const server = await this.#ctx.server.endResourceWindow();
    // Read after the windows closed: a CDP round trip per page.
    const browserPolls = this.#pool instanceof BrowserClientPool && polls(this.#ctx.step.transport) ? await this.#pool.pollTimings() : undefined;
    return { generator, server, ...(browser ? { browser } : {}), ...(browserPolls ? { browserPolls } : {}) };
  }

  /**
   * Waits for what is still in flight until `complete` holds or `withinMs` passes; when it does not, a note
   * says how many deliveries (`missing()`) were still missing, by default "… ms after the window" (no note
   * when `missing` is null: the scenario words it itself).
   */
  async drain(complete: () => boolean | Promise<boolean>, withinMs: number, missing: (() => number | Promise<number>) | null, note = (n: number) => `${n} deliveries still missing ${withinMs} ms after the window`): Promise<boolean> {
    const drained = await waitUntil(complete, withinMs, this.#ctx.signal);
    if (!drained && missing) this.notes.push(note(await missing()));
    return drained;
  }

  /**
   * Counting starts: the steady bytes are read and recording stops, so what arrives while the clients close
   * is counted nowhere. Adds a note when the clients reported errors.
   */
  async stop(errorsNote = (count: number, example?: string) => `${count} client errors during the repeat (e.g. ${example})`): Promise<{ wireBytes: number; receipts: number; steadyUs: number }> {
    // Read first: a browser pool hands over its last receipts here, which must still count.
    const wireBytes = (await this.#pool?.steadyBytes()) ?? 0;
    const steadyUs = nowUs() - this.#openedUs;
    this.#steady = false;
    this.#fromUs = Infinity;
    const errors = this.#pool?.errors() ?? { count: 0 };
    if (errors.count > 0) this.notes.push(errorsNote(errors.count, errors.example));
    if (this.#pool instanceof AgentClientGroup) {
      const clocks = await this.#pool.clocksAfter();
      if (clocks.length > 0) this.notes.push(`clocks of the agents that joined, measured again after the window (drift during the step): ${clocks.join('; ')}`);
    }
    const receipts = this.#receipts + (this.#pool instanceof AgentClientGroup ? this.#pool.receipts : 0);
    return { wireBytes, receipts, steadyUs };
  }

  /** Closes every client; idempotent. */
  async close(): Promise<void> {
    await this.#pool?.close();
  }
}
