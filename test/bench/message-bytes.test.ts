import { describe, expect, it } from 'vitest';
import { encodeBinaryFrame } from '../../protocol/binary-frame.ts';
import { bytesPerMessage, messageBytes, MessageBytesAccumulator } from '../../bench/measure/message-bytes.ts';
import type { FeedMessage } from '../../protocol/message.ts';

const text: FeedMessage = { seq: 42, room: 'lobby', ts: 123456789.123, at: 123456789.001, payload: 'x'.repeat(64) };

describe('#messageBytes', () => {
  it('splits a text message into its payload and the JSON around it', () => {
    const json = JSON.stringify(text);
    expect(messageBytes(text)).toEqual({ payload: 64, envelope: json.length - 64 });
  });

  it('counts a base64 payload as its decoded bytes and its text in the envelope-free part', () => {
    const bytes = Buffer.alloc(48, 7);
    const message: FeedMessage = { seq: 1, room: 'r', ts: 1.5, at: 1, payload: bytes.toString('base64'), enc: 'base64' };
    const split = messageBytes(message);
    expect(split.payload).toBe(48);
    expect(split.envelope).toBe(JSON.stringify(message).length - message.payload.length);
  });

  it('measures UTF-8 bytes for payloads that need escaping or are not ASCII', () => {
    const message: FeedMessage = { ...text, payload: 'é"\n' };
    const split = messageBytes(message);
    expect(split.payload).toBe(Buffer.byteLength('é"\n'));
    expect(split.payload + split.envelope).toBe(Buffer.byteLength(JSON.stringify(message)));
  });

  it('agrees with JSON.stringify for a message with other key order', () => {
    const message = { room: 'a', seq: 7, at: 2, ts: 3, payload: 'abc' } as FeedMessage;
    const split = messageBytes(message);
    expect(split.payload + split.envelope).toBe(JSON.stringify(message).length);
  });

  it('counts an empty payload as zero bytes', () => {
    expect(messageBytes({ ...text, payload: '' }).payload).toBe(0);
  });
});

describe('#messageBytes of a binary payload, as each transport carries it', () => {
  const payload = Buffer.alloc(64, 7);
  const message = { seq: 12, room: 'push-0', ts: 1_000.5, at: 999.25, payload: payload.toString('base64'), enc: 'base64' as const };

  it('base64 in JSON: the JSON fields with "enc" are the envelope; the base64 growth is the transport\'s', () => {
    expect(messageBytes(message, 'base64')).toEqual({ payload: 64, envelope: Buffer.byteLength(JSON.stringify(message)) - message.payload.length });
  });

  it('our binary frame (ws): the frame\'s header is the envelope, exactly what encodeBinaryFrame adds', () => {
    const frame = encodeBinaryFrame(message, payload);
    expect(messageBytes(message, 'frame')).toEqual({ payload: 64, envelope: frame.length - 64 });
  });

  it('a Socket.IO attachment: the JSON fields without "enc"', () => {
    const { enc: _, ...fields } = message;
    expect(messageBytes(message, 'attachment')).toEqual({ payload: 64, envelope: Buffer.byteLength(JSON.stringify({ ...fields, payload: '' })) });
  });

  it('a text payload is JSON whatever the carriage', () => {
    expect(messageBytes(text, 'frame')).toEqual(messageBytes(text));
  });
});

describe('#MessageBytesAccumulator', () => {
  it('averages the split over messages, merged or not', () => {
    const a = new MessageBytesAccumulator();
    const b = new MessageBytesAccumulator();
    a.add({ ...text, payload: 'a'.repeat(10) });
    b.add({ ...text, payload: 'a'.repeat(30) });
    a.merge(b);
    expect(a.count).toBe(2);
    expect(a.average().payload).toBe(20);
    expect(a.average().envelope).toBe(messageBytes(text).envelope);
  });

  it('gives zeros with no message', () => {
    expect(new MessageBytesAccumulator().average()).toEqual({ payload: 0, envelope: 0 });
  });
});

describe('#bytesPerMessage', () => {
  it('leaves for the transport what payload and envelope do not explain', () => {
    expect(bytesPerMessage(10_000, 50, { payload: 64, envelope: 70 })).toEqual({ total: 200, transport: 66 });
  });

  it('gives zero when nothing was delivered', () => {
    expect(bytesPerMessage(500, 0, { payload: 64, envelope: 70 })).toEqual({ total: 0, transport: 0 });
  });
});
