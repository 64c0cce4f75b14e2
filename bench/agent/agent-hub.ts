import { connectRedis, type RedisConnection } from '../../servers/redis-connection.ts';
import type { AgentEnvelope, AgentReply } from './agent-protocol.ts';

/**
 * How agents started elsewhere (`transport-bench agent --join <redis-url>`) and a run (`run --join-agents M`)
 * meet and talk through Redis: Redis lists, each read by one side with BLPOP, carry JSON messages in order.
 * - The lobby: an agent pushes its introduction (HubJoin) and waits on its own inbox; a run pops M of them.
 * - An agent's inbox carries the run's messages to it (HubToAgent): the welcome, clock pings, requests, bye.
 * - The run's inbox carries every agent's answers (HubToRun).
 * - Liveness: each side sets its heartbeat key with a TTL and refreshes it; the other side treats a key missing
 *   for HEARTBEAT_MISSES checks in a row as gone (a Redis restart empties every key for a moment).
 * The requests and replies are the IPC channel's (agent-protocol.ts), unchanged.
 */

const PREFIX = 'transport-bench:hub';

export const HUB_KEYS = {
  lobby: `${PREFIX}:lobby`,
  agentInbox: (agent: string) => `${PREFIX}:agent:${agent}`,
  agentAlive: (agent: string) => `${PREFIX}:agent:${agent}:alive`,
  runInbox: (run: string) => `${PREFIX}:run:${run}`,
  runAlive: (run: string) => `${PREFIX}:run:${run}:alive`,
} as const;

/** How often each side refreshes its heartbeat and checks the other's, ms. */
export const HEARTBEAT_EVERY_MS = 1_000;
/** A heartbeat key lives this long unless refreshed, ms. */
export const HEARTBEAT_TTL_MS = 5_000;
/** Checks in a row that must find the other side's key missing before it counts as gone. */
export const HEARTBEAT_MISSES = 4;
/** A BLPOP waits at most this long, s, so that a reader notices it was asked to stop. */
export const BLOCK_SECONDS = 1;

/** An agent's introduction in the lobby. */
export interface HubJoin {
  agent: string;
  host: string;
  pid: number;
  name: string;
}

export type HubToAgent =
  /** The run took this agent: its index among the run's agents and where its answers go. */
  | { kind: 'welcome'; run: string; index: number }
  /** A clock ping (clock-offset.ts): answered at once with the agent's clock. */
  | { kind: 'ping'; id: number }
  /** The agent's clock offset to the run's as the run estimated it; its stamps are mapped by it from now on. */
  | { kind: 'clock'; offsetUs: number; uncertaintyUs: number }
  | { kind: 'request'; envelope: AgentEnvelope }
  /** The run is over: the agent closes its clients and exits. */
  | { kind: 'bye' };

export type HubToRun = { agent: string } & ({ kind: 'pong'; id: number; agentUs: number } | { kind: 'reply'; reply: AgentReply } | { kind: 'left'; reason: string });

/**
 * A side's two connections, both reconnecting by themselves (a Redis restart) and refusing commands while down
 * (a heartbeat check must count a miss, not wait): one for commands, one that blocks on the side's inbox (a BLPOP
 * holds its connection). Rejects, leaving none open, when Redis cannot be reached.
 */
export async function connectHub(url: string, name: string): Promise<{ commands: RedisConnection; blocking: RedisConnection }> {
  const commands = await connectRedis(url, name, { resilient: true, failFast: true });
  try {
    return { commands, blocking: await connectRedis(url, `${name}-inbox`, { resilient: true, failFast: true }) };
  } catch (error) {
    commands.destroy();
    throw error;
  }
}

/** An inbox or the lobby outlives its last message by this much, ms: a side that died leaves nothing for good. */
export const LIST_TTL_MS = 600_000;
/** How long a push keeps trying through a Redis restart, ms. */
const PUSH_RETRY_MS = 5_000;

// RPUSH and PEXPIRE in one step: a list never exists without its expiry.
const PUSH_SCRIPT = "redis.call('RPUSH', KEYS[1], ARGV[1]); redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1";

/**
 * Appends `message` to the list `key`, which expires LIST_TTL_MS after its last push; retried for PUSH_RETRY_MS
 * while Redis is away (every message carries an id or is idempotent, so a retry after a lost answer is safe).
 */
export async function pushMessage(commands: RedisConnection, key: string, message: unknown): Promise<void> {
  const deadline = Date.now() + PUSH_RETRY_MS;
  for (;;) {
    try {
      await commands.sendCommand(['EVAL', PUSH_SCRIPT, '1', key, JSON.stringify(message), String(LIST_TTL_MS)]);
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Destroys a connection that may be closed already. */
export function destroyQuietly(connection: RedisConnection): void {
  try {
    connection.destroy();
  } catch {
    // Closed already.
  }
}
