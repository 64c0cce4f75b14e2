import type { StepMetrics } from '../../results/schema.ts';
import type { StepPlan } from '../scenarios/scenario.ts';

/**
 * What an emulated round trip should cost each transport (docs/network.md, "What the round trip should cost"),
 * and a note on each step under a network saying how its p50 compares. The figures are the arithmetic of
 * the protocols, not fitted to runs: a step far from its expectation means the transport, the clients or the
 * proxy behave otherwise than described, and the note says so.
 *
 * R is the round trip, I short polling's interval; a step's loopback cost comes on top (tens of µs for a
 * message, a few ms for a connect storm), hence the slack.
 */

export interface RoundTripExpectation {
  /** Which figure: the push latency p50 or the set-up time p50. */
  figure: 'latency p50' | 'set-up p50';
  /** The arithmetic's figure, ms. */
  expectedMs: number;
  /** The formula, for the note. */
  formula: string;
  /** The range a step may land in and still be called as expected, ms. */
  lowMs: number;
  highMs: number;
}

/** Slack above the arithmetic: the step's own loopback cost and the proxy's timers, up to 15 ms or a quarter. */
const slackMs = (expectedMs: number): number => Math.max(15, expectedMs / 4);

function range(figure: RoundTripExpectation['figure'], expectedMs: number, formula: string, lowMs = expectedMs * 0.9): RoundTripExpectation {
  return { figure, expectedMs, formula, lowMs, highMs: expectedMs + slackMs(expectedMs) };
}

/** The expectation for a step under an emulated network, when the arithmetic covers its scenario. */
export function expectationFor(step: Pick<StepPlan, 'scenario' | 'transport' | 'params' | 'network' | 'server'>): RoundTripExpectation | undefined {
  const r = step.network?.rttMs;
  if (r === undefined || r <= 0) return undefined;
  const params = step.params as Record<string, unknown>;
  if (step.scenario === 'push') {
    switch (step.transport) {
      case 'short-polling': {
        const interval = Number(params.pollIntervalMs ?? 100);
        // The client polls I after each answer, so polls reach the server every I + R.
        return range('latency p50', interval / 2 + r, `I/2 + R = ${interval / 2} + ${r} ms`, interval / 2 + r / 2);
      }
      case 'long-polling': {
        const perRoomPerSecond = Number(params.rate) / Math.max(1, Number(params.rooms ?? 1));
        // Faster than one message per round trip: every message waits for the re-poll, R/2 on average, then R/2 back.
        if (perRoomPerSecond * r >= 1_000) return range('latency p50', r, `R = ${r} ms (a message waits for the re-poll, R/2 on average, then R/2 back)`, r * 0.75);
        return range('latency p50', r / 2, `between R/2 and R (${r / 2}–${r} ms): the poll is often waiting already`, r / 2);
      }
      default:
        return range('latency p50', r / 2, `R/2 = ${r / 2} ms (the message travels once)`);
    }
  }
  if (step.scenario === 'connect') {
    if (step.transport === 'socket-io') {
      if (step.server.socketIoTransports === 'websocket') return range('set-up p50', 3 * r, `3 R = ${3 * r} ms (TCP, the websocket upgrade, Socket.IO's CONNECT)`);
      // engine.io's server, once probed, checks every 100 ms whether it can close the polling cycle with a noop.
      return range('set-up p50', 5 * r + 100, `5 R + 100 ms = ${5 * r + 100} ms (open 2 R: TCP and the handshake GET; the websocket's own TCP and upgrade 2 R and its probe 1 R; then engine.io's 100 ms upgrade check closes the poll)`);
    }
    return range('set-up p50', 2 * r, `2 R = ${2 * r} ms (TCP's handshake, then the ${step.transport === 'ws' ? 'upgrade' : step.transport === 'tcp' ? 'subscribe line' : 'first GET'} and its answer)`);
  }
  return undefined;
}

/** The step's figure the expectation speaks of, ms. */
function measuredMs(expectation: RoundTripExpectation, metrics: StepMetrics): number | undefined {
  const us = expectation.figure === 'latency p50' ? metrics.latency?.p50.median : metrics.setup?.time?.p50.median;
  return us === undefined ? undefined : us / 1_000;
}

/** Poll cycles a measured window should hold before short polling's mean stops depending on where they fall. */
const SETTLED_CYCLES = 5;

/**
 * Short polling in a window of few poll cycles (I + R each): where the cycles fall in the window moves the mean
 * by up to half a cycle, so a verdict on it says so (docs/network.md, "Measured here").
 */
function fewCycles(step: Pick<StepPlan, 'scenario' | 'transport' | 'params' | 'network'>, windowMs: number | undefined): string {
  if (windowMs === undefined || step.scenario !== 'push' || step.transport !== 'short-polling') return '';
  const cycleMs = Number((step.params as Record<string, unknown>).pollIntervalMs ?? 100) + (step.network?.rttMs ?? 0);
  const cycles = windowMs / cycleMs;
  if (cycles >= SETTLED_CYCLES) return '';
  return `; but a ${windowMs} ms window holds only ${cycles.toFixed(1)} poll cycles of ${cycleMs} ms, and where they fall moves the mean by up to ${cycleMs / 2} ms: a longer --duration settles it`;
}

/**
 * A note comparing the step's p50 with the round-trip arithmetic, or nothing when it does not apply.
 * `windowMs`, the measured window per repeat, lets a verdict on short polling say when the window is too short.
 */
export function roundTripNote(step: Pick<StepPlan, 'scenario' | 'transport' | 'params' | 'network' | 'server'>, metrics: StepMetrics, windowMs?: number): string | undefined {
  const expectation = expectationFor(step);
  if (!expectation) return undefined;
  const measured = measuredMs(expectation, metrics);
  if (measured === undefined) return undefined;
  const verdict =
    measured < expectation.lowMs
      ? `FASTER than the arithmetic allows (below ${expectation.lowMs.toFixed(1)} ms): the emulated network is not doing its job`
      : measured > expectation.highMs
        ? `far above it (more than ${expectation.highMs.toFixed(1)} ms): the transport or the clients pay more round trips than docs/network.md describes`
        : `as expected (${expectation.lowMs.toFixed(1)}–${expectation.highMs.toFixed(1)} ms)`;
  const caveat = verdict.startsWith('as expected') ? '' : fewCycles(step, windowMs);
  return `round-trip arithmetic: ${expectation.figure} ${measured.toFixed(1)} ms against ${expectation.formula}: ${verdict}${caveat}`;
}

/**
 * What a step under both an emulated round trip and packet loss must say of its tail. The delay proxy holds
 * bytes in user space, so TCP's own round trip is the namespace's sub-millisecond path: a loss it repairs by
 * fast retransmit or a tail-loss probe costs milliseconds here, where a real path of R costs one to two R.
 * The retransmission timeout's 200 ms floor, which idle polling connections wait out, is the same on both.
 */
export function lossNote(step: Pick<StepPlan, 'network'>): string | undefined {
  const r = step.network?.rttMs ?? 0;
  if (!step.network?.lossPercent) return undefined;
  return `packet loss: TCP here sees the namespace's sub-millisecond path${r > 0 ? `, not the emulated ${r} ms round trip` : ''}, so a loss repaired by fast retransmit or a tail-loss probe costs milliseconds where a real path costs one to two round trips; the 200 ms retransmission timeout that idle polling connections wait out is real. Latency tails under loss are a lower bound (docs/network.md)`;
}
