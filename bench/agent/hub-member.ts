import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { nowUs } from '../../protocol/clock.ts';
import { redactUrl } from '../../protocol/feed-spec.ts';
import { AgentClients } from './agent-clients.ts';
import { BLOCK_SECONDS, connectHub, HEARTBEAT_EVERY_MS, HEARTBEAT_MISSES, HEARTBEAT_TTL_MS, HUB_KEYS, type HubJoin, type HubToAgent, type HubToRun } from './agent-hub.ts';
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
  /** The run's heartbeat stopped while the agent served it. */
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

export async function joinRun(url: string, options: MemberOptions): Promise<MemberOutcome> {
  const agent = randomUUID();
  const join: HubJoin = { agent, host: os.hostname(), pid: process.pid, name: options.name ?? `${os.hostname()}:${process.pid}` };
  const { commands, blocking } = await connectHub(url, 'transport-bench-agent');
  const controller = new AbortController();
  const skewUs = options.clockSkewUs ?? 0;
  const clients = new AgentClients(AbortSignal.any([options.signal, controller.signal]), { clockSkewUs: skewUs });
  let run: string | undefined;
  let missed = 0;
  let outcome: MemberOutcome | undefined;
  const finish = (result: MemberOutcome) => {
    outcome ??= result;
  };

  const toRun = (message: HubToRun): Promise<unknown> => (run ? commands.sendCommand(['RPUSH', HUB_KEYS.runInbox(run), JSON.stringify(message)]) : Promise.resolve());
  const beat = async () => {
    try {
      await commands.sendCommand(['SET', HUB_KEYS.agentAlive(agent), '1', 'PX', String(HEARTBEAT_TTL_MS)]);
      if (run) missed = Number(await commands.sendCommand(['EXISTS', HUB_KEYS.runAlive(run)])) === 1 ? 0 : missed + 1;
    } catch {
      if (run) missed++;
    }
    if (missed >= HEARTBEAT_MISSES) finish({ ended: 'run-lost', reason: `the run's heartbeat stopped (${HEARTBEAT_MISSES} checks ${HEARTBEAT_EVERY_MS} ms apart found none)` });
  };
  await beat();
  const heartbeat = setInterval(() => void beat(), HEARTBEAT_EVERY_MS);
  const onStop = () => finish({ ended: 'stopped' });
  options.signal.addEventListener('abort', onStop, { once: true });
  const introduction = JSON.stringify(join);
  await commands.sendCommand(['RPUSH', HUB_KEYS.lobby, introduction]);
  options.log(`joined the lobby at ${redactUrl(url)} as ${join.name}; waiting for a run (transport-bench run --join-agents M --feed <this Redis>)`);

  const handle = (message: HubToAgent): void => {
    switch (message.kind) {
      case 'ping':
        // Answered before anything else is done: the stamp sits inside the run's bracket (clock-offset.ts).
        void toRun({ agent, kind: 'pong', id: message.id, agentUs: nowUs() + skewUs }).catch(() => undefined);
        return;
      case 'welcome':
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
    while (!outcome) {
      let popped: [string, string] | null;
      try {
        popped = (await blocking.sendCommand(['BLPOP', HUB_KEYS.agentInbox(agent), String(BLOCK_SECONDS)])) as [string, string] | null;
      } catch {
        // Redis restarting: the heartbeat decides whether the run is still there.
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (!popped) continue;
      try {
        handle(JSON.parse(popped[1]) as HubToAgent);
      } catch {
        // Not ours to read: ignored.
      }
    }
  } finally {
    clearInterval(heartbeat);
    options.signal.removeEventListener('abort', onStop);
    controller.abort(new Error('the agent is leaving the run'));
    await clients.close();
    if (!run) await commands.sendCommand(['LREM', HUB_KEYS.lobby, '1', introduction]).catch(() => undefined);
    if (run && outcome?.ended === 'stopped') await toRun({ agent, kind: 'left', reason: 'the agent was stopped (SIGINT or SIGTERM)' }).catch(() => undefined);
    await commands.sendCommand(['DEL', HUB_KEYS.agentAlive(agent), HUB_KEYS.agentInbox(agent)]).catch(() => undefined);
    commands.destroy();
    blocking.destroy();
  }
  return outcome!;
}
