import { describe, expect, it } from 'vitest';
import { expectationFor, lossNote, roundTripNote } from '../../../bench/network/round-trip-arithmetic.ts';
import type { StepMetrics } from '../../../results/schema.ts';
import type { TransportName } from '../../../protocol/transports.ts';

const network = (rttMs: number) => ({ rttMs, jitterMs: 0, bytesPerMs: Infinity });
const push = (transport: TransportName, rttMs: number, extra: Record<string, number> = {}) => ({
  scenario: 'push' as const,
  transport,
  params: { rate: 200, clients: 4, rooms: 2, payloadBytes: 64, ...extra },
  network: network(rttMs),
  server: { transport },
});
const connect = (transport: TransportName, rttMs: number, socketIoTransports?: 'websocket' | 'polling-upgrade') => ({
  scenario: 'connect' as const,
  transport,
  params: { clients: 10 },
  network: network(rttMs),
  server: { transport, ...(socketIoTransports ? { socketIoTransports } : {}) },
});

describe('round-trip arithmetic (docs/network.md)', () => {
  it.each([
    ['ws push at R = 20: R/2', push('ws', 20), 10],
    ['SSE push at R = 40: R/2', push('sse', 40), 20],
    ['long polling at 100 msg/s a room, R = 20 (faster than one per R): R', push('long-polling', 20), 20],
    ['short polling, I = 100, R = 20: I/2 + R', push('short-polling', 20, { pollIntervalMs: 100 }), 70],
    ['ws set-up at R = 20: 2 R', connect('ws', 20), 40],
    ['raw TCP set-up at R = 40: 2 R', connect('tcp', 40), 80],
    ['Socket.IO websocket-only set-up at R = 20: 3 R', connect('socket-io', 20, 'websocket'), 60],
    ['Socket.IO polling-upgrade set-up at R = 20: 5 R + 100 ms', connect('socket-io', 20), 200],
  ])('%s', (_name, step, expectedMs) => {
    expect(expectationFor(step)?.expectedMs).toBe(expectedMs);
  });

  it('long polling slower than one message per round trip: between R/2 and R', () => {
    const slow = push('long-polling', 40, { rate: 10 });
    expect(expectationFor(slow)).toMatchObject({ expectedMs: 20, lowMs: 20 });
  });

  it('says nothing on loopback or for scenarios it does not cover', () => {
    expect(expectationFor({ ...push('ws', 20), network: undefined })).toBeUndefined();
    expect(expectationFor({ ...push('ws', 20), scenario: 'chat' })).toBeUndefined();
  });

  const latencyAt = (ms: number): StepMetrics => ({ latency: { p50: { median: ms * 1_000 } } }) as unknown as StepMetrics;

  it('says when short polling\'s window held too few poll cycles for its mean, and only when the verdict is not as expected', () => {
    const step = push('short-polling', 50, { pollIntervalMs: 100 });
    // I/2 + R = 100 ms; 250 ms holds 1.7 cycles of 150 ms.
    expect(roundTripNote(step, latencyAt(140), 250)).toMatch(/far above it .*; but a 250 ms window holds only 1\.7 poll cycles of 150 ms, and where they fall moves the mean by up to 75 ms: a longer --duration settles it$/);
    expect(roundTripNote(step, latencyAt(105), 250)).not.toMatch(/poll cycles/);
    expect(roundTripNote(step, latencyAt(140), 2_000)).not.toMatch(/poll cycles/);
    expect(roundTripNote(push('ws', 20), latencyAt(40), 250)).not.toMatch(/poll cycles/);
  });

  it('notes a step as expected, far above, or faster than the arithmetic allows', () => {
    expect(roundTripNote(push('ws', 20), latencyAt(10.4))).toMatch(/latency p50 10\.4 ms against R\/2 = 10 ms .*: as expected \(9\.0–25\.0 ms\)/);
    expect(roundTripNote(push('ws', 20), latencyAt(40))).toMatch(/far above it \(more than 25\.0 ms\)/);
    expect(roundTripNote(push('ws', 20), latencyAt(2))).toMatch(/FASTER than the arithmetic allows/);
  });
});

describe('#lossNote', () => {
  it('tells a step under loss that its tail is a lower bound, naming the emulated round trip', () => {
    expect(lossNote({ network: { rttMs: 40, jitterMs: 0, bytesPerMs: Infinity, lossPercent: 1 } })).toMatch(/not the emulated 40 ms round trip.*lower bound/);
    expect(lossNote({ network: { rttMs: 0, jitterMs: 0, bytesPerMs: Infinity, lossPercent: 5 } })).toMatch(/^packet loss: .*lower bound/);
  });

  it('says nothing without loss', () => {
    expect(lossNote({ network: { rttMs: 40, jitterMs: 0, bytesPerMs: Infinity } })).toBeUndefined();
    expect(lossNote({})).toBeUndefined();
  });
});
