import { describe, expect, it } from 'vitest';
import { PayloadSource } from '../../servers/payload.ts';

describe('#PayloadSource', () => {
  it('gives the same payload for the same seed, room and seq in every instance, and another elsewhere', () => {
    const a = new PayloadSource(1_024, 7);
    const b = new PayloadSource(1_024, 7);
    expect(a.text('room-a', 12)).toBe(b.text('room-a', 12));
    expect(a.bytes('room-a', 12).equals(b.bytes('room-a', 12))).toBe(true);
    expect(a.text('room-a', 13)).not.toBe(a.text('room-a', 12));
    expect(new PayloadSource(1_024, 8).text('room-a', 12)).not.toBe(a.text('room-a', 12));
  });

  it('is as long as asked, in letters and digits only (one byte each on every wire), for text; any byte for binary', () => {
    const source = new PayloadSource(65_536, 1);
    const text = source.text('r', 99);
    expect(text).toHaveLength(65_536);
    expect(text).toMatch(/^[A-Za-z0-9]+$/);
    expect(Buffer.byteLength(text, 'utf8')).toBe(65_536);
    const bytes = source.bytes('r', 99);
    expect(bytes).toHaveLength(65_536);
    expect(new Set(bytes).size).toBeGreaterThan(250);
    expect(new PayloadSource(0, 1).text('r', 1)).toBe('');
  });
});
