import { describe, expect, it } from 'vitest';
import { LinkDirection } from '../../../bench/network/link.ts';

describe('#LinkDirection', () => {
  const unlimited = { delayMs: 20, jitterMs: 0, bytesPerMs: Infinity };

  it('releases a chunk one delay after it arrived', () => {
    const link = new LinkDirection(unlimited);
    expect(link.release(100, 500)).toBe(120);
    expect(link.release(105, 500)).toBe(125);
  });

  it('holds a connection\'s first bytes until its handshake ends, then adds the delay', () => {
    // Connected at 0 with a 40 ms round trip: bytes written at once leave at 40 and arrive at 60 (1.5 RTT).
    const link = new LinkDirection(unlimited, 40);
    expect(link.release(0, 100)).toBe(60);
    expect(link.release(50, 100)).toBe(70);
  });

  it('serialises chunks at the bandwidth: 10 mbit/s carries 1,250 bytes per ms', () => {
    const link = new LinkDirection({ delayMs: 0, jitterMs: 0, bytesPerMs: 1_250 });
    expect(link.release(0, 12_500)).toBe(10);
    // The wire is busy until 10: the next chunk waits for it.
    expect(link.release(1, 1_250)).toBe(11);
    expect(link.release(100, 1_250)).toBe(101);
  });

  it('never reorders under jitter: a chunk drawn early leaves after the one before it', () => {
    const draws = [1, 0]; // +jitter, then -jitter
    const link = new LinkDirection({ delayMs: 20, jitterMs: 5, bytesPerMs: Infinity }, -Infinity, () => draws.shift()!);
    expect(link.release(0, 10)).toBe(25);
    expect(link.release(1, 10)).toBe(25); // 1 + 20 - 5 = 16, held behind 25
  });

  it('draws jitter uniformly within ± jitter', () => {
    const link = new LinkDirection({ delayMs: 20, jitterMs: 5, bytesPerMs: Infinity });
    const gaps: number[] = [];
    for (let t = 0; t < 100_000; t += 100) gaps.push(link.release(t, 1) - t);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(15);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(25);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(19.5);
    expect(mean).toBeLessThan(20.5);
  });
});
