import { nowUs } from '../protocol/clock.ts';

/**
 * The precise open-loop pacer of every publisher (the server's schedule, the load side's chat and rtt): event k
 * is due at start + k × interval. It sleeps on a timer until shortly before the next deadline, then keeps the
 * event loop turning with a setImmediate chain (I/O is still served between turns) and fires every event due
 * as soon as a turn finds it due. A late turn fires the backlog in one go, in order: the schedule is never
 * thinned (coordinated omission), and the lateness shows as scheduler lag.
 *
 * Why: Node's timers fire 0–1 ms late, and this VM adds about 100 µs to wake an idle CPU. With timers alone
 * that lateness was 60–85 % of every headline latency at 100–1,000 messages/s (docs/method.md).
 *
 * The chain's idle turns burn CPU for the publisher, not for the transport: their time is counted
 * (`waitedUs`) and the resource windows (resource-sampler.ts) keep it out of cpuPercent.
 */

/**
 * How long before a deadline the timer hands over to the setImmediate chain, ms. It covers a timer firing
 * ~1 ms late, and more: after the process slept on a timer, the CPU ran the next event's code slowly for a
 * while (lag p50 26-32 µs at 100 messages/s with a 5 ms lead, 6-9 µs with 15 ms), so up to ~60 messages/s
 * the chain never stops between events.
 */
export const SPIN_LEAD_MS = 15;
/**
 * Each chain turn first waits this long by spinning in place, µs: I/O then waits at most this long, and the
 * chain makes ~20 times fewer turns (each turn allocates; 600,000 turns/s made a scavenge every few ms).
 */
const SLICE_US = 20;
/** A waiting turn that took longer than this also ran other callbacks (I/O): only this much of it counts as waiting, µs. */
const IDLE_TURN_US = 20;

let waited = 0;

/** µs the pacers of this process have spent waiting (spinning, and idle turns of their setImmediate chains), so far. */
export function waitedUs(): number {
  return waited;
}

/** A clock read while spinning, placed on the shared monotonic clock (both read CLOCK_MONOTONIC). */
const spinClockUs = (): number => performance.now() * 1000 + SPIN_CLOCK_OFFSET_US;

/** The offset of performance.now() on the shared clock, µs: from the tightest of a few bracketing reads. */
const SPIN_CLOCK_OFFSET_US = ((): number => {
  let best = { width: Infinity, offset: 0 };
  for (let i = 0; i < 20; i++) {
    const before = nowUs();
    const now = performance.now() * 1000;
    const after = nowUs();
    if (after - before < best.width) best = { width: after - before, offset: (before + after) / 2 - now };
  }
  return best.offset;
})();

/**
 * Spinning reads the clock about every BLOCK_US, and every µs in the last few: a read allocates (Node's
 * performance.now() builds an array), and reading in a tight loop made a scavenge every few ms.
 */
const BLOCK_US = 5;
/** Iterations of the empty loop between two reads, adapted to take about `us`. */
const iterationsPerUs = { value: 16 };
let sink = 0;

/** Burns about `us` µs without reading the clock; adapts the loop to what it measured last. */
function burn(us: number, from: number): number {
  const n = Math.max(1, Math.round(iterationsPerUs.value * us));
  for (let i = 0; i < n; i++) sink = (sink + i) | 0;
  const now = spinClockUs();
  const took = now - from;
  if (took > 0) iterationsPerUs.value = Math.min(1e5, Math.max(1, iterationsPerUs.value * 0.8 + (n / took) * 0.2));
  return now;
}

/** Spins in place until `untilUs` on the spin clock; counts the time as waiting. */
function spinUntil(untilUs: number): void {
  const from = spinClockUs();
  let now = from;
  while (now < untilUs) now = burn(Math.min(BLOCK_US, Math.max(1, (untilUs - now) / 2)), now);
  waited += now - from;
}

/** How the pacer meets its deadlines, in words; results.method quotes it. */
export const PACER_STRATEGY =
  `a timer until ${SPIN_LEAD_MS} ms before the next due message, then a setImmediate chain (the event loop keeps turning and serving I/O) until it is due; ` +
  'each turn fires every message already due, in order (catch-up batching: a late turn never drops or thins the schedule); ' +
  `the chain's idle turns (up to ${IDLE_TURN_US} µs each) are the publisher's wait, reported apart and kept out of CPU`;

export interface PaceOptions {
  /** Events in all. */
  total: number;
  /** Between two events, µs. */
  intervalUs: number;
  /** When event 0 is due, µs on the shared clock. */
  startUs: number;
  signal?: AbortSignal;
  /** When event k is due, µs, when the events are not evenly spaced (a load agent's share of a schedule); by default startUs + k × intervalUs. */
  dueUs?(k: number): number;
  /** Called for each event, in order, with its intended time. */
  fire(k: number, intendedUs: number): void;
  /**
   * How long before a deadline the timer hands over to the chain, ms (SPIN_LEAD_MS by default). Load agents
   * sharing one core take less: several chains spinning on one core take turns in the kernel's time slices, which
   * made their events milliseconds late.
   */
  spinLeadMs?: number;
  /** Wraps the events one turn fires (the server batches their writes). */
  batch?(fireDue: () => void): void;
}

/** Fires the schedule; resolves with the events fired, fewer when the signal aborted it. Rejects when `fire` throws. */
export function pace(options: PaceOptions): Promise<number> {
  const { total, intervalUs, startUs, signal } = options;
  const batch = options.batch ?? ((fireDue: () => void) => fireDue());
  const due = options.dueUs ?? ((k: number) => startUs + k * intervalUs);
  const leadMs = options.spinLeadMs ?? SPIN_LEAD_MS;
  return new Promise((resolve, reject) => {
    let k = 0;
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    /** When the chain's last turn ended, µs; undefined while the timer sleeps. */
    let chainedAt: number | undefined;

    /** Inside a turn, an abort is seen when the turn ends (so an event that aborts still counts as fired). */
    let inTurn = false;
    const finish = (): void => {
      clearTimeout(timer);
      clearImmediate(immediate);
      signal?.removeEventListener('abort', onAbort);
      resolve(k);
    };
    const onAbort = (): void => {
      if (!inTurn) finish();
    };

    /** Fires every event due by now; false when `fire` threw (the promise is rejected). */
    const fireDue = (now: number): boolean => {
      try {
        batch(() => {
          while (k < total && due(k) <= now && !signal?.aborted) {
            options.fire(k, due(k));
            k++;
          }
        });
        return true;
      } catch (error) {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
        return false;
      }
    };

    const turn = (): void => {
      inTurn = true;
      try {
        step();
      } finally {
        inTurn = false;
      }
    };

    const step = (): void => {
      timer = undefined;
      immediate = undefined;
      if (chainedAt !== undefined) waited += Math.min(spinClockUs() - chainedAt, IDLE_TURN_US);
      for (;;) {
        if (k < total && due(k) <= spinClockUs() && !fireDue(spinClockUs())) return;
        if (k >= total || signal?.aborted) return finish();
        const untilUs = due(k) - spinClockUs();
        if (untilUs > (leadMs + 1) * 1000) {
          chainedAt = undefined;
          timer = setTimeout(turn, Math.floor(untilUs / 1000 - leadMs));
          return;
        }
        // Within two slices of the deadline, wait for it here: a turn of the loop can take a slice itself, and
        // yielding then made the event late by about that much (lag p50 ~20 µs at 100 messages/s).
        if (untilUs > 2 * SLICE_US) {
          // Wait one slice here, then let the loop serve I/O and come back.
          spinUntil(spinClockUs() + SLICE_US);
          chainedAt = spinClockUs();
          immediate = setImmediate(turn);
          return;
        }
        // Due within two slices: wait for it here and fire it.
        spinUntil(due(k));
      }
    };

    if (signal?.aborted) return finish();
    signal?.addEventListener('abort', onAbort, { once: true });
    turn();
  });
}
