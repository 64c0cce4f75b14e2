import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../bench/config/config.ts';
import { runBenchmark } from '../../bench/run/run-benchmark.ts';
import { RunnerEvents } from '../../bench/run/runner-events.ts';
import { SCENARIO_REGISTRY } from '../../bench/scenarios/registry.ts';
import { TOOL_ERRORS } from '../../protocol/tool-errors.ts';
import { expectOk } from '../helpers/ok-step.ts';
import { makeEnvironment } from '../helpers/results-factory.ts';
import { browserSuiteRuns, chromiumMissing, findChromium } from '../helpers/chromium.ts';

/**
 * `run --client-runtime browser`: a push step per transport with its clients in Debian's chromium, through the
 * real runner (server processes, the browser session, the pages): every message once and in order, bytes from
 * the server's meter, raw TCP an errored row that says why, the browser's version in the results.
 */

const CHROMIUM = findChromium();
const SUITE = 'browser runtime (test/browser/browser-runtime.test.ts)';

describe.runIf(browserSuiteRuns(SUITE, CHROMIUM))('#run --client-runtime browser', { timeout: 120_000 }, () => {
  it('runs a push step per transport in chromium, and marks raw TCP not applicable', async () => {
    if (CHROMIUM === undefined) throw chromiumMissing();
    const config = resolveConfig('smoke', { scenarios: ['push'], clientRuntime: ['node', 'browser'], repeats: 2, durationMs: 400 });
    const { results } = await runBenchmark({ config, scenarios: SCENARIO_REGISTRY, events: new RunnerEvents(), environment: makeEnvironment() });
    const byId = Object.fromEntries(results.steps.map((s) => [s.id, s]));

    const tcp = byId['push/tcp/rate=200/clients=4/payload=64/runtime=browser']!;
    expect(tcp.status === 'errored' && tcp.error).toEqual({ code: TOOL_ERRORS.NOT_APPLICABLE, message: 'not applicable in a browser: a page cannot open a raw TCP socket' });

    for (const transport of ['short-polling', 'long-polling', 'ws', 'socket-io', 'sse']) {
      const poll = transport === 'short-polling' ? '/poll=100' : '';
      const browser = expectOk(byId[`push/${transport}/rate=200/clients=4/payload=64${poll}/runtime=browser`]);
      const node = expectOk(byId[`push/${transport}/rate=200/clients=4/payload=64${poll}`]);
      expect(browser.params.clientRuntime, transport).toBe('browser');
      expect(browser.metrics.delivery, transport).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
      expect(browser.metrics.delivery!.delivered, transport).toBe(node.metrics.delivery!.delivered);
      // Latency from the page's stamps on the server's clock: positive, and no later than the window allows.
      expect(browser.metrics.latency!.p50.median, transport).toBeGreaterThan(0);
      expect(browser.notes.join(' '), transport).toMatch(/clients in Chromium pages: .* \(± [\d.]+ ms\)/);
      // Bytes from the server's meter: a pushed frame is the same from a browser (within 10 %: heartbeats and
      // upgrades fall in the window differently). Every poll carries the browser's headers, but a slower re-poll
      // batches more messages into one answer, so the polling transports are compared per poll, not per message.
      const bytes = browser.metrics.bytesPerMessage!.total.median;
      const nodeBytes = node.metrics.bytesPerMessage!.total.median;
      if (transport === 'ws' || transport === 'socket-io' || transport === 'sse') expect(Math.abs(bytes / nodeBytes - 1), transport).toBeLessThan(0.1);
      else {
        const perPoll = (s: typeof node) => (s.metrics.bytesPerMessage!.total.median * s.metrics.deliveredPerSec!.median) / s.metrics.requestsPerSec!.median;
        expect(perPoll(browser), transport).toBeGreaterThan(perPoll(node) + 200);
        // Each poll's cycle from the page's Resource Timing: in flight, then the page's turn (short polling's
        // includes its 100 ms interval).
        expect(browser.metrics.browserPollInFlightMs!.median, transport).toBeGreaterThan(0);
        expect(browser.metrics.browserPollTurnMs!.median, transport).toBeGreaterThanOrEqual(transport === 'short-polling' ? 100 : 0);
      }
      // The browser is part of the load generator: its CPU over the window is measured, and a busy browser flags the step.
      expect(browser.metrics.browserCpuPercent!.median, transport).toBeGreaterThan(0);
      expect(browser.metrics.browserBusiestThreadPercent!.median, transport).toBeLessThanOrEqual(browser.metrics.browserCpuPercent!.max + 1e-9);
      expect(browser.notes.join(' '), transport).toMatch(/Chromium over the window: \d+ % of a core/);
    }
    expect(results.method.clientRuntime).toMatch(/headless Chromium \d+\.\d+/);
  });
});
