import os from 'node:os';
import path from 'node:path';
import type { ResolvedConfig } from '../../bench/config/config.ts';
import { isInputError } from '../cli-support.ts';
import { optionGiven, parseRunArgs, resolveRunConfig, runHelp } from '../run-options.ts';
import { assertLossSupported } from '../../bench/network/loss-namespace.ts';
import { requireChromium } from '../../bench/browser/browser-runtime.ts';
import { INSTALL_CHROMIUM } from '../../clients/browser/find-chromium.ts';
import { isCi } from '../../bench/run/environment.ts';
import type { WrittenFiles } from '../../bench/output/results-writer.ts';
import { EXIT } from '../exit-codes.ts';
import { notRunHere, TOOL_ERRORS, ToolError } from '../../protocol/tool-errors.ts';
import { filesNeeded, processesFor, raiseFileLimit } from '../../bench/run/file-limit.ts';
import { openRunRedis } from '../../bench/run/redis-server.ts';
import { parseFeedSpec } from '../../protocol/feed-spec.ts';

/**
 * `transport-bench run`: resolve the options, pin the processes, run the plan, show progress, write the
 * results, print the table. Exit 0 all steps ok, 1 some step errored, 2 bad usage, 130 interrupted.
 */

/** Pins the load process (this one) to CPU 1; server children go to CPU 0. Returns what results.method records. */
async function pinProcesses(): Promise<{ serverCpu?: number; description: string }> {
  const { hasTaskset, pinCurrentProcess } = await import('../../bench/run/server-process.ts');
  if (!hasTaskset()) return { description: 'not pinned: taskset not found (or it may not set affinity here)' };
  if (os.availableParallelism() < 2) return { description: 'not pinned: fewer than 2 CPUs' };
  if (!pinCurrentProcess(1)) return { description: 'not pinned: taskset could not pin the load process to CPU 1' };
  return { serverCpu: 0, description: 'main thread of the server process pinned to CPU 0, of the load process (runner and clients) to CPU 1, with taskset; helper threads (GC, compilation, thread pool) free on both' };
}

/**
 * Opens the hub on the feed's Redis and waits for the agents to join, saying on stderr how to start them; rejects
 * on the join timeout or Ctrl-C (the hub closed).
 */
async function claimJoinedAgents(url: string, config: ResolvedConfig, signal: AbortSignal) {
  const { AgentHub } = await import('../../bench/agent/joined-agents.ts');
  const { redactUrl } = await import('../../protocol/feed-spec.ts');
  const hub = await AgentHub.open(url);
  process.stderr.write(`transport-bench run: waiting up to ${config.joinTimeoutMs / 1000} s for ${config.joinAgents} agents to join; start each with \`transport-bench agent --join ${redactUrl(url)}\`\n`);
  try {
    const agents = await hub.claim(config.joinAgents, {
      firstIndex: config.agents > 1 ? config.agents : 0,
      timeoutMs: config.joinTimeoutMs,
      signal,
      onProgress: ({ joined, wanted, last }) => process.stderr.write(`transport-bench run: ${last?.name ?? 'an agent'} joined (${joined} of ${wanted})\n`),
    });
    return { hub, agents };
  } catch (error) {
    await hub.close();
    throw error;
  }
}

export async function main(argv: string[]): Promise<number> {
  let config: ResolvedConfig;
  let browserUnavailable: string | undefined;
  try {
    const parsed = parseRunArgs(argv);
    if (parsed.help) {
      process.stdout.write(runHelp() + '\n');
      return EXIT.OK;
    }
    config = resolveRunConfig(parsed);
    // --loss needs a namespace, a veth pair and iptables: say at once when this machine cannot, never run without.
    if (config.lossPercent.some((percent) => percent > 0)) assertLossSupported();
    // The same for clients in a browser: without chromium, say so at once. When only the profile asked for them
    // (smoke and quick have a browser push step per transport) and this is not CI, those steps are skipped
    // loudly instead: the main job needs no system package, and each row names the install command.
    if (config.clientRuntime.includes('browser')) {
      try {
        requireChromium();
      } catch (error) {
        if (isCi() || optionGiven(parsed, 'clientRuntime')) throw error;
        browserUnavailable = `skipped: the ${config.profile} profile's browser steps need Debian's chromium, which this machine lacks; install it with \`${INSTALL_CHROMIUM}\` (under CI=true it is required)`;
        process.stderr.write(`transport-bench run: warning: ${browserUnavailable}\n`);
      }
    }
    // Every connection is an open file, here and in its server (which inherits this process's limit).
    const { connections, files } = filesNeeded(config);
    const limit = raiseFileLimit(files);
    if (!limit.ok) {
      const spread = processesFor(connections, limit.before.hard);
      throw new ToolError(TOOL_ERRORS.BAD_OPTION, `the run holds up to ${connections} connections at once, which needs about ${files} open files in the busiest process (the load process or an agent, a server node); the limit is ${limit.before.soft} and could not be raised: ${limit.why}. Raise it (ulimit -n ${files}), spread the connections over processes (push, capacity, ceiling, chat and idle: --nodes ${spread} --feed redis --agents ${spread}) or ask for fewer clients (--capacity-clients, --idle-clients, --connect-clients, --clients)`);
    }
    if (limit.after.soft > limit.before.soft) process.stderr.write(`transport-bench run: raised the open-file limit from ${limit.before.soft} to ${limit.after.soft} for up to ${connections} connections\n`);
  } catch (error) {
    if (!isInputError(error)) throw error;
    process.stderr.write(`transport-bench run: ${error.message}\n`);
    return EXIT.USAGE;
  }

  // Loaded only once the options are good: --help and bad usage answer without loading the transports.
  const [{ runBenchmark }, { RunnerEvents }, { attachProgress }, { attachResultsWriter }, { formatResultTable }, { SCENARIO_REGISTRY }] = await Promise.all([
    import('../../bench/run/run-benchmark.ts'),
    import('../../bench/run/runner-events.ts'),
    import('../../bench/output/progress.ts'),
    import('../../bench/output/results-writer.ts'),
    import('../../bench/output/result-table.ts'),
    import('../../bench/scenarios/registry.ts'),
  ]);

  const controller = new AbortController();
  let signals = 0;
  let stopProgress = (): void => {};
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    stopProgress();
    if (signals > 1) process.exit(EXIT.INTERRUPTED); // the 'exit' hook still kills the server children
    process.stderr.write(`\n${signal}: stopping the current step and the servers, writing what was measured (press Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const events = new RunnerEvents();
  stopProgress = attachProgress(events, { plain: config.quiet });
  let written: { files?: WrittenFiles; error?: Error } = {};
  attachResultsWriter(events, { out: config.out }, (outcome) => {
    written = outcome;
  });

  const pinning = await pinProcesses();
  // The feed's Redis before any server: a private redis-server, or the one --feed names, which must answer.
  let redis: Awaited<ReturnType<typeof openRunRedis>> | undefined;
  try {
    if (config.feed !== 'memory') redis = await openRunRedis(parseFeedSpec(config.feed) as { kind: 'redis'; url?: string }, pinning.serverCpu);
  } catch (error) {
    stopProgress();
    if (!isInputError(error)) throw error;
    process.stderr.write(`transport-bench run: ${error.message}\n`);
    return EXIT.USAGE;
  }

  // Agents started elsewhere join through the feed's Redis before anything starts (run --join-agents).
  let hub: Awaited<ReturnType<typeof claimJoinedAgents>> | undefined;
  if (config.joinAgents > 0 && redis) {
    try {
      hub = await claimJoinedAgents(redis.url, config, controller.signal);
    } catch (error) {
      stopProgress();
      await redis.stop();
      if (controller.signal.aborted) return EXIT.INTERRUPTED;
      process.stderr.write(`transport-bench run: --join-agents ${config.joinAgents}: ${(error as Error).message}\n`);
      return EXIT.USAGE;
    }
  }

  try {
    const feed = redis ? { url: redis.url, description: redis.description, ...(redis.control ? { control: redis.control } : {}) } : undefined;
    const outcome = await runBenchmark({ config, scenarios: SCENARIO_REGISTRY, events, signal: controller.signal, pinning, browserUnavailable, feed, ...(hub ? { joinedAgents: hub.agents } : {}) });
    process.stdout.write('\n' + formatResultTable(outcome.results.steps) + '\n\n');
    if (written.error || !written.files) {
      process.stderr.write(`transport-bench run: could not write the results: ${written.error?.message ?? 'unknown error'}\n`);
      return EXIT.FAILURE;
    }
    const shown = (file: string) => path.relative(process.cwd(), file) || file;
    process.stdout.write(`Results: ${shown(written.files.file)}${written.files.latest ? ` (also ${shown(written.files.latest)})` : ''}\n`);
    if (outcome.interrupted) return EXIT.INTERRUPTED;
    // A step that cannot run as asked (raw TCP in a browser) or here (a profile's browser step without chromium) is marked, not failed.
    const failed = outcome.results.steps.filter((s) => s.status === 'errored' && !notRunHere(s.error.code));
    return failed.length > 0 ? EXIT.FAILURE : EXIT.OK;
  } finally {
    stopProgress();
    await hub?.hub.close();
    await redis?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
