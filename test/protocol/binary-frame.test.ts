import { describe, expect, it } from 'vitest';
import { BINARY_HEADER_BYTES, binaryToFeedMessage, decodeBinaryFrame, encodeBinaryFrame } from '../../protocol/binary-frame.ts';
import { Feed } from '../../servers/feed.ts';

const message = { seq: 42, room: 'lobby', ts: 123456789.125, at: 123456788.5 };

describe('#encodeBinaryFrame', () => {
  it('lays out kind, room length, seq, ts, at, room and payload at fixed offsets', () => {
    const payload = Buffer.from([0, 1, 2, 255]);
    const frame = encodeBinaryFrame(message, payload);
    expect(frame.length).toBe(BINARY_HEADER_BYTES + 'lobby'.length + payload.length);
    expect(frame[0]).toBe(0x01);
    expect(frame[1]).toBe(5);
    expect(frame.readUIntBE(2, 6)).toBe(42);
    expect(frame.readDoubleBE(8)).toBe(123456789.125);
    expect(frame.readDoubleBE(16)).toBe(123456788.5);
    expect(frame.toString('latin1', 24, 29)).toBe('lobby');
    expect([...frame.subarray(29)]).toEqual([0, 1, 2, 255]);
  });

  it('carries a seq up to 2^48 - 1 and refuses a larger one', () => {
    const frame = encodeBinaryFrame({ ...message, seq: 2 ** 48 - 1 }, Buffer.alloc(0));
    expect(decodeBinaryFrame(frame).seq).toBe(2 ** 48 - 1);
    expect(() => encodeBinaryFrame({ ...message, seq: 2 ** 48 }, Buffer.alloc(0))).toThrow(RangeError);
  });

  it('refuses an empty room', () => {
    expect(() => encodeBinaryFrame({ ...message, room: '' }, Buffer.alloc(1))).toThrow(RangeError);
  });
});

describe('#decodeBinaryFrame', () => {
  it('round-trips what encodeBinaryFrame wrote, an empty payload included', () => {
    for (const payload of [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(70_000, 7)]) {
      const decoded = decodeBinaryFrame(encodeBinaryFrame(message, payload));
      expect(decoded).toMatchObject(message);
      expect(decoded.payload.equals(payload)).toBe(true);
    }
  });

  it('rejects a frame shorter than its header, an unknown kind and a room that does not fit', () => {
    const frame = encodeBinaryFrame(message, Buffer.from('x'));
    expect(() => decodeBinaryFrame(frame.subarray(0, 10))).toThrow(/too short/);
    const wrongKind = Buffer.from(frame);
    wrongKind[0] = 0x7f;
    expect(() => decodeBinaryFrame(wrongKind)).toThrow(/kind/);
    const longRoom = Buffer.from(frame);
    longRoom[1] = 200;
    expect(() => decodeBinaryFrame(longRoom)).toThrow(/does not fit/);
  });
});

describe('#binaryToFeedMessage', () => {
  it('gives the same message a text transport carries for a binary feed entry', () => {
    const feed = new Feed({ binary: true, payloadBytes: 32 });
    const entry = feed.publish('room-1');
    const decoded = decodeBinaryFrame(encodeBinaryFrame(entry.message, entry.bytes!));
    expect(binaryToFeedMessage(decoded)).toEqual(entry.message);
  });
});
