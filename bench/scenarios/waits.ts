import type { RepeatContext } from './scenario.ts';

/** Waits that honour the step's abort signal, the drain bound, and progress reports for the bar. */

/** Waits `ms`; rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls `done` every `everyMs` until it holds (true) or `timeoutMs` passes (false). */
export async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, signal?: AbortSignal, everyMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() >= deadline) return false;
    await sleep(everyMs, signal);
  }
  return true;
}

/**
 * Under real packet loss (run --loss), TCP may still be retransmitting: a lost SYN is resent after 1 s and again
 * 2 s later, a lost segment after 200 ms, doubling. Waited for on top, so "lost" means never delivered, not late.
 */
const LOSS_DRAIN_EXTRA_MS = 5_000;

/**
 * How long after the measured window messages still in flight are waited for before loss is counted:
 * 2 s (far beyond any healthy latency here) plus one poll interval, during which a short-polling client
 * may not even have asked yet, plus TCP's retransmissions when the step loses packets on purpose.
 */
export function drainMs(pollIntervalMs = 0, network?: { lossPercent?: number }): number {
  return 2_000 + pollIntervalMs + (network?.lossPercent ? LOSS_DRAIN_EXTRA_MS : 0);
}

/** Reports progress of a phase of known length to the runner's bar, every 100 ms, until stopped. */
export function progressTicker(ctx: Pick<RepeatContext, 'progress'>, from: number, to: number, expectedMs: number): () => void {
  const started = Date.now();
  const timer = setInterval(() => ctx.progress(from + (to - from) * Math.min(1, (Date.now() - started) / Math.max(1, expectedMs))), 100);
  timer.unref();
  return () => clearInterval(timer);
}
