import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { nowUs } from '../../protocol/clock.ts';
import { redactUrl } from '../../protocol/feed-spec.ts';
import { AgentClients } from './agent-clients.ts';
import { BLOCK_SECONDS, connectHub, destroyQuietly, HEARTBEAT_EVERY_MS, HEARTBEAT_MISSES, HEARTBEAT_TTL_MS, HUB_KEYS, pushMessage, type HubJoin, type HubToAgent, type HubToRun } from './agent-hub.ts';
import type { AgentReply } from './agent-protocol.ts';
import { formatClockOffset } from './clock-offset.ts';

/**
 * An agent's side of joining a run through Redis (transport-bench agent --join <url>; agent-hub.ts): it waits in
 * the lobby until a run takes it, answers the run's clock pings at once, serves its requests with the same
 * AgentClients a local agent uses, and ends when the run says bye, the run's heartbeat stops, or it is stopped.
 */

export type MemberOutcome =
  /** The run took the agent and said bye. */
  | { ended: 'done' }
  /** The run's heartbeat stopped while the agent served it, or Redis failed it for good. */
  | { ended: 'run-lost'; reason: string }
  /** Stopped (Ctrl-C) before or while serving. */
  | { ended: 'stopped' };

export interface MemberOptions {
  name?: string;
  /**
   * Makes this agent's clock read this far ahead of the machine's, µs, as another host's would: a test's way to
   * show that the run measures the offset and the agent maps its stamps by it (TRANSPORT_BENCH_AGENT_CLOCK_SKEW_US).
   */
  clockSkewUs?: number;
  signal: AbortSignal;
  /** Progress lines for the terminal. */
  log: (line: string) => void;
}

/** Rejects only when Redis cannot be reached at first; everything after that ends in an outcome. */
export async function joinRun(url: string, options: MemberOptions): Promise<MemberOutcome> {
  const agent = randomUUID();
  const join: HubJoin = { agent, host: os.hostname(), pid: process.pid, name: options.name ?? `${os.hostname()}:${process.pid}` };
  const { commands, blocking } = await connectHub(url, 'transport-bench-agent');
  const controller = new AbortController();
  const skewUs = options.clockSkewUs ?? 0;
  const clients = new AgentClients(AbortSignal.any([options.signal, controller.signal]), { clockSkewUs: skewUs });
  const introduction = JSON.stringify(join);
  let run: string | undefined;
  let missed = 0;
  /** The last id handled: a push retried after a lost answer (agent-hub.ts) may bring a message twice. */
  let lastId = 0;
  let outcome: MemberOutcome | undefined;
  const finish = (result: MemberOutcome) => {
    outcome ??= result;
    // A BLPOP under way ends at once, and so does any command Redis has not answered.
    destroyQuietly(blocking);
  };

  const toRun = (message: HubToRun): Promise<void> => (run ? pushMessage(commands, HUB_KEYS.runInbox(run), message) : Promise.resolve());
  let introduced = false;
  const beat = async () => {
    try {
      // The key's old value: gone although set a second ago with a longer TTL means Redis started over empty.
      const before = await commands.sendCommand(['SET', HUB_KEYS.agentAlive(agent), '1', 'PX', String(HEARTBEAT_TTL_MS), 'GET']);
      if (run) missed = Number(await commands.sendCommand(['EXISTS', HUB_KEYS.runAlive(run)])) === 1 ? 0 : missed + 1;
      // That emptied the lobby too: an agent still waiting there introduces itself again.
      else if (introduced && before === null) await pushMessage(commands, HUB_KEYS.lobby, join);
    } catch {
      if (run) missed++;
    }
    if (missed >= HEARTBEAT_MISSES) finish({ ended: 'run-lost', reason: `the run's heartbeat stopped (${HEARTBEAT_MISSES} checks ${HEARTBEAT_EVERY_MS} ms apart found none)` });
  };
  const onStop = () => finish({ ended: 'stopped' });
  let heartbeat: NodeJS.Timeout | undefined;

  const handle = (message: HubToAgent): void => {
    if ((message.kind === 'ping' || message.kind === 'request') && (message.kind === 'ping' ? message.id : message.envelope.id) <= lastId) return;
    switch (message.kind) {
      case 'ping':
        lastId = message.id;
        // Answered before anything else is done: the stamp sits inside the run's bracket (clock-offset.ts).
        void toRun({ agent, kind: 'pong', id: message.id, agentUs: nowUs() + skewUs }).catch(() => undefined);
        return;
      case 'welcome':
        // Taken twice (an introduction repeated across a Redis restart): the first run keeps it; the other's pings go unanswered.
        if (run !== undefined) return;
        run = message.run;
        missed = 0;
        options.log(`run ${run} took this agent as agent ${message.index}`);
        return;
      case 'clock':
        clients.setClockOffset(message.offsetUs);
        options.log(`clock offset to the run: ${formatClockOffset(message)}`);
        return;
      case 'request': {
        const { envelope } = message;
        lastId = envelope.id;
        // A reply that cannot be pushed for good leaves the run's request to its step timeout; nothing else to do.
        const reply = (r: AgentReply) => void toRun({ agent, kind: 'reply', reply: r }).catch(() => undefined);
        clients.handle(envelope).then(
          (value) => reply({ id: envelope.id, ok: true, value }),
          (error: unknown) => reply({ id: envelope.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
        );
        return;
      }
      case 'bye':
        finish({ ended: 'done' });
        return;
    }
  };

  try {
    options.signal.addEventListener('abort', onStop, { once: true });
    if (options.signal.aborted) onStop();
    await beat();
    heartbeat = setInterval(() => void beat(), HEARTBEAT_EVERY_MS);
    await pushMessage(commands, HUB_KEYS.lobby, join);
    introduced = true;
    options.log(`joined the lobby at ${redactUrl(url)} as ${join.name}; waiting for a run (transport-bench run --join-agents M --feed <this Redis>)`);
    while (!outcome) {
      let popped: [string, string] | null;
      try {
        popped = (await blocking.sendCommand(['BLPOP', HUB_KEYS.agentInbox(agent), String(BLOCK_SECONDS)])) as [string, string] | null;
      } catch {
        // Redis restarting (the heartbeat decides whether the run is still there), or the agent is finishing.
        if (!outcome) await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (!popped) continue;
      try {
        handle(JSON.parse(popped[1]) as HubToAgent);
      } catch {
        // Not ours to read: ignored.
      }
    }
  } catch (error) {
    // Past the first connection, Redis failing for good ends the agent as a lost run.
    outcome ??= { ended: 'run-lost', reason: `Redis failed: ${(error as Error).message}` };
  } finally {
    clearInterval(heartbeat);
    options.signal.removeEventListener('abort', onStop);
    controller.abort(new Error('the agent is leaving the run'));
    await clients.close();
    if (!run) await commands.sendCommand(['LREM', HUB_KEYS.lobby, '0', introduction]).catch(() => undefined);
    if (run && outcome?.ended === 'stopped') await toRun({ agent, kind: 'left', reason: 'the agent was stopped (SIGINT or SIGTERM)' }).catch(() => undefined);
    await commands.sendCommand(['DEL', HUB_KEYS.agentAlive(agent), HUB_KEYS.agentInbox(agent)]).catch(() => undefined);
    destroyQuietly(commands);
    destroyQuietly(blocking);
  }
  return outcome;
}
