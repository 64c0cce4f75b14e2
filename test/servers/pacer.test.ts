import { describe, expect, it } from 'vitest';
import { nowUs } from '../../protocol/clock.ts';
import { pace, waitedUs } from '../../servers/pacer.ts';

describe('#pace', () => {
  it('fires every event once, in order, at its intended time or after, never before', async () => {
    const fired: Array<{ k: number; intendedUs: number; atUs: number }> = [];
    const startUs = nowUs() + 2_000;
    const count = await pace({ total: 50, intervalUs: 500, startUs, fire: (k, intendedUs) => fired.push({ k, intendedUs, atUs: nowUs() }) });
    expect(count).toBe(50);
    expect(fired.map((f) => f.k)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (const f of fired) {
      expect(f.intendedUs).toBe(startUs + f.k * 500);
      expect(f.atUs).toBeGreaterThanOrEqual(f.intendedUs);
    }
  });

  it('fires the backlog of a late start in one go, in order, with the intended times of the schedule', async () => {
    const fired: number[] = [];
    const startUs = nowUs() - 10_000; // 10 ms in the past: events 0-9 are already due
    await pace({ total: 12, intervalUs: 1_000, startUs, fire: (k, intendedUs) => fired.push(intendedUs - startUs) });
    expect(fired).toEqual(Array.from({ length: 12 }, (_, i) => i * 1_000));
  });

  it('wraps each turn of due events in the batch it is given', async () => {
    const batches: number[] = [];
    let current = 0;
    await pace({ total: 6, intervalUs: 1, startUs: nowUs() - 100, fire: () => current++, batch: (fireDue) => { current = 0; fireDue(); batches.push(current); } });
    // All six were due at the first turn: one batch holds them all.
    expect(batches).toEqual([6]);
  });

  it('stops when aborted, resolving with the events fired so far', async () => {
    const controller = new AbortController();
    const fired: number[] = [];
    const count = await pace({ total: 1_000, intervalUs: 1_000, startUs: nowUs(), signal: controller.signal, fire: (k) => { fired.push(k); if (k === 3) controller.abort(); } });
    expect(count).toBe(4);
    expect(fired).toEqual([0, 1, 2, 3]);
  });

  it('rejects with the error an event throws', async () => {
    await expect(pace({ total: 3, intervalUs: 10, startUs: nowUs(), fire: (k) => { if (k === 1) throw new Error('publish failed'); } })).rejects.toThrow('publish failed');
  });

  it('counts the time it spends waiting near a deadline', async () => {
    const before = waitedUs();
    await pace({ total: 20, intervalUs: 1_000, startUs: nowUs() + 1_000, fire: () => {} });
    expect(waitedUs()).toBeGreaterThan(before);
  });
});
