import { nowUs } from '../../protocol/clock.ts';
import { pace } from '../../servers/pacer.ts';
import type { MeasuredWindow } from './measured-window.ts';
import type { RepeatContext } from './scenario.ts';
import { progressTicker, sleep } from './waits.ts';

/**
 * The load side's open loop (chat and rtt publish from the load process): event k is due at start + k/rate,
 * fired by the same precise pacer as the server's schedule (servers/pacer.ts), never waiting for the result of
 * an earlier one. Rejects with the signal's reason when aborted.
 */
export async function runOpenLoop(options: { rate: number; durationMs: number; startUs?: number; signal?: AbortSignal; fire: (k: number, intendedUs: number) => void }): Promise<number> {
  const total = Math.ceil((options.rate * options.durationMs) / 1000);
  const fired = await pace({ total, intervalUs: 1e6 / options.rate, startUs: options.startUs ?? nowUs(), signal: options.signal, fire: options.fire });
  options.signal?.throwIfAborted();
  return fired;
}

/**
 * A load agent's share of the open loop: of events k = 0, 1, 2 … (event k is client k mod `share.of`'s), those of
 * clients share.first … share.first + share.count − 1, each at its own time in the whole schedule, so that an
 * agent's pacer wakes for its own events only. `fire` gets the event's number in the whole schedule.
 */
export async function runOpenLoopShare(options: { rate: number; durationMs: number; startUs: number; share: { first: number; count: number; of: number }; spinLeadMs?: number; signal?: AbortSignal; fire: (k: number, intendedUs: number) => void }): Promise<number> {
  const { first, count, of } = options.share;
  const all = Math.ceil((options.rate * options.durationMs) / 1000);
  const intervalUs = 1e6 / options.rate;
  // The j-th own event: round floor(j / count) of the clients, own client j mod count.
  const eventOf = (j: number) => Math.floor(j / count) * of + first + (j % count);
  let total = Math.floor(all / of) * count;
  while (eventOf(total) < all) total++;
  const fired = await pace({ total, intervalUs, startUs: options.startUs, signal: options.signal, ...(options.spinLeadMs !== undefined ? { spinLeadMs: options.spinLeadMs } : {}), dueUs: (j) => options.startUs + eventOf(j) * intervalUs, fire: (j, intendedUs) => options.fire(eventOf(j), intendedUs) });
  options.signal?.throwIfAborted();
  return fired;
}

/**
 * Runs the load side's open loop over the warm-up and the measured window, `fire`-ing at `rate` events/s.
 * The schedule starts 1 ms from now; the window is the events intended after the warm-up, and it opens on
 * the schedule's clock, not when the warm-up happens to end. Resolves with both resource samples once the
 * last event has fired.
 */
export function runLoadWindow(ctx: RepeatContext, window: MeasuredWindow, rate: number, fire: (k: number, intendedUs: number) => void) {
  return openLoadWindow(ctx, window, ({ startUs, durationMs }) => runOpenLoop({ rate, durationMs, startUs, signal: ctx.signal, fire }));
}

/**
 * The timing of runLoadWindow around any driver of the open loop (this process's, or the load agents' in chat):
 * `drive` gets the schedule's start, `leadMs` from now, the window's edges and the whole length (warm-up and
 * window), and resolves once its last event has fired.
 */
export async function openLoadWindow(ctx: RepeatContext, window: MeasuredWindow, drive: (times: { startUs: number; fromUs: number; toUs: number; durationMs: number }) => Promise<unknown>, leadMs = 1) {
  const startUs = Math.round(nowUs()) + leadMs * 1_000;
  const fromUs = startUs + ctx.warmupMs * 1000;
  const toUs = fromUs + ctx.durationMs * 1000;
  window.bound(fromUs, toUs);
  const opening = (async () => {
    const waitMs = (fromUs - nowUs()) / 1000;
    if (waitMs > 0) await sleep(waitMs, ctx.signal);
    await window.begin();
  })();
  opening.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
  const totalMs = ctx.warmupMs + ctx.durationMs;
  const stopTicker = progressTicker(ctx, 0.15, 0.9, totalMs);
  try {
    await drive({ startUs, fromUs, toUs, durationMs: totalMs });
    ctx.signal.throwIfAborted();
    await opening;
  } finally {
    stopTicker();
  }
  return window.end();
}

/**
 * The load side's sends of one repeat (chat's publishes, rtt's round trips): those still in flight, how many of
 * the window's failed and the first failure's words. Once counting starts (`stop`), late answers are ignored.
 */
export class Sends {
  /** Sends intended inside the measured window, and how many of them failed or were answered. */
  inWindow = 0;
  failed = 0;
  answered = 0;
  #firstFailure: string | undefined;
  #counting = false;
  readonly #pending = new Set<Promise<unknown>>();

  /** Follows one send; `onAnswer` gets its result while counting has not started. */
  track<T>(sending: Promise<T>, inWindow: boolean, onAnswer: (value: T) => void): void {
    if (inWindow) this.inWindow++;
    const followed = sending.then(
      (value) => {
        if (this.#counting) return;
        if (inWindow) this.answered++;
        onAnswer(value);
      },
      (error: unknown) => {
        if (!inWindow || this.#counting) return;
        this.failed++;
        this.#firstFailure ??= error instanceof Error ? error.message : String(error);
      },
    );
    this.#pending.add(followed);
    void followed.finally(() => this.#pending.delete(followed));
  }

  /** The first failure's words, when a send of the window failed. */
  get firstFailure(): string | undefined {
    return this.#firstFailure;
  }

  /** Sends still unanswered. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Waits until every send has settled, `ms` at most. */
  async settle(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.#pending]), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /** Counting starts: answers from now on are not recorded. */
  stop(): void {
    this.#counting = true;
  }

  /** "N <what> failed (e.g. …)" when any did. */
  failureNote(what: string, consequence = ''): string[] {
    return this.failed > 0 ? [`${this.failed} ${what} failed (e.g. ${this.#firstFailure})${consequence}`] : [];
  }
}
