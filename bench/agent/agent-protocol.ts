import type { ResourceSample } from '../../protocol/server-ipc.ts';
import type { BinaryCarriage, TransportName } from '../../protocol/transports.ts';
import type { EncodedTally, ExpectedRooms } from '../measure/window-receiver.ts';
import type { ClientPoolOptions, Endpoint } from '../run/client-pool.ts';

/**
 * What the coordinator (run --agents N) and a load agent (transport-bench agent) say to each other over the
 * agent's IPC channel: one request at a time per agent, each answered by a reply with the same id. The
 * coordinator keeps the step's plan, the server's schedule and the measured window's edges; an agent keeps its
 * slice of the clients and what they received, and ships it as counts and encoded histograms.
 */

/** An agent's slice of a step's clients: clients first … first + count − 1 of total, as one pool would number them. */
export interface AgentSlice {
  transport: TransportName;
  host: string;
  port: number;
  endpoints?: readonly Endpoint[];
  /** The first client's index in the whole pool, and the pool's size: rooms, nodes and source addresses follow them. */
  first: number;
  count: number;
  total: number;
  rooms: readonly string[];
  clientOptions?: ClientPoolOptions['clientOptions'];
  concurrency?: number;
  binary: BinaryCarriage;
  /**
   * What its clients' messages carry: fan-out's are timed by their own stamps (intended `at`, actual `ts`, the
   * server's publisher); chat's carry the sender's times in the payload, and the agent's clients publish too.
   */
  messages: 'fan-out' | 'chat';
}

/** Chat's load: the open loop over every client, event k due at startUs + k/rate and sent by client k mod total. */
export interface ChatLoad {
  startUs: number;
  /** Sends intended in [fromUs, toUs) are the window's. */
  fromUs: number;
  toUs: number;
  /** Events/s over every client. */
  rate: number;
  durationMs: number;
  payloadBytes: number;
}

/** An agent's publishes once settled: the seqs the window's were acknowledged with, by room, and what failed. */
export interface ChatSends {
  acked: Record<string, number[]>;
  inWindow: number;
  failed: number;
  firstFailure?: string;
  /** Publishes still unanswered. */
  pending: number;
}

/** What an agent's clients reported when the window stopped. */
export interface AgentStopped {
  /** Bytes read + written by its clients in the steady window. */
  wireBytes: number;
  /** Messages its clients received in the steady window (bytes per message divides by them). */
  receipts: number;
  errors: { count: number; example?: string };
}

export type AgentRequest =
  | { type: 'connect'; slice: AgentSlice }
  /** The window opens: messages intended in [fromUs, toUs) count; byte counters and the resource window restart. */
  | { type: 'begin'; fromUs: number; toUs: number | null }
  /** Chat: the window's edges, known before the schedule starts (other agents' first messages may arrive before this agent's 'begin'). */
  | { type: 'arm'; fromUs: number; toUs: number }
  /** Chat: the agent's clients send their share of the open loop; answered once its last event fired. */
  | { type: 'load'; load: ChatLoad }
  /** Chat: waits up to withinMs for its publishes to be answered. */
  | { type: 'settle'; withinMs: number }
  /** The load is over: the agent's resource window closes. */
  | { type: 'end' }
  /** What each room's clients should have: sent once, read by 'caught-up' and 'tally'. */
  | { type: 'expect'; rooms: ExpectedRooms }
  | { type: 'caught-up' }
  /** Recording stops: what arrives from now on counts nowhere; the bytes and polls are read now. */
  | { type: 'stop' }
  | { type: 'tally' }
  | { type: 'close' };

/**
 * A request as it travels: its id, which its reply carries, and the session (one group of clients, one repeat of a
 * step) it belongs to. 'connect' starts a session; a request of an older session is refused ('close': ignored), so
 * that a step that gave up cannot touch the next step's clients.
 */
export type AgentEnvelope = { id: number; session: number; request: AgentRequest };

/** What each request answers. */
export interface AgentAnswers {
  connect: { connected: number };
  begin: null;
  arm: null;
  load: null;
  settle: ChatSends;
  end: ResourceSample;
  expect: null;
  'caught-up': boolean;
  stop: AgentStopped;
  tally: EncodedTally;
  close: null;
}

/** Replies carry their request's id; id 0 is the agent's own first message, once it listens ('ready'). */
export type AgentReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
