import { runHostileCorpus } from '../../conformance/run-corpus.ts';
import type { Scenario } from './scenario.ts';
import { expectStep, makeStep, numberParam, serverOptions } from './common.ts';

/**
 * hostile: the hostile-input corpus (conformance/corpus/*.json, run by conformance/run-corpus.ts) against
 * the step's server process: malformed requests, bad cursors and rooms, oversized frames and lines, broken
 * handshakes. Every input must be answered as its case expects (never a 5xx, a hang or a crash), and a
 * normal client must still be served afterwards (the corpus runner's own after-check, plus the process
 * still answering the harness).
 */

/** Failures kept in the results, so one broken transport cannot bloat the file. */
const MAX_FAILURES = 20;

export const hostile: Scenario = {
  name: 'hostile',

  plan(config, transport) {
    const step = makeStep('hostile', transport, {}, { maxCaseMs: config.hostileMaxCaseMs }, serverOptions(config, transport));
    return [{ ...step, repeats: config.faultRepeats }];
  },

  async runRepeat(ctx) {
    const step = expectStep(ctx, 'hostile');
    ctx.generator.start();
    const result = await runHostileCorpus(step.transport, ctx.server.port, {
      host: ctx.server.host,
      maxCaseMs: numberParam(step, 'maxCaseMs'),
      ...(step.server.socketIoTransports ? { socketIoTransports: step.server.socketIoTransports } : {}),
      ...(step.server.longPollTimeoutMs !== undefined ? { limits: { longPollTimeoutMs: step.server.longPollTimeoutMs } } : {}),
    });
    const generator = ctx.generator.end();
    // The process itself must have survived (the after-check speaks for its transport, this for the process).
    let processAlive = true;
    await ctx.server.stats().catch(() => (processAlive = false));
    const afterFailure = result.failures.find((f) => f.startsWith('after the corpus'));
    const failures = processAlive ? result.failures : [...result.failures, 'after the corpus: the server process no longer answers the harness'];
    const notes = [`${result.handled} of ${result.tried} hostile inputs handled; ${result.skipped.length} cases skipped (longer than ${numberParam(step, 'maxCaseMs')} ms, or another Socket.IO mode)`];
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
};
