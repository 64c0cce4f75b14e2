import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseResults } from '../../results/read-results.ts';
import { resolveConfig } from '../../bench/config/config.ts';
import { TOOL_ERRORS } from '../../protocol/tool-errors.ts';
import { z } from 'zod';
import { buildPlan } from '../../bench/run/plan.ts';
import { runBenchmark } from '../../bench/run/run-benchmark.ts';
import { RunnerEvents } from '../../bench/run/runner-events.ts';
import { liveServerPids } from '../../bench/run/server-process.ts';
import type { RepeatMeasurement } from '../../bench/measure/repeat-measurement.ts';
import { defineScenario, type AnyScenario, type RepeatContext, type ScenarioName } from '../../bench/scenarios/scenario.ts';
import { processExists } from '../helpers/process-exists.ts';
import { expectOk } from '../helpers/ok-step.ts';
import { makeEnvironment } from '../helpers/results-factory.ts';

/** A fixed environment: the runner would otherwise ask git and the OS on every run. */
const ENVIRONMENT = makeEnvironment();

/** A fake scenario: one step per transport, each repeat doing `run`. */
function fake(name: ScenarioName, run: (ctx: RepeatContext) => Promise<RepeatMeasurement>): AnyScenario {
  return defineScenario({
    name,
    params: z.object({ fake: z.boolean() }),
    id: [],
    plan: (_config, transport) => [{ params: { fake: true }, server: { transport } }],
    runRepeat: run,
  });
}

/** Publishes a short schedule in the server process and reports what it published. */
async function publishSome(ctx: RepeatContext): Promise<RepeatMeasurement> {
  ctx.generator.start();
  await ctx.server.startResourceWindow();
  const report = await ctx.server.schedule({ rate: 200, rooms: ['a'], durationMs: 50 });
  const server = await ctx.server.endResourceWindow();
  ctx.progress(1);
  return { values: { publishedPerSec: report.rooms.a!.published / 0.05 }, histograms: {}, server, generator: ctx.generator.end() };
}

/** Resolves when the step is aborted, then throws like a scenario would. */
function untilAborted(ctx: RepeatContext): Promise<never> {
  return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
}

describe('#buildPlan', () => {
  it('plans each transport in config order, then each scenario', () => {
    const config = resolveConfig('smoke', { clientRuntime: ['node'], transports: ['tcp', 'ws'], scenarios: ['chat', 'push'] });
    const scenarios = { push: fake('push', publishSome), chat: fake('chat', publishSome) };
    expect(buildPlan(config, scenarios).map((s) => s.id)).toEqual(['chat/tcp', 'push/tcp', 'chat/ws', 'push/ws']);
  });
});

describe('#runBenchmark', () => {
  it('turns failed steps into errored rows with their reason and goes on with the rest', { timeout: 90_000 }, async () => {
    const events = new RunnerEvents();
    const pids: number[] = [];
    events.on('server-start', ({ pid }) => pids.push(pid));
    const done: string[] = [];
    events.on('step-done', ({ result }) => done.push(`${result.id}:${result.status}`));

    const scenarios: Partial<Record<ScenarioName, AnyScenario>> = {
      push: fake('push', publishSome),
      chat: fake('chat', async () => {
        throw new Error('the fake chat scenario broke');
      }),
      // Kills its server mid-step, as a crash would.
      rtt: fake('rtt', async (ctx) => {
        await ctx.server.stats();
        process.kill(pids.at(-1)!, 'SIGKILL');
        return untilAborted(ctx);
      }),
      // Never finishes: the step timeout ends it.
      connect: fake('connect', untilAborted),
      idle: fake('idle', publishSome),
    };
    // The step timeout applies to every step: push and idle must finish inside it on a busy 2-core machine too
    // (each repeat normally takes well under a second), while connect never finishes and waits it out once.
    const config = resolveConfig('smoke', { clientRuntime: ['node'], transports: ['tcp'], scenarios: ['push', 'chat', 'rtt', 'connect', 'idle'], repeats: 2, stepTimeoutMs: 10_000 });
    const { results, interrupted } = await runBenchmark({ config, scenarios, events, environment: ENVIRONMENT });

    expect(interrupted).toBe(false);
    const byId = Object.fromEntries(results.steps.map((s) => [s.id, s]));
    expect(byId['push/tcp']).toMatchObject({ status: 'ok', repeats: 2 });
    expect(expectOk(byId['push/tcp']).metrics.publishedPerSec?.median).toBe(200);
    expect(expectOk(byId['push/tcp']).metrics.server?.rssBytes.median).toBeGreaterThan(0);
    expect(byId['chat/tcp']).toMatchObject({ status: 'errored', error: { code: TOOL_ERRORS.SCENARIO_FAILED, message: 'the fake chat scenario broke' } });
    expect(byId['rtt/tcp']).toMatchObject({ status: 'errored', error: { code: TOOL_ERRORS.SERVER_EXITED, message: expect.stringMatching(/SIGKILL/) } });
    expect(byId['connect/tcp']).toMatchObject({ status: 'errored', error: { code: TOOL_ERRORS.STEP_TIMEOUT, message: expect.stringContaining('within 10000 ms') } });
    expect(byId['idle/tcp']).toMatchObject({ status: 'ok', repeats: 2 });
    expect(results.summary).toMatchObject({ steps: 5, ok: 2, errored: 3 });
    expect(done).toEqual(['push/tcp:ok', 'chat/tcp:errored', 'rtt/tcp:errored', 'connect/tcp:errored', 'idle/tcp:ok']);
    expect(results.method.processes).toMatch(/server start/);

    // A valid results file, and no server left running.
    expect(() => parseResults(JSON.parse(JSON.stringify(results)))).not.toThrow();
    expect(liveServerPids()).toEqual([]);
    for (const pid of pids) expect(processExists(pid)).toBe(false);
  });

  it('puts a step under --rtt behind the delay proxy: its clients get the proxy\'s address, its row the proxy\'s CPU', { timeout: 60_000 }, async () => {
    const seen: Array<{ host: string; port: number }> = [];
    const scenarios: Partial<Record<ScenarioName, AnyScenario>> = {
      push: fake('push', async (ctx) => {
        // A round trip through the proxy to the raw TCP server: a subscribe line and its answer.
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = net.connect({ host: ctx.server.host, port: ctx.server.port }, () => socket.write('{"type":"subscribe","room":"r","cursor":0}\n'));
          socket.once('data', (chunk) => (socket.destroy(), resolve(chunk.toString())));
          socket.once('error', reject);
        });
        seen.push({ host: ctx.server.host, port: ctx.server.port });
        expect(answer).toMatch(/"type":"ready"/);
        return publishSome(ctx);
      }),
    };
    const config = resolveConfig('smoke', { transports: ['tcp'], scenarios: ['push'], repeats: 1, rttMs: [20] });
    const { results } = await runBenchmark({ config, scenarios, events: new RunnerEvents(), environment: ENVIRONMENT });
    const step = expectOk(results.steps[0]);
    expect(step.id).toBe('push/tcp/rtt=20');
    expect(seen).toHaveLength(1);
    expect(step.metrics.proxyCpuPercent?.median).toBeGreaterThan(0);
    expect(results.method.network).toMatch(/delay proxy in its own process/);
    expect(liveServerPids()).toEqual([]);
  });

  it('stops cleanly when aborted mid-step, keeping what was measured', { timeout: 60_000 }, async () => {
    const controller = new AbortController();
    const events = new RunnerEvents();
    const pids: number[] = [];
    events.on('server-start', ({ pid }) => pids.push(pid));
    const scenarios: Partial<Record<ScenarioName, AnyScenario>> = {
      push: fake('push', publishSome),
      // Like Ctrl-C in the middle of a long schedule.
      chat: fake('chat', async (ctx) => {
        const schedule = ctx.server.schedule({ rate: 100, rooms: ['a'], durationMs: 60_000 });
        schedule.catch(() => {});
        await delay(50);
        controller.abort();
        return untilAborted(ctx);
      }),
      rtt: fake('rtt', publishSome),
    };
    const config = resolveConfig('smoke', { transports: ['ws'], scenarios: ['push', 'chat', 'rtt'], repeats: 1 });
    const { results, interrupted } = await runBenchmark({ config, scenarios, events, environment: ENVIRONMENT, signal: controller.signal });

    expect(interrupted).toBe(true);
    expect(results.interrupted).toBe(true);
    expect(results.steps.map((s) => [s.id, s.status, s.status === 'errored' ? s.error.code : undefined])).toEqual([
      ['push/ws', 'ok', undefined],
      ['chat/ws', 'errored', TOOL_ERRORS.INTERRUPTED],
      ['rtt/ws', 'errored', TOOL_ERRORS.NOT_RUN],
    ]);
    expect(liveServerPids()).toEqual([]);
    for (const pid of pids) expect(processExists(pid)).toBe(false);
  });
});
