import { z } from 'zod';
import { runHostileCorpus } from '../../conformance/run-corpus.ts';
import { serverStartSchema } from '../../protocol/server-options.ts';
import { duration, serverOptions } from './params.ts';
import { defineScenario } from './scenario.ts';

/**
 * hostile: the hostile-input corpus (conformance/corpus/*.json, run by conformance/run-corpus.ts) against
 * the step's server process: malformed requests, bad cursors and rooms, oversized frames and lines, broken
 * handshakes. Every input must be answered as its case expects (never a 5xx, a hang or a crash), and a
 * normal client must still be served afterwards (the corpus runner's own after-check, plus the process
 * still answering the harness).
 */

/** Failures kept in the results, so one broken transport cannot bloat the file. */
const MAX_FAILURES = 20;

export const hostileParams = z.object({
  /** Corpus cases that need longer than this are skipped, ms (not in the id: every transport has one step). */
  maxCaseMs: duration,
});
export type HostileParams = z.infer<typeof hostileParams>;

export const hostile = defineScenario({
  name: 'hostile',
  network: false,
  params: hostileParams,
  id: [],

  plan(config, transport) {
    return [{ params: { maxCaseMs: config.hostileMaxCaseMs }, server: serverOptions(config, transport), repeats: config.faultRepeats }];
  },

  async runRepeat(ctx) {
    const step = ctx.step;
    const { maxCaseMs } = ctx.params;
    const server = serverStartSchema.parse(step.server);
    ctx.generator.start();
    const result = await runHostileCorpus(step.transport, ctx.server.port, {
      host: ctx.server.host,
      maxCaseMs,
      socketIoTransports: server.socketIoTransports,
      limits: { longPollTimeoutMs: server.longPollTimeoutMs },
    });
    const generator = ctx.generator.end();
    // The process itself must have survived (the after-check speaks for its transport, this for the process).
    let processAlive = true;
    await ctx.server.stats().catch(() => (processAlive = false));
    const afterFailure = result.failures.find((f) => f.startsWith('after the corpus'));
    const failures = processAlive ? result.failures : [...result.failures, 'after the corpus: the server process no longer answers the harness'];
    const notes = [`${result.handled} of ${result.tried} hostile inputs handled; ${result.skipped.length} cases skipped (longer than ${maxCaseMs} ms, or another Socket.IO mode)`];
    if (afterFailure) notes.push(afterFailure);
    return {
      values: {},
      histograms: {},
      generator,
      reliability: {
        fault: 'hostile',
        hostile: { tried: result.tried, handled: result.handled, skipped: result.skipped.length, failures: failures.slice(0, MAX_FAILURES), servedAfter: processAlive && afterFailure === undefined },
      },
      notes,
    };
  },
});
