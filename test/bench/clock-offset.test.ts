import { describe, expect, it } from 'vitest';
import { estimateClockOffset, formatClockOffset } from '../../bench/agent/clock-offset.ts';

describe('estimateClockOffset', () => {
  it("takes the ping with the shortest round trip: the agent's reading lies within it, so the offset is right to ± half of it", () => {
    // The agent's clock reads 1,000 µs ahead; it reads it somewhere inside each round trip (the run's time + 1,000).
    const pings = [
      { sentUs: 0, agentUs: 300 + 1_000, backUs: 900 },
      { sentUs: 1_000, agentUs: 1_040 + 1_000, backUs: 1_100 },
      { sentUs: 2_000, agentUs: 2_400 + 1_000, backUs: 2_500 },
    ];
    const estimate = estimateClockOffset(pings);
    expect(estimate).toEqual({ offsetUs: 990, uncertaintyUs: 50, samples: 3 });
    expect(Math.abs(estimate.offsetUs - 1_000)).toBeLessThanOrEqual(estimate.uncertaintyUs);
  });

  it('refuses no pings, and a ping that came back before it left', () => {
    expect(() => estimateClockOffset([])).toThrow(/no clock pings/);
    expect(() => estimateClockOffset([{ sentUs: 10, agentUs: 5, backUs: 9 }])).toThrow(/came back before it left/);
  });

  it('says the offset in µs, or past 10 ms in ms to the µs, with its bound', () => {
    expect(formatClockOffset({ offsetUs: 12.4, uncertaintyUs: 85.2 })).toBe('+12 µs ± 85 µs');
    expect(formatClockOffset({ offsetUs: -3_000_012, uncertaintyUs: 221 })).toBe('−3000.012 ms ± 221 µs');
  });
});
