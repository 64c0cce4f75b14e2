import { randomBytes } from 'node:crypto';
import type { Environment, Results, StepResult } from '../../results/schema.ts';
import type { ResolvedConfig } from '../config/config.ts';
import { assembleResults } from './assemble-results.ts';
import { startBusyPoll } from './busy-poll.ts';
import { collectEnvironment } from './environment.ts';
import { methodText } from './method.ts';
import { buildPlan, type ScenarioSet } from './plan.ts';
import { repeatOrder } from './repeat-order.ts';
import { RunnerEvents } from './runner-events.ts';
import { ServerPool } from './server-pool.ts';
import { NetworkPaths } from '../network/network-path.ts';
import { BrowserSession } from '../browser/browser-session.ts';
import { AgentSet, type LoadAgent } from '../agent/agent-set.ts';
import { StepRun } from './step-run.ts';
import type { FeedControl } from '../scenarios/scenario.ts';

/**
 * The run, in phases: plan the steps (plan.ts), start every server they need, run the repeats in interleaved
 * rounds (repeat-order.ts; step-run.ts: a failure becomes an errored row and the run goes on), stop the servers, then assemble the
 * results (method.ts, assemble-results.ts) and hand them to the subscribers. It never touches a client
 * (scenarios do) and never prints (subscribers do).
 */

export interface RunOptions {
  config: ResolvedConfig;
  scenarios: ScenarioSet;
  events?: RunnerEvents;
  /** Aborting (Ctrl-C) stops the current step, stops the servers and ends the run with what was measured. */
  signal?: AbortSignal;
  /** CPU to pin server children to (taskset), and how pinning was done, for results.method. */
  pinning?: { serverCpu?: number; description: string };
  environment?: Environment;
  /** How long a server child may take to be ready, ms. */
  readyTimeoutMs?: number;
  /** Why this run has no browser: its browser steps are skipped with this reason (BrowserSession.unavailable). */
  browserUnavailable?: string;
  /** The Redis the feed lives in (run --feed redis): its URL, what it is for results.method, and a restart when it is the run's own. */
  feed?: { url: string; description: string; control?: FeedControl };
  /** Agents that joined the run through the feed's Redis (run --join-agents), claimed before it began. */
  joinedAgents?: readonly LoadAgent[];
}

export interface RunOutcome {
  results: Results;
  interrupted: boolean;
}


export async function runBenchmark(options: RunOptions): Promise<RunOutcome> {
  const { config, scenarios } = options;
  const events = options.events ?? new RunnerEvents();
  const runSignal = options.signal ?? new AbortController().signal;
  const startedAt = new Date();
  const environment = options.environment ?? collectEnvironment();
  const feed = options.feed ? { url: options.feed.url, runId: randomBytes(4).toString('hex') } : undefined;
  const pool = new ServerPool({ cpu: options.pinning?.serverCpu, readyTimeoutMs: options.readyTimeoutMs, events, feed, host: config.serverHost });

  const plan = buildPlan(config, scenarios);
  const runs = plan.map((step) => new StepRun(step, scenarios[step.scenario], step.repeats ?? config.repeats));
  // Interleaved rounds per comparison point (repeat-order.ts), shuffled with a seed the results record.
  const seed = startedAt.getTime() >>> 0;
  const order = repeatOrder(plan, (index) => runs[index]!.repeats, seed).map((index) => runs[index]!);
  // From each position in the order on, the servers still needed: a server is stopped after its last repeat.
  const neededFrom = (position: number) => new Set(order.slice(position).filter((run) => run.needsServer).map((run) => ServerPool.groupKey(run.step.server, run.step.nodes)));
  // Server processes: each group's nodes.
  const processes = [...new Map(runs.filter((run) => run.needsServer).map((run) => [ServerPool.groupKey(run.step.server, run.step.nodes), run.step.nodes ?? 1])).values()].reduce((a, b) => a + b, 0);
  events.emit('plan', { steps: plan, servers: processes });

  const network = new NetworkPaths();
  const browser = new BrowserSession(config.browserClientsPerHost, options.browserUnavailable);
  // From each position in the order on, whether a step still needs the browser.
  const browserNeededFrom = (position: number) => order.slice(position).some((run) => run.needsBrowser(browser));
  let dropped = new Map<number, { in: number; out: number }>();
  let chromium: string | undefined;
  const stopBusyPoll = config.busyPoll ? startBusyPoll() : undefined;
  // Pinned, the run holds CPU 1 and its agents inherit it: they share that core.
  // Agents that joined from elsewhere run on their own cores (or hosts): then nothing is summed as one core.
  const joined = options.joinedAgents ?? [];
  const localAgents = config.agents > 1 ? config.agents : 0;
  const agents = localAgents + joined.length > 0 ? new AgentSet(localAgents, { sharedCore: options.pinning?.serverCpu !== undefined && joined.length === 0, joined }) : undefined;
  try {
    // Every server up front, before anything is measured: starts run in parallel and never overlap a step. The
    // browser too, when a step needs it (~3 s here); a failed start is each browser step's error, not the run's.
    await Promise.all([
      pool.prestart(runs.filter((run) => run.needsServer).map((run) => ({ options: run.step.server, nodes: run.step.nodes })), runSignal),
      browserNeededFrom(0) ? browser.runtime().catch(() => undefined) : undefined,
    ]);
    for (const [position, run] of order.entries()) {
      if (runSignal.aborted) break;
      if (run.done) continue;
      await pool.retain(neededFrom(position));
      if (!browserNeededFrom(position)) await browser.close();
      const index = runs.indexOf(run);
      events.emit('repeat-start', { index, total: plan.length, step: run.step, repeat: run.measurements.length, repeats: run.repeats, expectedMs: config.warmupMs + config.durationMs });
      await run.runRepeat({ config, pool, network, browser, events, runSignal, index, total: plan.length, ...(options.feed?.control ? { feed: options.feed.control } : {}), ...(agents ? { agents } : {}) });
      if (run.done) events.emit('step-done', { index, total: plan.length, done: runs.filter((r) => r.done).length, step: run.step, result: run.result(config), elapsedMs: run.elapsedMs });
    }
  } finally {
    stopBusyPoll?.();
    // What iptables really dropped, read before the namespaces go.
    dropped = network.droppedPackets();
    await network.stop();
    chromium = await browser.version();
    await browser.close();
    await agents?.close();
    await pool.stopAll();
  }

  const steps: StepResult[] = runs.map((run) => run.result(config));
  const method = methodText({ config, startupTimes: pool.startupTimes, pinning: options.pinning?.description ?? 'not pinned (no CPU pinning requested)', unpinned: pool.unpinned, seed, droppedPackets: dropped, chromium, browserUnavailable: options.browserUnavailable, feed: options.feed?.description, agentsShareCore: agents?.options.sharedCore ?? false, joinedAgents: joined });
  const results = assembleResults({ config, environment, method, steps, startedAt, finishedAt: new Date(), interrupted: runSignal.aborted });
  events.emit('run-done', { results, interrupted: runSignal.aborted });
  return { results, interrupted: runSignal.aborted };
}
